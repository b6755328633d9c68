"""Market regimes for stress scenarios: what a regime is, where it occurred, and sampling it.

A regime is a property of a whole path, measured on its published price levels:

* `high-vol[:LEVEL]` — the mean VIX over the path at least LEVEL (with a VIX column), else the
  annualised volatility (%) of the first asset's close at least LEVEL;
* `calm[:LEVEL]` — the same measure at most LEVEL;
* `drawdown:PCT` — a fall of at least PCT % from a running peak of the first asset's close.

Without LEVEL, high-vol and calm take the 80th / 20th percentile of the measure over every real
stretch of the path's length, so they always name something the history shows.

Sampling is conditioning by construction and verified: each path starts from the levels of a real
training day on which a real stretch of that regime began, generators that read history are
primed with the days before it, and only paths whose own measure meets the regime are kept.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domains.base import Split, require
from domains.finance.codec import PriceCodec, level_inputs
from domains.finance.priming import PRIME_DAYS, EncodedHistory, stated_days
from domains.finance.windows import SEGMENT, days
from synthpipe.errors import InputDataError

KINDS = ("high-vol", "calm", "drawdown")
DEFAULT_QUANTILE = {"high-vol": 0.8, "calm": 0.2}
MAX_DRAW_FACTOR = 50  # candidate paths drawn per requested path before giving up


@dataclass(frozen=True)
class RegimeSpec:
    """A regime as the user wrote it; `resolve` ties it to a dataset's columns and history."""

    kind: str
    level: float | None = None

    @classmethod
    def parse(cls, text: str) -> "RegimeSpec":
        kind, _, level = text.strip().lower().partition(":")
        if kind not in KINDS:
            raise InputDataError(f"unknown regime {text!r}; use one of high-vol[:LEVEL], calm[:LEVEL], drawdown:PCT")
        if not level:
            require(kind != "drawdown", "drawdown needs a size in percent, e.g. drawdown:15")
            return cls(kind)
        try:
            value = float(level)
        except ValueError:
            raise InputDataError(f"regime level {level!r} in {text!r} is not a number") from None
        require(np.isfinite(value) and value > 0, f"regime level in {text!r} must be a positive number")
        require(kind != "drawdown" or value < 100, f"a drawdown of {value:g} % is impossible; give 0 < PCT < 100")
        return cls(kind, value)

    def __str__(self) -> str:
        return self.kind if self.level is None else f"{self.kind}:{self.level:g}"

    def resolve(self, history: pd.DataFrame, codec: PriceCodec, length: int) -> "Regime":
        """The concrete regime on this data: its measured column and level."""
        require(bool(codec.return_columns), "regimes are measured on a positive price series, and this data has "
                                            "none (only columns with zero or negative values)")
        vix = next((c for c in codec.columns if "vix" in str(c).lower() and c not in codec.aliases), None)
        first = codec.return_columns[0]  # the first asset's close, else the first positive series
        if self.kind == "drawdown":
            regime = Regime(self.kind, first, "drawdown", self.level, ">=")
        else:
            column, measure = (vix, "mean") if vix is not None else (first, "volatility")
            regime = Regime(self.kind, column, measure, float("nan"), ">=" if self.kind == "high-vol" else "<=")
        if self.level is None:
            values = regime.measure_levels(real_stretches(history[regime.column].to_numpy(float), length))
            return regime.with_level(float(np.quantile(values, DEFAULT_QUANTILE[self.kind])))
        return regime.with_level(self.level)


@dataclass(frozen=True)
class Regime:
    kind: str
    column: str  # the series measured
    measure: str  # "mean" level, annualised "volatility" (%), or largest "drawdown" (%)
    level: float
    direction: str  # ">=" or "<="

    def with_level(self, level: float) -> "Regime":
        return Regime(self.kind, self.column, self.measure, level, self.direction)

    @property
    def label(self) -> str:
        return {"mean": f"mean {self.column}", "volatility": f"annualised volatility of {self.column} (%)",
                "drawdown": f"largest drawdown of {self.column} (%)"}[self.measure]

    def describe(self) -> str:
        return f"{self.kind}: {self.label} {self.direction} {self.level:.4g}"

    def measure_levels(self, levels: np.ndarray) -> np.ndarray:
        """The measure of each path of levels `(n, T)` of the regime's column."""
        levels = np.asarray(levels, dtype=np.float64)
        if self.measure == "mean":
            return levels.mean(axis=1)
        if self.measure == "volatility":
            return np.diff(np.log(levels), axis=1).std(axis=1, ddof=1) * np.sqrt(252) * 100
        return largest_drawdown(levels)

    def holds(self, values: np.ndarray) -> np.ndarray:
        return values >= self.level if self.direction == ">=" else values <= self.level


