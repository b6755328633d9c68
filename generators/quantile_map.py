"""Quantile mapping: a monotone map per feature that carries a model's marginals onto the data's.

Forecasters use it to correct a simulator's marginal bias (e.g. rainfall from climate models)
without touching how days follow each other or how variables move together: the map is fixed
and monotone per feature, so ranks, and with them the model's copula and ordering, are kept.
The knots stop short of the extremes (`tail`): beyond them a value keeps the model's own distance
to the outer knot, so the data's most extreme records are neither stored nor reproduced.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QuantileMap:
    source: np.ndarray  # (K, F): the model's quantiles at the knots' levels
    target: np.ndarray  # (K, F): the data's quantiles at the same levels

    @classmethod
    def fit(cls, model_values: np.ndarray, data_values: np.ndarray, knots: int = 199,
            tail: float = 0.005) -> "QuantileMap":
        """From samples `(N, F)` of the model and `(M, F)` of the data."""
        levels = np.linspace(tail, 1 - tail, knots)
        source = np.quantile(np.asarray(model_values, np.float64), levels, axis=0)
        target = np.quantile(np.asarray(data_values, np.float64), levels, axis=0)
        # np.interp needs increasing knots; a model that piles values on one point has ties.
        step = 1e-12 * np.maximum(np.abs(source).max(0), 1.0)
        return cls(np.maximum.accumulate(source, 0) + step * np.arange(knots)[:, None], target)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """`values` `(..., F)` mapped feature by feature, in their own dtype."""
        flat = np.asarray(values, np.float64).reshape(-1, self.source.shape[1])
        out = np.empty_like(flat)
        for i in range(flat.shape[1]):
            x, s, t = flat[:, i], self.source[:, i], self.target[:, i]
            out[:, i] = np.interp(x, s, t)
            low, high = x < s[0], x > s[-1]
            out[low, i] = t[0] + (x[low] - s[0])
            out[high, i] = t[-1] + (x[high] - s[-1])
        return out.reshape(np.shape(values)).astype(np.asarray(values).dtype)

    def to_lists(self) -> dict:
        return {"source": self.source.tolist(), "target": self.target.tolist()}

    @classmethod
    def from_lists(cls, state: dict) -> "QuantileMap":
        return cls(np.asarray(state["source"], np.float64), np.asarray(state["target"], np.float64))
