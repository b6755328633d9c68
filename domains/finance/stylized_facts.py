"""Stylized facts of asset returns (Cont, 2001), estimated by pooling many short windows.

Each statistic is computed on `(n_windows, length)` log returns of one series, with the mean
and variance pooled over all windows so that short synthetic windows and long real series are
measured the same way.
"""
from __future__ import annotations

import numpy as np


def pooled_corr(x: np.ndarray, y: np.ndarray, lag: int) -> float:
    """Correlation of x_t with y_{t+lag}, pooled across windows."""
    a, b = x[:, : x.shape[1] - lag].ravel(), y[:, lag:].ravel()
    a, b = a - x.mean(), b - y.mean()
    return float((a * b).mean() / (x.std() * y.std() + 1e-12))


def excess_kurtosis(r: np.ndarray) -> float:
    z = (r - r.mean()) / (r.std() + 1e-12)
    return float((z**4).mean() - 3.0)


def acf_returns(r: np.ndarray, lags: int = 5) -> float:
    """Mean |ACF(r)| over lags 1..lags: near zero for real returns (no linear predictability)."""
    return float(np.mean([abs(pooled_corr(r, r, k)) for k in range(1, lags + 1)]))


def acf_abs_returns(r: np.ndarray, lags: int = 10) -> float:
    """Mean ACF(|r|) over lags 1..lags: clearly positive for real returns (volatility clustering)."""
    a = np.abs(r)
    return float(np.mean([pooled_corr(a, a, k) for k in range(1, lags + 1)]))


def leverage(r: np.ndarray, lags: int = 5) -> float:
    """Mean corr(r_t, |r_{t+k}|) over k=1..lags: negative for equities (falls raise volatility)."""
    return float(np.mean([pooled_corr(r, np.abs(r), k) for k in range(1, lags + 1)]))


FACTS = {
    "excess_kurtosis": excess_kurtosis,
    "acf_r": acf_returns,
    "acf_abs_r": acf_abs_returns,
    "leverage": leverage,
}


def facts(returns: np.ndarray) -> dict[str, float]:
    """All facts, averaged over the series: `returns` is `(n_windows, length, n_series)`."""
    return {name: float(np.mean([fn(returns[:, :, i]) for i in range(returns.shape[2])]))
            for name, fn in FACTS.items()}
