"""`block-bootstrap`: resampled real history, the non-parametric baseline.

The stationary bootstrap (Politis & Romano, 1994) glues together stretches of the real feature
rows, every feature of a day together, with stretch lengths drawn from a geometric distribution
whose mean is picked by the Politis-White (2004) rule unless given. Within a stretch every
dependence of the real data survives; across the joins it is lost. Each synthetic day *is* a
real day, so this baseline is as faithful and as un-private as a generator can be: the privacy
checks should catch it.

Like `garch-t`, it lays the training windows end to end; give it non-overlapping windows.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from generators.base import Generator, check_sequences, read_json_state
from synthpipe.errors import InputDataError


class StationaryBlockBootstrap(Generator):
    """Stretches of real rows with geometric lengths, wrapping around the end."""

    name = "block-bootstrap"
    modality = "sequence"

    def __init__(self, mean_block: float | None = None, random_state: int = 0):
        self.mean_block = mean_block
        self.random_state = random_state
        self.n_features_: int | None = None

    def fit(self, data: np.ndarray, progress=None) -> "StationaryBlockBootstrap":
        x = check_sequences(data)
        self.rows_ = x.reshape(-1, x.shape[2]).astype(np.float32)
        self.train_length_ = x.shape[1]
        if self.mean_block is not None and self.mean_block < 1:
            raise InputDataError(f"mean_block must be at least 1 day, got {self.mean_block}")
        self.block_ = float(self.mean_block or automatic_block_length(self.rows_))
        self.n_features_ = x.shape[2]
        if progress:
            progress(1, 1, self.block_)
        return self

    def sample(self, n: int, *, seed: int, length: int | None = None) -> np.ndarray:
        length = self._sequence_length(n, length)
        rng = np.random.default_rng(seed)
        total = len(self.rows_)
        index = np.empty((n, length), dtype=np.int64)
        index[:, 0] = rng.integers(0, total, n)
        jump = rng.random((n, length)) < 1.0 / self.block_
        fresh = rng.integers(0, total, (n, length))
        for t in range(1, length):
            index[:, t] = np.where(jump[:, t], fresh[:, t], (index[:, t - 1] + 1) % total)
        return self.rows_[index]

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        Path(path).write_text(json.dumps({"params": self.get_params(), "train_length": self.train_length_,
                                          "block": self.block_, "rows": self.rows_.tolist()}))

    @classmethod
    def load(cls, path: Path | str) -> "StationaryBlockBootstrap":
        state = read_json_state(path)
        model = cls(**state["params"])
        model.rows_ = np.asarray(state["rows"], dtype=np.float32)
        model.train_length_, model.block_ = state["train_length"], state["block"]
        model.n_features_ = model.rows_.shape[1]
        return model


def automatic_block_length(rows: np.ndarray) -> float:
    """Politis-White's stationary-bootstrap block length, the longest over the features and their
    squares (the squares carry volatility clustering, the memory that matters most here)."""
    from arch.bootstrap import optimal_block_length

    features = np.column_stack([rows, rows**2])
    lengths = optimal_block_length(features)["stationary"].to_numpy()
    return float(np.clip(np.nanmax(lengths), 1.0, len(rows) / 4))
