"""The finance baselines do what their docstrings promise, on data with known structure."""
import numpy as np

import generators


def garch_series(n: int = 4000, seed: int = 0) -> np.ndarray:
    """Two features: a GARCH(1,1)-t series and a noisy copy of it (correlation ~0.7)."""
    rng = np.random.default_rng(seed)
    omega, alpha, beta, nu = 0.05, 0.1, 0.85, 5.0
    variance, out = 1.0, np.empty(n)
    for t in range(n):
        shock = np.sqrt(variance) * rng.standard_t(nu) * np.sqrt((nu - 2) / nu)
        out[t] = shock
        variance = omega + alpha * shock**2 + beta * variance
    other = out + rng.normal(0, 1, n)
    return np.column_stack([out, other]).astype(np.float32) * 0.01


def abs_acf(x: np.ndarray, lag: int) -> float:
    a = np.abs(x) - np.abs(x).mean()
    return float((a[:-lag] * a[lag:]).mean() / a.var())


def test_garch_t_recovers_clustering_tails_and_correlation():
    series = garch_series()
    model = generators.create("garch-t").fit(series.reshape(-1, 50, 2))  # non-overlapping windows
    omega, alpha, beta, nu = model.params_[0, 1:]
    assert 0.04 < alpha < 0.2 and 0.75 < beta < 0.95 and 3 < nu < 9
    paths = model.sample(200, seed=0, length=500)
    first = paths[..., 0]
    assert np.mean([abs_acf(p, 1) for p in first]) > 0.05  # volatility clusters
    kurtosis = ((first - first.mean()) ** 4).mean() / first.var() ** 2 - 3
    assert kurtosis > 1.0  # fat tails
    real = np.corrcoef(series.T)[0, 1]
    assert abs(np.corrcoef(paths.reshape(-1, 2).T)[0, 1] - real) < 0.1


def test_block_bootstrap_replays_real_days_in_stretches():
    series = garch_series(1000)
    model = generators.create("block-bootstrap").fit(series.reshape(-1, 20, 2))
    # the automatic rule sees the volatility clustering: the same days in random order get shorter blocks
    shuffled = np.random.default_rng(0).permutation(series)
    assert model.block_ > 2 * generators.create("block-bootstrap").fit(shuffled.reshape(-1, 20, 2)).block_
    paths = model.sample(50, seed=0, length=100)
    rows = {tuple(r) for r in series}
    assert all(tuple(r) in rows for r in paths.reshape(-1, 2))  # every day is a real day
    fixed = generators.create("block-bootstrap", mean_block=10).fit(series.reshape(-1, 20, 2))
    path = fixed.sample(1, seed=0, length=2000)[0]
    position = {tuple(r): i for i, r in enumerate(series)}
    steps = np.diff([position[tuple(r)] for r in path])
    continued = np.mean((steps == 1) | (steps == 1 - len(series)))
    assert 0.85 < continued < 0.95  # a jump with probability 1/10 per day
