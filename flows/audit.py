"""Audits: re-run a published version's pipeline from its manifest alone, and compare.

A privacy auditor should not have to trust the figures a version carries. `audit` reads the
manifest (source, generator, profile, seed, how much was generated, regime), runs the same
pipeline as a fresh Prefect flow run in a scratch data home — the generator retrained from
nothing, the attacks run again — and compares the re-run with the version: every metric, the
privacy ones first, and every file by its sha256.

A version is *reproduced* when the re-run passes the gate, every metric comes out the same and
every data file (Parquet, npz, CSV) is byte for byte the one published. Runs are bit-for-bit
reproducible on the CPU; on another device, or with other code, figures may move a little, and the
audit says so rather than hiding it. Other files are compared for information: the data card
names its own flow run, and CommonRoad scenario files carry the day they were written.
"""
from __future__ import annotations

import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from catalog import Catalog
from flows.provenance import code_version
from validation.report import Metric, Report

DATA_SUFFIXES = (".parquet", ".npz", ".csv")


@dataclass(frozen=True)
class MetricCheck:
    """One metric as published and as re-run (None when the re-run did not report it)."""

    recorded: Metric
    rerun: Metric | None

    @property
    def same(self) -> bool:
        if self.rerun is None:
            return False
        a, b = self.recorded.value, self.rerun.value
        # Reports round-trip through JSON, so equal runs give equal floats; NaN equals NaN here.
        return a == b or (math.isnan(a) and math.isnan(b))


@dataclass
class AuditResult:
    """What an audit found: the re-run's outcome beside the version, metric by metric and file
    by file; `reproduced` is the verdict, `to_text()` the report `synthpipe audit` prints."""

    ref: str
    arguments: dict  # what the re-run was called with, from the manifest
    recorded_code: str
    current_code: str
    rerun_status: str  # "published" or "quarantined"
    source_same: bool  # the re-run read source data with the fingerprint the version records
    params_same: bool  # the profile still gives the generator the parameters the version records
    metrics: list[MetricCheck]
    files_same: list[str] = field(default_factory=list)
    files_differ: list[str] = field(default_factory=list)

    @property
    def data_files_differ(self) -> list[str]:
        return [f for f in self.files_differ if f.endswith(DATA_SUFFIXES)]

    @property
    def reproduced(self) -> bool:
        return (self.rerun_status == "published" and self.source_same and not self.data_files_differ
                and all(check.same for check in self.metrics))

    def to_text(self) -> str:
        """What `synthpipe audit` prints: the privacy metrics in full, then what else agreed."""
        lines = [f"audit of {self.ref}: re-ran " + ", ".join(f"{k} {v}" for k, v in self.arguments.items()
                                                           if v is not None)]
        if self.recorded_code != self.current_code:
            lines.append(f"  note: published with code {self.recorded_code}, re-run with {self.current_code}; "
                         "figures may differ for that reason alone")
        if not self.params_same:
            lines.append("  note: the profile now gives the generator other parameters than the version records")
        if not self.source_same:
            lines.append("  the source data are not those the version was made from (their fingerprint differs)")
        lines.append(f"  {'privacy metric':<42} {'published':>10} {'re-run':>10}  {'threshold':<12} verdict")
        for check in self.metrics:
            if check.recorded.group != "privacy":
                continue
            m, r = check.recorded, check.rerun
            row = m.as_row()
            rerun = "missing" if r is None else f"{r.value:.4g}"
            verdict = m.verdict if r is None else r.verdict
            lines.append(f"  {m.name:<42} {m.value:>10.4g} {rerun:>10}  {row['threshold'] or '':<12} {verdict}"
                         f"{'' if check.same else '  (differs)'}")
        others = [c for c in self.metrics if c.recorded.group != "privacy"]
        moved = [c.recorded.name for c in others if not c.same]
        lines.append(f"  other metrics: {len(others) - len(moved)} of {len(others)} the same"
                     + (f"; differ: {', '.join(moved)}" if moved else ""))
        data = [f for f in self.files_same + self.files_differ if f.endswith(DATA_SUFFIXES)]
        lines.append(f"  data files: {len(data) - len(self.data_files_differ)} of {len(data)} identical (sha256)"
                     + (f"; differ: {', '.join(self.data_files_differ)}" if self.data_files_differ else ""))
        rest = [f for f in self.files_differ if not f.endswith(DATA_SUFFIXES)]
        if rest:
            lines.append(f"  other files that differ (for information): {summarise(rest)}")
        if self.rerun_status != "published":
            lines.append("  the re-run failed the gate and was quarantined")
        lines.append("reproduced" if self.reproduced else "NOT reproduced")
        return "\n".join(lines)


