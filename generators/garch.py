"""`garch-t`: the econometrician's baseline for daily returns, behind the generator contract.

Every feature gets its own GARCH(1,1) with Student-t innovations (fitted with the `arch`
package); the features move together through a Gaussian copula of the standardised residuals
(constant conditional correlation, Bollerslev 1990). Volatility clusters and fat tails come from
the model; there is no leverage effect (the variance reacts to the size of a shock, not its sign).

The model needs one long series per feature: `fit` lays the training windows end to end, so give
it non-overlapping windows (the finance profiles do); overlapping ones repeat days and shorten
the volatility memory it finds.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from generators.base import Generator, check_sequences, read_json_state
from synthpipe.errors import InputDataError

BURN_IN = 250  # steps simulated and dropped, so paths forget their starting variance


class GARCHT(Generator):
    """Constant-correlation GARCH(1,1)-t over all features."""

    name = "garch-t"
    modality = "sequence"

    def __init__(self, random_state: int = 0):
        self.random_state = random_state  # fitting is deterministic; kept for the common interface
        self.n_features_: int | None = None

    def fit(self, data: np.ndarray, progress=None) -> "GARCHT":
        from arch import arch_model

        x = check_sequences(data)
        series = x.reshape(-1, x.shape[2]).astype(np.float64)
        self.train_length_ = x.shape[1]
        self.mean_, self.std_ = series.mean(0), np.maximum(series.std(0), 1e-12)
        z = (series - self.mean_) / self.std_  # unit scale: the optimiser's comfort zone
        params, residuals = [], []
        for i in range(z.shape[1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; a failed fit is checked below
                result = arch_model(z[:, i], mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
            mu, omega, alpha, beta, nu = (float(result.params[k]) for k in ("mu", "omega", "alpha[1]", "beta[1]", "nu"))
            if not np.isfinite([mu, omega, alpha, beta, nu]).all():
                raise InputDataError(f"GARCH fit of feature {i} did not converge; is the feature constant?")
            params.append([mu, omega, alpha, beta, nu])
            std_resid = np.nan_to_num(np.asarray(result.std_resid, dtype=np.float64))
            # normal scores of the residuals under the fitted t: their correlation is the copula's
            residuals.append(stats.norm.ppf(np.clip(stats.t.cdf(std_resid * np.sqrt(nu / (nu - 2)), nu), 1e-6, 1 - 1e-6)))
            if progress:
                progress(i + 1, z.shape[1], float(result.loglikelihood))
        self.params_ = np.array(params)
        self.correlation_ = np.corrcoef(np.array(residuals)) if len(residuals) > 1 else np.ones((1, 1))
        self.n_features_ = x.shape[2]
        return self

    def sample(self, n: int, *, seed: int, length: int | None = None) -> np.ndarray:
        length = self._sequence_length(n, length)
        rng = np.random.default_rng(seed)
        mu, omega, alpha, beta, nu = self.params_.T
        cholesky = np.linalg.cholesky(self.correlation_ + 1e-9 * np.eye(self.n_features_))
        # Start from the sample variance (1: the features are standardised). Daily returns often fit
        # alpha + beta ~ 1, where the model's own unconditional variance is infinite.
        variance = np.ones((n, self.n_features_))
        shock = np.zeros((n, self.n_features_))
        out = np.empty((n, length, self.n_features_))
        for t in range(BURN_IN + length):
            variance = omega + alpha * shock**2 + beta * variance
            normal = rng.standard_normal((n, self.n_features_)) @ cholesky.T
            innovation = stats.t.ppf(stats.norm.cdf(normal), nu) * np.sqrt((nu - 2) / nu)
            shock = np.sqrt(variance) * innovation
            if t >= BURN_IN:
                out[:, t - BURN_IN] = mu + shock
        return (out * self.std_ + self.mean_).astype(np.float32)

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        Path(path).write_text(json.dumps({
            "params": self.get_params(), "train_length": self.train_length_, "mean": self.mean_.tolist(),
            "std": self.std_.tolist(), "garch": self.params_.tolist(), "correlation": self.correlation_.tolist()}))

    @classmethod
    def load(cls, path: Path | str) -> "GARCHT":
        state = read_json_state(path)
        model = cls(**state["params"])
        model.train_length_ = state["train_length"]
        model.mean_, model.std_ = np.array(state["mean"]), np.array(state["std"])
        model.params_, model.correlation_ = np.array(state["garch"]), np.array(state["correlation"])
        model.n_features_ = len(model.mean_)
        return model
