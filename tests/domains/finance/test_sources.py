"""Bad real input gets one clear error that says what to fix."""
import numpy as np
import pandas as pd
import pytest

from domains import get_domain
from synthpipe.errors import InputDataError, UnknownNameError
from tests.conftest import ohlcv_csv

finance = get_domain("finance")


def load(path):
    return finance.load(finance.parse_source(f"csv:{path}"))


def test_default_source_aligns_four_series(market_frame):
    data = finance.load(finance.parse_source(None))
    assert {"SP500_Close", "NASDAQ_Volume", "VIX", "WTI"} <= set(data.columns)
    assert data.index.is_monotonic_increasing and not data.isna().any().any()
    assert len(data) > 1200


def test_arch_source_picks_series_by_name():
    sp500 = finance.load(finance.parse_source("arch:sp500"))
    # one index keeps the TimeGAN stock data's own columns, over its whole history
    assert list(sp500.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"] and len(sp500) > 5000
    pair = finance.load(finance.parse_source("arch:sp500,wti"))
    assert list(pair.columns) == ["SP500_Open", "SP500_High", "SP500_Low", "SP500_Close", "SP500_Adj Close",
                                  "SP500_Volume", "WTI"]
    assert finance.default_dataset_name(finance.parse_source("arch:sp500")) == "finance/sp500"
    assert finance.default_dataset_name(finance.parse_source("arch")) == "finance/markets"
    for bad in ("arch:gold", "arch:sp500,sp500"):
        with pytest.raises(InputDataError, match="offers sp500, nasdaq, vix, wti"):
            finance.load(finance.parse_source(bad))


def test_valid_csv_loads(tmp_path):
    data = load(ohlcv_csv(tmp_path / "ok.csv"))
    assert list(data.columns) == ["Open", "High", "Low", "Close", "Volume"] and len(data) == 600


def edit(tmp_path, change):
    path = ohlcv_csv(tmp_path / "in.csv")
    frame = pd.read_csv(path)
    frame = change(frame)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns=["date"]), "no date column"),
    (lambda f: f.assign(date=f.date.where(f.index != 4, "someday")), "not dates"),
    (lambda f: f.assign(Close=f.Close.astype(object).where(f.index != 5, "abc")), "not numeric"),
    (lambda f: f.assign(Close=f.Close.where((f.index < 50) | (f.index > 60))), "consecutive missing"),
    (lambda f: pd.concat([f, f.iloc[[10]]]).sort_values("date"), "duplicate dates"),
    (lambda f: f.iloc[::-1], "increasing order"),
    (lambda f: f.iloc[:100], "usable rows"),
    (lambda f: f.assign(Low=f.Low.where(f.index != 7, -1.0)), "zero or negative"),
    (lambda f: f.assign(Flat=1.0), "constant"),
    (lambda f: f.assign(Close=np.where(f.index == 3, np.inf, f.Close)), "infinite"),
])
def test_bad_csv_is_refused_with_a_reason(tmp_path, change, message):
    path = edit(tmp_path, change)
    with pytest.raises(InputDataError, match=message):
        data = load(path)
        finance.check_input(data)
        finance.split(data, finance.profile("quick"))
        finance.training_data(finance.split(data, finance.profile("quick")).train, finance.profile("quick"), "mdn-gru")


def test_short_gaps_are_carried_forward(tmp_path):
    path = edit(tmp_path, lambda f: f.assign(Close=f.Close.where(f.index != 20)))
    data = load(path)
    assert data["Close"].iloc[20] == data["Close"].iloc[19]


def test_ohlc_disorder_fails_the_input_suite(tmp_path):
    path = edit(tmp_path, lambda f: f.assign(High=f.High.where(f.index != 9, f.Low * 0.5)))
    with pytest.raises(InputDataError, match="expectation suite"):
        finance.check_input(load(path))


def test_missing_file_and_unknown_source_kind(tmp_path):
    with pytest.raises(InputDataError, match="does not exist"):
        load(tmp_path / "nope.csv")
    with pytest.raises(UnknownNameError, match="arch, csv"):
        finance.parse_source("parquet:x")