def summarise(files: list[str], most: int = 5) -> str:
    """File names, or past `most` of them, a count per top folder (`commonroad/ (40 files)`)."""
    if len(files) <= most:
        return ", ".join(files)
    groups: dict[str, int] = {}
    for name in files:
        top = name.split("/", 1)[0] + "/" if "/" in name else name
        groups[top] = groups.get(top, 0) + 1
    return ", ".join(name if count == 1 and not name.endswith("/") else f"{name} ({count} files)"
                     for name, count in groups.items())


def rerun_arguments(manifest: dict) -> dict:
    """The pipeline arguments that made a version, from its manifest."""
    return {"domain": manifest["domain"], "source": manifest["source"], "generator": manifest["generator"],
            "profile": manifest["profile"], "seed": manifest["seed"],
            "n_sequences": manifest.get("n_sequences"), "regime": manifest.get("regime")}


def compare_metrics(recorded: Report, rerun: Report) -> list[MetricCheck]:
    by_name = {m.name: m for m in rerun.metrics}
    checks = [MetricCheck(m, by_name.get(m.name)) for m in recorded.metrics]
    return sorted(checks, key=lambda c: c.recorded.group != "privacy")  # privacy first, order kept


def compare_files(recorded: dict, rerun: dict) -> tuple[list[str], list[str]]:
    """Files with the same sha256 in both versions, and files that differ or exist in only one."""
    names = sorted(set(recorded) | set(rerun))
    same = {f for f in names if f in recorded and f in rerun and recorded[f]["sha256"] == rerun[f]["sha256"]}
    return [f for f in names if f in same], [f for f in names if f not in same]


def audit(name: str, home: str | Path | None = None) -> AuditResult:
    """Re-run the pipeline that published `name` (`domain/name[@version]`) and compare the two."""
    from flows.pipeline import pipeline

    catalog = Catalog(home)
    ref = catalog.verify(name)  # a version whose files no longer match its manifest is not audited
    manifest = catalog.manifest(ref)
    arguments = rerun_arguments(manifest)
    with tempfile.TemporaryDirectory(prefix="synthpipe-audit-") as scratch:
        _share_raw_cache(catalog.home, Path(scratch))
        result = pipeline(**arguments, home=scratch, dataset=ref.dataset)
        if result["status"] == "published":
            rerun = Catalog(scratch).manifest(f"{result['dataset']}@{result['version']}")
        else:
            rerun = json.loads((Path(result["folder"]) / "report.json").read_text())
    same, differ = compare_files(manifest["files"], rerun.get("files", {}))
    return AuditResult(
        ref=str(ref), arguments={k: v for k, v in arguments.items() if k != "domain"},
        recorded_code=manifest.get("code_version", "unknown"), current_code=code_version(),
        rerun_status=result["status"], source_same=rerun["source_fingerprint"] == manifest["source_fingerprint"],
        params_same=rerun["generator_params"] == manifest["generator_params"],
        metrics=compare_metrics(Report.from_dict(manifest["report"]), Report.from_dict(rerun["report"])),
        files_same=same, files_differ=differ)


def _share_raw_cache(home: Path, scratch: Path) -> None:
    """Let the re-run read the source copies the data home keeps (e.g. a downloaded MedMNIST
    file) instead of fetching them again."""
    raw = Path(home) / "raw"
    if raw.is_dir():
        try:
            (scratch / "raw").symlink_to(raw.resolve(), target_is_directory=True)
        except OSError:  # no symlinks here: a copy does as well
            shutil.copytree(raw, scratch / "raw")
