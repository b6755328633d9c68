"""Reports: every metric with its value, threshold, direction and real-vs-real baseline.

The gate's verdict is computed from the metrics, never typed in.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Metric:
    """One measured quantity; `threshold=None` marks an informational metric the gate ignores."""

    name: str
    value: float
    group: str  # fidelity | privacy | utility | expectations
    direction: str = "<="  # the value must be <= (or >=) the threshold to pass
    threshold: float | None = None
    baseline: float | None = None  # the same metric computed real-vs-real, where one exists
    description: str = ""

    @property
    def gated(self) -> bool:
        return self.threshold is not None

    @property
    def passed(self) -> bool | None:
        if self.threshold is None:
            return None
        if not math.isfinite(self.value):
            return False
        return self.value <= self.threshold if self.direction == "<=" else self.value >= self.threshold

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "info"}[self.passed]

    def as_row(self) -> dict:
        """One row of a metrics table (Prefect artifact, CLI)."""
        return {"metric": self.name, "group": self.group, "value": self.value, "baseline": self.baseline,
                "threshold": None if self.threshold is None else f"{self.direction} {self.threshold:.4g}",
                "verdict": self.verdict}


def relative_threshold(baseline: float, factor: float, floor: float) -> float:
    """`factor` times the real-vs-real baseline, but never stricter than `floor`."""
    return max(floor, factor * baseline)


@dataclass
class Report:
    metrics: list[Metric] = field(default_factory=list)

    def add(self, metric: Metric) -> None:
        self.metrics.append(metric)

    @property
    def failures(self) -> list[Metric]:
        return [m for m in self.metrics if m.passed is False]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "failures": [m.name for m in self.failures],
            "metrics": [dict(asdict(m), passed=m.passed) for m in self.metrics],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        fields = Metric.__dataclass_fields__
        return cls([Metric(**{k: v for k, v in m.items() if k in fields}) for m in data["metrics"]])

    def to_markdown(self) -> str:
        lines = ["| group | metric | value | baseline (real vs real) | threshold | verdict |",
                 "|---|---|---:|---:|---:|---|"]
        for m in self.metrics:
            threshold = f"{m.direction} {_fmt(m.threshold)}" if m.gated else "—"
            verdict = "**FAIL**" if m.passed is False else m.verdict
            lines.append(f"| {m.group} | {m.name} | {_fmt(m.value)} | {_fmt(m.baseline)} | {threshold} | {verdict} |")
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"
