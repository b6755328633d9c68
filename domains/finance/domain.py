"""The finance domain: daily multi-asset market data as sequences of returns."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from domains.base import Domain, SourceSpec, Split
import generators
from domains.finance import publishing
from domains.finance.codec import PriceCodec, level_inputs
from domains.finance.evaluation import evaluate, fit_codec
from domains.finance.expectations import input_suite
from domains.finance.priming import days_after, recent_history, stated_days
from domains.finance.profiles import PROFILES, FinanceProfile
from domains.finance.regimes import Regime, RegimeSpec, comparison, history, regime_split, sample_regime
from domains.finance.sources import ARCH_SERIES, load_source, parse_arch_series
from domains.finance.windows import days, split_blocked, window_starts, windows_of
from generators.base import LevelledSequences
from synthpipe.errors import InputDataError
from validation.expectations import describe_failures, run_suite
from validation.report import Report


class FinanceDomain(Domain):
    name = "finance"
    source_kinds = ("arch", "csv")
    default_source = "arch"
    default_generator = "mdn-gru"
    profiles = PROFILES
    default_schedule = "0 6 * * 2-6"  # after each US trading day

    def default_dataset_name(self, source: SourceSpec) -> str:
        if source.kind != "arch":
            return super().default_dataset_name(source)
        series = parse_arch_series(source.location)
        return "finance/markets" if series == ARCH_SERIES else "finance/" + "-".join(series)

    def load(self, source: SourceSpec, home: Path | None = None) -> pd.DataFrame:
        return load_source(source)

    def describe(self, data: pd.DataFrame) -> str:
        return f"{len(data)} rows x {len(data.columns)} columns"

    def fingerprint(self, data: pd.DataFrame) -> str:
        digest = hashlib.sha256()
        digest.update("|".join(map(str, data.columns)).encode())
        digest.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        return digest.hexdigest()

    def check_input(self, data: pd.DataFrame) -> dict:
        summary = run_suite("finance.input", data.reset_index(), input_suite(data))
        if not summary["success"]:
            raise InputDataError(f"real data failed its expectation suite: {describe_failures(summary)}")
        return summary

    def split(self, data: pd.DataFrame, profile: FinanceProfile) -> Split:
        # Windows never cross a block boundary, so the embargo only has to keep the two sides
        # from touching: one metric window's length.
        return split_blocked(data, profile.holdout_fraction, profile.block, profile.window, profile.holdout_fold)

    def training_data(self, train: pd.DataFrame, profile: FinanceProfile,
                      generator: str) -> np.ndarray | LevelledSequences:
        """Windows of encoded days; for a generator that reads levels, with the level each window
        starts from of every mean-reverting series."""
        plan = profile.plan(generator)
        codec, length = fit_codec(train), plan.train_window or profile.train_window
        windows = windows_of(train, codec.encode, length, plan.train_stride)[0]
        if not codec.mean_reverting or not generators.get_generator_class(generator).reads_levels:
            return windows
        return LevelledSequences(windows, codec.level_features,
                                 codec.levels(window_starts(train, length, plan.train_stride)))

    def sample_request(self, profile: FinanceProfile, train: pd.DataFrame, n: int | None,
                       generator: str | None = None) -> dict:
        return {"n": n or profile.n_sequences, "length": profile.sequence_length}

    def decode(self, synthetic: np.ndarray, train: pd.DataFrame, seed: int) -> pd.DataFrame:
        codec = fit_codec(train)
        return codec.decode(synthetic, start_days(train, codec, len(synthetic), seed, synthetic.shape[1]))

    def parse_regime(self, text: str) -> RegimeSpec:
        return RegimeSpec.parse(text)

    def resolve_regime(self, text: str, split: Split, length: int) -> Regime:
        """A `--regime` on paths of `length` days of this data: its measured column and level."""
        return RegimeSpec.parse(text).resolve(history(split), fit_codec(split.train), length)

    def sample(self, model, split: Split, request: dict, seed: int, regime: str | None = None,
               progress=None) -> tuple[np.ndarray, pd.DataFrame]:
        if not regime:
            codec = fit_codec(split.train)
            synthetic, starts = draw_paths(model, split.train, codec, request["n"], request["length"], seed)
            return synthetic, codec.decode(synthetic, starts)
        resolved = self.resolve_regime(regime, split, request["length"])
        drawn = sample_regime(model, resolved, split, fit_codec(split.train), request["n"], request["length"], seed,
                              progress)
        return drawn.synthetic, drawn.published

    def reference(self, split: Split, profile: FinanceProfile, regime: str | None = None) -> Split:
        """The real data the fidelity of a regime's scenarios is judged against: that regime's
        periods (the whole split without a regime)."""
        if not regime:
            return split
        length = profile.sequence_length
        return regime_split(split, self.resolve_regime(regime, split, length), length, profile.window)

    def evaluate(self, split: Split, synthetic: np.ndarray, published: pd.DataFrame, profile: FinanceProfile,
                 seed: int, regime: str | None = None) -> Report:
        return evaluate(split, synthetic, published, profile, seed, self.reference(split, profile, regime))

    def write_published(self, published: pd.DataFrame, synthetic: np.ndarray, split: Split, report: Report,
                        folder: Path, context: dict, profile: FinanceProfile) -> None:
        regime_text = context.get("regime")
        if not regime_text:
            publishing.write(published, synthetic, split, report, folder, context, profile.window)
            return
        # Scenarios of a regime are pictured beside, and compared with, the real periods of that regime.
        length = profile.sequence_length
        regime = self.resolve_regime(regime_text, split, length)
        table = comparison(regime, split, published, length, fit_codec(split.train).return_columns[0])
        publishing.write(published, synthetic, regime_split(split, regime, length, profile.window), report, folder,
                         context, profile.window, publishing.regime_section(regime, table))

    def schema(self, published: pd.DataFrame) -> dict:
        return publishing.schema(published)

    def counts(self, published: pd.DataFrame, synthetic: np.ndarray) -> dict:
        return {"rows": len(published), "sequences": int(synthetic.shape[0])}

    def read_published(self, folder: Path, as_: str | None = None) -> pd.DataFrame:
        """The published table as a pandas DataFrame (the only form finance offers)."""
        if as_ not in (None, "frame"):
            raise InputDataError(f"finance datasets load as a DataFrame; as_={as_!r} is not offered")
        return pd.read_parquet(folder / publishing.DATA_FILE)


def start_positions(train: pd.DataFrame, n: int, seed: int, length: int | None = None) -> np.ndarray:
    """The position in the training days each of `n` paths starts from, drawn at random with `seed`.

    A path of `length` steps starts on a day that a real stretch of `length` training days
    leaves from (the days `window_starts` gives, which training windows leave from too): short
    paths then begin where the real windows they stand in for begin, not in a block's last days,
    from which no real window of that length runs. Paths longer than every block, or of no
    stated length, start on any training day."""
    candidates = leaving_days(train, length) if length else np.zeros(0, dtype=int)
    if not len(candidates):
        candidates = np.arange(len(train))
    return candidates[np.random.default_rng(seed).integers(0, len(candidates), n)]


def leaving_days(train: pd.DataFrame, length: int) -> np.ndarray:
    """Positions of the training days with at least `length` more days of their block after them."""
    return np.flatnonzero(days_after(train) >= length)


def start_days(train: pd.DataFrame, codec: PriceCodec, n: int, seed: int, length: int | None = None
               ) -> pd.DataFrame:
    """The real training day each of `n` paths of `length` steps starts from (drawn at random with
    `seed`, as `start_positions` says): realistic price levels and cross-asset ratios, while every
    step after it is synthetic. Each row carries the codec's state that day (the volumes' running
    averages over its block so far)."""
    return stated_days(train, codec).iloc[start_positions(train, n, seed, length)]


def draw_paths(model, train: pd.DataFrame, codec: PriceCodec, n: int, length: int | None, seed: int
               ) -> tuple[np.ndarray, pd.DataFrame]:
    """`n` encoded paths and the real day each starts from. The start days are drawn first, so a
    model that reads levels starts where they stand, and one that reads history continues the
    days of its block that led to its start day (`domains/finance/priming.py`)."""
    positions = start_positions(train, n, seed, length)
    starts = stated_days(train, codec).iloc[positions]
    if not getattr(model, "reads_history", False):
        return model.sample(n, seed=seed, length=length, **level_inputs(model, codec, starts)), starts
    history = recent_history(train, codec, positions)
    levels = level_inputs(model, codec, days(train).iloc[history.before])  # where its history starts
    return model.sample(n, seed=seed, length=length, context=history.context, context_days=history.days,
                        **levels), starts
