"""The domain contract: everything the generic pipeline needs to know about one kind of data.

Adding a domain means adding one subpackage that implements `Domain` and registering it in
`domains/__init__.py`; the flows, CLI and catalog do not change.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from synthpipe.errors import InputDataError, unknown
from validation.report import Report


@dataclass(frozen=True)
class SourceSpec:
    """`KIND[:LOCATION]` as given on the command line, e.g. `arch` or `csv:prices.csv`."""

    kind: str
    location: str = ""

    @classmethod
    def parse(cls, text: str, known: tuple[str, ...]) -> "SourceSpec":
        kind, _, location = text.partition(":")
        if kind not in known:
            raise unknown("source kind", kind, known)
        return cls(kind, location)

    def __str__(self) -> str:
        return f"{self.kind}:{self.location}" if self.location else self.kind

    def slug(self) -> str:
        """A catalog-safe dataset name derived from the source."""
        stem = Path(self.location).stem if self.location else self.kind
        return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:64] or self.kind


@dataclass(frozen=True)
class Split:
    """Real data divided into a training part and a holdout the generator never sees."""

    train: Any
    holdout: Any
    description: str


class Domain(ABC):
    """One kind of data: how to read it, check it, model it, judge it and publish it."""

    name: ClassVar[str]
    source_kinds: ClassVar[tuple[str, ...]]
    default_source: ClassVar[str]
    default_generator: ClassVar[str]
    profiles: ClassVar[dict[str, Any]]
    default_schedule: ClassVar[str] = "0 6 * * *"  # cron, used by `synthpipe serve`

    def profile(self, name: str):
        if name not in self.profiles:
            raise unknown("profile", name, tuple(self.profiles))
        return self.profiles[name]

    def parse_source(self, text: str | None) -> SourceSpec:
        return SourceSpec.parse(text or self.default_source, self.source_kinds)

    def default_dataset_name(self, source: SourceSpec) -> str:
        return f"{self.name}/{source.slug()}"

    @abstractmethod
    def load(self, source: SourceSpec, home: Path | None = None) -> Any:
        """Read real data from a source, refusing unusable input with one clear error.

        `home` is the data home, whose `raw/` folder caches downloaded sources."""

    def describe(self, data: Any) -> str:
        """A one-line summary of real or published data, for logs."""
        return f"{len(data)} records"

    @abstractmethod
    def fingerprint(self, data: Any) -> str:
        """A content hash of the real data, stable across runs (drives training caches)."""

    @abstractmethod
    def check_input(self, data: Any) -> dict:
        """Run the input expectation suite; raise InputDataError listing what failed."""

    @abstractmethod
    def split(self, data: Any, profile) -> Split:
        """Divide real data into train and holdout without leakage between them."""

    @abstractmethod
    def training_data(self, train: Any, profile, generator: str) -> Any:
        """What the named generator is fitted on."""

    @abstractmethod
    def sample_request(self, profile, train: Any, n: int | None, generator: str | None = None) -> dict:
        """Keyword arguments of the generator's `sample` (besides the seed): how many records,
        and their length, classes or conditions; `n` is the user's override of the profile's
        count, `generator` the name of the generator that will be asked."""

    @abstractmethod
    def decode(self, synthetic: Any, train: Any, seed: int) -> Any:
        """Turn generator output into the published form (source units and columns)."""

    def parse_regime(self, text: str) -> Any:
        """A regime to generate scenarios of (`--regime`); domains without regimes refuse it."""
        raise InputDataError(f"the {self.name} domain has no regimes to ask for; --regime applies to finance and "
                             "driving")

    def check_regime(self, text: str, generator: str) -> None:
        """Refuse, before any work, a regime this domain or the named generator cannot make."""
        self.parse_regime(text)

    def sample(self, model: Any, split: Split, request: dict, seed: int, regime: str | None = None,
               progress=None) -> tuple[Any, Any]:
        """Synthetic data drawn from a fitted generator, and its published form."""
        if regime:
            self.parse_regime(regime)
        synthetic = model.sample(seed=seed, **request)
        return synthetic, self.decode(synthetic, split.train, seed)

    @abstractmethod
    def evaluate(self, split: Split, synthetic: Any, published: Any, profile, seed: int,
                 regime: str | None = None) -> Report:
        """Fidelity, privacy and output-suite metrics, each with its threshold and baseline; the
        scenarios of a `regime` (as given to `sample`) are judged as the domain says for them."""

    @abstractmethod
    def write_published(self, published: Any, synthetic: Any, split: Split, report: Report,
                        folder: Path, context: dict, profile) -> None:
        """Write data files, plots and the data card into a staging folder."""

    @abstractmethod
    def schema(self, published: Any) -> dict:
        """Column names and types (or array shapes) recorded in the manifest."""

    def counts(self, published: Any, synthetic: Any) -> dict:
        """Record counts for the manifest."""
        return {"records": len(published)}

    @abstractmethod
    def read_published(self, folder: Path, as_: str | None = None) -> Any:
        """Load a published version's data the way users of this field expect."""


def require(condition: bool, message: str) -> None:
    """Raise the project's input error unless `condition` holds."""
    if not condition:
        raise InputDataError(message)
