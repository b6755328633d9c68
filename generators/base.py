"""The generator contract, after scikit-learn's estimators and SDV's synthesizers.

Hyper-parameters are explicit keyword arguments of `__init__`; `fit(data)` learns state into
attributes and returns `self`; `sample(n, *, seed)` draws `n` records; `save`/`load` round-trip.
Sequence generators take and return float arrays shaped `(n_sequences, length, n_features)`.
"""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from synthpipe.errors import InputDataError


class Generator(ABC):
    """A trainable model of one data modality."""

    name: ClassVar[str]
    modality: ClassVar[str]
    # Sequence generators that can continue given history: `sample(..., context=(n, c, F))`, and
    # `context_days=(n,)` when some paths have fewer of those days of their own.
    reads_history: ClassVar[bool] = False
    # Sequence generators that see the running level of some features: they fit on
    # `LevelledSequences` and take `sample(..., start_levels=(n, k))`.
    reads_levels: ClassVar[bool] = False

    def get_params(self) -> dict[str, Any]:
        """The `__init__` keyword arguments, read back from attributes of the same name."""
        signature = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in signature.parameters if p != "self"}

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "n_features_", None) is not None

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise InputDataError(f"generator {self.name!r} is not fitted; call fit(data) first")

    def _sequence_length(self, n: int, length: int | None) -> int:
        """Checks of a sequence generator's `sample` call; the length to draw (the training
        windows' unless given)."""
        self._require_fitted()
        check_sample_args(n, length)
        return int(length or self.train_length_)

    @abstractmethod
    def fit(self, data: np.ndarray) -> "Generator":
        """Learn from real data; returns self."""

    @abstractmethod
    def sample(self, n: int, *, seed: int, length: int | None = None) -> np.ndarray:
        """Draw `n` synthetic records, reproducibly for a given seed."""

    @abstractmethod
    def save(self, path: Path | str) -> None:
        """Write the fitted generator to one file."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path | str) -> "Generator":
        """Read a generator written by `save`."""


@dataclass(frozen=True)
class LevelledSequences:
    """Sequences whose features `level_features` are changes of a level that matters in itself
    (a mean-reverting series such as the VIX: where it stands says where it goes, and how calm
    the rest is). `start_levels` `(n, k)` holds each sequence's level before its first step; the
    level after step t is the start plus the sum of that feature's steps up to t."""

    features: np.ndarray
    level_features: tuple[int, ...]
    start_levels: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.features)

    def __len__(self) -> int:
        return len(self.features)


def check_sequences(data: Any, *, min_sequences: int = 2, min_length: int = 2) -> np.ndarray:
    """Validate sequence input: a finite float array `(n, length, features)` of usable size."""
    array = np.asarray(data)
    if array.ndim != 3:
        raise InputDataError(
            f"sequence data must be 3-D (sequences, steps, features), got shape {array.shape}; "
            "window the series first"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise InputDataError(f"sequence data must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise InputDataError(f"sequence data has {bad} NaN or infinite values; clean or impute them before fit")
    n, length, features = array.shape
    if n < min_sequences or length < min_length or features < 1:
        raise InputDataError(
            f"too little data: {n} sequences of {length} steps x {features} features; "
            f"need at least {min_sequences} sequences of {min_length} steps"
        )
    return array


def read_json_state(path: Path | str) -> dict:
    """The state a generator saved as JSON, or one clear error for a file that is not one."""
    import json

    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputDataError(f"cannot read generator file {path}: {exc}") from None


def check_sample_args(n: int, length: int | None) -> None:
    if int(n) < 1:
        raise InputDataError(f"number of samples must be at least 1, got {n}")
    if length is not None and int(length) < 1:
        raise InputDataError(f"sequence length must be at least 1, got {length}")
