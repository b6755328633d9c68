"""Fidelity in a feature space: the Fréchet distance (FID's formula, here in a domain encoder's
space) and precision / recall / density / coverage (Naeem et al., 2020)."""
from __future__ import annotations

import numpy as np


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) between Gaussian fits of two feature sets."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    # A small ridge keeps the product's square root defined when a feature is constant (a
    # ReLU unit that never fires); it moves the distance by ~1e-6 per dimension.
    ridge = np.eye(a.shape[1]) * 1e-6
    cov_a, cov_b = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    covmean = np.real(linalg.sqrtm(cov_a @ cov_b))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None]
    return np.sqrt(np.maximum(d2, 0))


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage of `fake` against `real` with k-NN balls."""
    real_radius = np.sort(_pairwise(real, real), axis=1)[:, k]  # column 0 is the point itself
    fake_radius = np.sort(_pairwise(fake, fake), axis=1)[:, k]
    cross = _pairwise(real, fake)  # (n_real, n_fake)
    inside = cross < real_radius[:, None]
    return {
        "precision": float(inside.any(0).mean()),
        "recall": float((cross < fake_radius[None]).any(1).mean()),
        "density": float(inside.sum(0).mean() / k),
        "coverage": float((cross.min(1) < real_radius).mean()),
    }


def histogram_distance(a: np.ndarray, b: np.ndarray, bins: int = 32) -> float:
    """Jensen–Shannon distance between two pixel-intensity histograms (values in [0, 1])."""
    from scipy.spatial.distance import jensenshannon

    ha = np.histogram(a, bins=bins, range=(0, 1))[0].astype(np.float64)
    hb = np.histogram(b, bins=bins, range=(0, 1))[0].astype(np.float64)
    return float(jensenshannon(ha / ha.sum(), hb / hb.sum(), base=2))