def largest_drawdown(levels: np.ndarray) -> np.ndarray:
    """The largest fall from a running peak (%) of each path of levels `(n, T)`."""
    return (1 - levels / np.maximum.accumulate(levels, axis=1)).max(axis=1) * 100


def real_stretches(series: np.ndarray, length: int) -> np.ndarray:
    """Every stretch of `length` consecutive values, `(n, length)`."""
    require(len(series) >= length, f"the history has {len(series)} days, fewer than one {length}-day path")
    return np.lib.stride_tricks.sliding_window_view(series, length)


def history(split: Split) -> pd.DataFrame:
    """Every real day of both sides in date order (the embargo days are not in either)."""
    return days(pd.concat([split.train, split.holdout]).sort_index())


def regime_starts(split: Split, regime: Regime, length: int) -> pd.Series:
    """For each real day, whether the `length`-day stretch starting on it is of the regime."""
    real = history(split)
    values = regime.measure_levels(real_stretches(real[regime.column].to_numpy(float), length))
    starts = np.zeros(len(real), dtype=bool)
    starts[: len(values)] = regime.holds(values)
    if not starts.any():
        best = values.max() if regime.direction == ">=" else values.min()
        raise InputDataError(f"no real {length}-day stretch is of regime {regime.describe()} (the most extreme "
                             f"is {best:.4g}); choose a level the history reaches")
    return pd.Series(starts, index=real.index)


def regime_split(split: Split, regime: Regime, length: int, window: int) -> Split:
    """The real days that lie in a stretch of the regime, per side: the reference of a regime run.

    A side's blocks are cut where regime days stop, so no window joins two separate periods."""
    starts = regime_starts(split, regime, length)
    covered = np.convolve(starts.to_numpy().astype(float), np.ones(length))[: len(starts)] > 0
    in_regime = pd.Series(covered, index=starts.index)
    sides = []
    for name, side in (("train", split.train), ("holdout", split.holdout)):
        keep = in_regime.reindex(side.index).to_numpy()
        part = side[keep].copy()
        # A new segment wherever a block continues after days outside the regime.
        position = np.flatnonzero(keep)
        breaks = np.concatenate([[True], np.diff(position) > 1]) if len(position) else np.zeros(0, bool)
        part[SEGMENT] = np.cumsum(breaks | (part[SEGMENT].diff().fillna(1) != 0).to_numpy())
        longest = part.groupby(SEGMENT).size().max() if len(part) else 0
        require(longest >= window, f"the real {name} days hold no {window}-day period of regime "
                                   f"{regime.describe()} ({len(part)} days in all), so it cannot be checked "
                                   "against real data; choose a milder level or a longer history")
        sides.append(part)
    return Split(sides[0], sides[1], f"{split.description}; restricted to periods of regime {regime.describe()}")


def anchors(train: pd.DataFrame, starts: pd.Series, prime: int) -> np.ndarray:
    """Positions in the training days after which a real regime stretch began, with `prime`
    earlier days of the same block to prime a generator with."""
    plain = days(train)
    begins = starts.shift(-1, fill_value=False).reindex(plain.index, fill_value=False).to_numpy()
    segment = train[SEGMENT].to_numpy() if SEGMENT in train.columns else np.zeros(len(train), int)
    ok = np.zeros(len(plain), dtype=bool)
    ok[prime:] = segment[prime:] == segment[: len(segment) - prime]  # the `prime` days before: same block
    found = np.flatnonzero(begins & ok)
    require(len(found) > 0, "no training day both opens a real stretch of the regime and has "
                            f"{prime} days of history before it in its block; choose a milder level")
    return found


