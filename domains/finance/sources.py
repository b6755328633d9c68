"""Real daily market data: the series shipped inside `arch`, or a user's CSV."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from domains.base import SourceSpec, require
from synthpipe.errors import InputDataError

MAX_FILLED_GAP = 2  # consecutive missing days (or zero volumes) repaired by carrying the last value forward
MIN_ROWS = 500  # about two trading years: less cannot be split into blocks, holdout and windows


ARCH_SERIES = ("sp500", "nasdaq", "vix", "wti")  # the daily market series the `arch` package ships


def load_source(source: SourceSpec) -> pd.DataFrame:
    if source.kind == "arch":
        frame = load_arch(parse_arch_series(source.location))
    else:
        require(bool(source.location), "give the CSV path as csv:PATH, e.g. csv:prices.csv")
        frame = load_csv(Path(source.location))
    return clean(frame, str(source))


def parse_arch_series(location: str) -> tuple[str, ...]:
    """`arch` alone means all four series; `arch:sp500,vix` picks some."""
    if not location:
        return ARCH_SERIES
    chosen = tuple(name.strip().lower() for name in location.split(","))
    unknown = [name for name in chosen if name not in ARCH_SERIES]
    require(not unknown and len(set(chosen)) == len(chosen),
            f"arch:{location}: the arch source offers {', '.join(ARCH_SERIES)} (comma-separated, each once), "
            f"not {', '.join(unknown) or 'a repeated name'}")
    return chosen


def load_arch(series: tuple[str, ...] = ARCH_SERIES) -> pd.DataFrame:
    """Daily series from the `arch` package on their common trading days: S&P 500 and NASDAQ
    OHLCV (1999-2018), VIX (2014-2018) and WTI crude (1986-2018). A single equity index keeps its
    own column names (Open ... Volume, as in the TimeGAN stock data); several get a prefix."""
    import importlib

    def one(name: str) -> pd.DataFrame:
        frame = importlib.import_module(f"arch.data.{name}").load()
        if name in ("vix", "wti"):
            return frame.set_axis([name.upper()], axis=1)
        return frame if len(series) == 1 else frame.add_prefix(f"{name.upper()}_")

    frame = pd.concat([one(name) for name in series], axis=1, join="inner")
    frame.index.name = "date"
    return frame


def load_csv(path: Path) -> pd.DataFrame:
    """A CSV with one date column (named `date`, or the first column) and numeric columns."""
    if not path.is_file():
        raise InputDataError(f"CSV file {path} does not exist; check the path given as csv:PATH")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputDataError(f"cannot parse {path} as CSV ({exc}); export it as comma-separated text") from None
    date_column = next((c for c in frame.columns if str(c).strip().lower() == "date"), frame.columns[0] if len(frame.columns) else None)
    require(date_column is not None and len(frame.columns) >= 2,
            f"{path} needs a date column and at least one numeric column")
    require(not pd.api.types.is_numeric_dtype(frame[date_column]),
            f"{path}: no date column; the first column (or one named 'date') must hold dates such as 2020-01-31")
    dates = pd.to_datetime(frame[date_column], errors="coerce")
    require(dates.notna().all(),
            f"{path}: column {date_column!r} has {int(dates.isna().sum())} values that are not dates; "
            "the first column (or one named 'date') must hold ISO dates such as 2020-01-31")
    frame = frame.drop(columns=[date_column]).set_index(pd.DatetimeIndex(dates, name="date"))
    return frame


def clean(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Refuse what cannot be repaired, repair what is documented, return float columns by date."""
    require(len(frame.columns) > 0, f"{origin}: no data columns")
    duplicated = frame.index.duplicated()
    if duplicated.any():
        raise InputDataError(
            f"{origin}: {int(duplicated.sum())} duplicate dates (first: {frame.index[duplicated][0].date()}); "
            "keep one row per trading day"
        )
    require(frame.index.is_monotonic_increasing,
            f"{origin}: dates are not in increasing order; sort the rows by date")
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        column = non_numeric[0]
        bad = frame[column][pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()]
        raise InputDataError(
            f"{origin}: column(s) {non_numeric} are not numeric (e.g. {bad.iloc[0]!r} on "
            f"{bad.index[0].date()}); remove them or fix the values"
        )
    frame = frame.astype(np.float64)
    require(not np.isinf(frame.to_numpy()).any(), f"{origin}: infinite values; replace them with real numbers")
    empty = [c for c in frame.columns if frame[c].isna().all()]
    require(not empty, f"{origin}: column(s) {empty} are entirely empty; drop them")
    frame = _zero_volumes_as_missing(frame)
    _check_nan_runs(frame, origin)
    frame = frame.ffill().dropna()  # fills short gaps; drops leading NaN before a series starts
    require(len(frame) >= MIN_ROWS,
            f"{origin}: only {len(frame)} usable rows; need at least {MIN_ROWS} trading days")
    return frame


def _zero_volumes_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """A rare zero in an otherwise positive volume series is a feed error, not a day without
    trades: treat it as missing (then carried forward like any short gap)."""
    frame = frame.copy()
    for column in frame.columns:
        zeros = frame[column] == 0
        if str(column).lower().endswith("volume") and 0 < zeros.mean() < 0.01:
            frame.loc[zeros, column] = np.nan
    return frame


def _check_nan_runs(frame: pd.DataFrame, origin: str) -> None:
    for column in frame.columns:
        missing = frame[column].isna().to_numpy()
        first_valid = int(np.argmax(~missing))
        missing[:first_valid] = False  # a series starting later is trimmed, not filled
        run, longest, where = 0, 0, None
        for i, flag in enumerate(missing):
            run = run + 1 if flag else 0
            if run > longest:
                longest, where = run, i
        if longest > MAX_FILLED_GAP:
            start = frame.index[where - longest + 1].date()
            raise InputDataError(
                f"{origin}: column {column!r} has {longest} consecutive missing values from {start}; "
                f"gaps of up to {MAX_FILLED_GAP} days are carried forward, longer ones must be "
                "filled or the period removed"
            )
