"""Distribution distances between two sets of records (features last)."""
from __future__ import annotations

import numpy as np


def marginal_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over features of the 1-Wasserstein distance between the pooled marginals."""
    from scipy.stats import wasserstein_distance

    fa, fb = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return float(np.mean([wasserstein_distance(fa[:, i], fb[:, i]) for i in range(fa.shape[1])]))


def correlation_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of the feature correlation matrices (off-diagonal)."""
    fa, fb = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    ca, cb = np.nan_to_num(np.corrcoef(fa, rowvar=False)), np.nan_to_num(np.corrcoef(fb, rowvar=False))
    mask = ~np.eye(len(ca), dtype=bool)
    return float(np.abs(ca - cb)[mask].mean()) if mask.any() else 0.0