@dataclass
class RegimeSample:
    synthetic: np.ndarray
    published: pd.DataFrame
    drawn: int  # candidate paths generated
    values: np.ndarray  # the regime measure of each kept path


def sample_regime(model, regime: Regime, split: Split, codec: PriceCodec, n: int, length: int, seed: int,
                  progress=None) -> RegimeSample:
    """`n` paths of `length` days of the regime, drawn from `model` and kept only if they are."""
    train = days(split.train)
    starts = regime_starts(split, regime, length)
    candidates = anchors(split.train, starts, PRIME_DAYS)
    stated = stated_days(split.train, codec)
    rng = np.random.default_rng(seed)
    primes = getattr(model, "reads_history", False)
    encoded = EncodedHistory.of(split.train, codec) if primes else None  # once, for every batch
    kept, kept_starts, values, drawn, got = [], [], [], 0, 0
    limit = MAX_DRAW_FACTOR * n
    while got < n:
        if drawn >= limit:
            raise InputDataError(f"only {got} of {drawn} generated paths were of regime {regime.describe()} "
                                 f"({got / drawn:.2%}); ask for fewer paths or a milder level")
        batch = int(min(limit - drawn, max(64, 2 * (n - got))))
        picks = candidates[rng.integers(0, len(candidates), batch)]
        # a primed path's levels start before its history, and the history brings them to its start day
        primed = encoded.leading_to(picks, PRIME_DAYS) if primes else None
        levels = level_inputs(model, codec, train.iloc[primed.before if primes else picks])
        draw_seed = int(rng.integers(2**31))
        paths = model.sample(batch, seed=draw_seed, length=length, **levels,
                             **({"context": primed.context, "context_days": primed.days} if primes else {}))
        drawn += batch
        levels = codec.decode(paths, stated.iloc[picks])
        measured = regime.measure_levels(levels[regime.column].to_numpy().reshape(batch, length))
        good = regime.holds(measured)
        kept.append(paths[good])
        kept_starts.append(picks[good])
        values.append(measured[good])
        got += int(good.sum())
        if progress:
            progress(min(got, n), n, drawn)
    synthetic = np.concatenate(kept)[:n]
    published = codec.decode(synthetic, stated.iloc[np.concatenate(kept_starts)[:n]])
    return RegimeSample(synthetic, published, drawn, np.concatenate(values)[:n])


def comparison(regime: Regime, split: Split, published: pd.DataFrame, length: int, asset: str) -> pd.DataFrame:
    """The same measures on the synthetic paths, on the real stretches of the regime and on every
    real stretch, for the data card: how well the scenarios match real periods of that regime."""
    real = history(split)
    every = {c: real_stretches(real[c].to_numpy(float), length) for c in dict.fromkeys([regime.column, asset])}
    in_regime = regime.holds(regime.measure_levels(every[regime.column]))
    synthetic = {c: published[c].to_numpy(float).reshape(-1, length) for c in every}
    sides = {"synthetic": synthetic, "real, this regime": {c: v[in_regime] for c, v in every.items()},
             "real, every period": every}
    reference = np.diff(np.log(every[asset][in_regime]), axis=1).ravel()
    rows = {}
    for name, levels in sides.items():
        returns = np.diff(np.log(levels[asset]), axis=1)
        flat = returns.ravel()
        abs_r = np.abs(returns - returns.mean(axis=1, keepdims=True))
        rows[name] = {
            "paths (real: overlapping stretches)": len(levels[asset]),
            f"{regime.label}, median": np.median(regime.measure_levels(levels[regime.column])),
            f"annualised volatility of {asset} (%)": flat.std(ddof=1) * np.sqrt(252) * 100,
            f"largest drawdown of {asset} (%), median": np.median(largest_drawdown(levels[asset])),
            "daily return 1st percentile (%)": np.percentile(flat, 1) * 100,
            "daily return excess kurtosis": pd.Series(flat).kurt(),
            "ACF of absolute returns at lag 1": np.corrcoef(abs_r[:, 1:].ravel(), abs_r[:, :-1].ravel())[0, 1],
            "EMD of daily returns to this regime's (sd units)": _emd(flat, reference) / reference.std(),
        }
    return pd.DataFrame(rows)


def _emd(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a, b))
