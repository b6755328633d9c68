"""Shared fixtures: real data beside the repository, a private data home, a Prefect harness."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """An empty data home, also exported as SYNTHPIPE_HOME."""
    folder = tmp_path / "home"
    monkeypatch.setenv("SYNTHPIPE_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def prefect_harness():
    """Real Prefect flow runs against a temporary SQLite-backed server."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def market_frame() -> pd.DataFrame:
    """The default real data, cleaned: arch's S&P 500, NASDAQ, VIX and WTI on common days."""
    from domains import get_domain

    finance = get_domain("finance")
    return finance.load(finance.parse_source("arch"))


def ohlcv_csv(path: Path, n: int = 600, seed: int = 0) -> Path:
    """A small, valid CSV of one asset (random walk), for tests that edit it into bad input."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, n)))
    frame = pd.DataFrame({"date": pd.bdate_range("2015-01-01", periods=n).date, "Open": open_, "High": high,
                          "Low": low, "Close": close, "Volume": rng.integers(1_000, 5_000, n)})
    frame.to_csv(path, index=False)
    return path
