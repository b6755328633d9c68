"""The measures of the finance record (bench/finance_record.py), kept apart from the gate's.

* **TimeGAN protocol** (Yoon et al., 2019, and the papers that compare against it): 24-step
  windows of the *price levels* in the source's own columns (for the S&P 500: Open, High, Low,
  Close, Adj Close, Volume, as in the paper's stock data), min-max scaled per column, as many
  synthetic windows as real ones; the discriminative and predictive scores with the paper's own
  settings (`validation.sequence_scores.TIMEGAN`). Real windows are the training side's; the
  predictive score forecasts real *holdout* windows, trained on synthetic (TSTR) or on real train
  (the real-on-real baseline).
  TimeGAN splits stride-1 windows of one series at random, so its discriminator is tested on
  near-copies of windows it trained on, and new real days (the holdout) "fail" it. With
  `discriminative_blocked` the classifier learns from half of the training blocks and is tested
  on the other half, so it must tell real from synthetic by what generalises.
* **Long paths**: stylized facts of daily close log returns over paths of a year and more, each as
  a distance to the real history: Wasserstein (EMD) distance of 1- and 20-day returns in units of
  the real standard deviation, mean |difference| of the autocorrelations of r, |r| and r^2 over
  lags 1..100, of the leverage curve corr(r_t, |r_t+k|) over lags 1..20, and |difference| of the
  Hill tail index of |r| (top 5 %).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from domains.base import Split, require
from domains.finance.codec import PriceCodec
from domains.finance.evaluation import distance_attacks, privacy_windows
from domains.finance.stylized_facts import pooled_corr
from domains.finance.windows import SEGMENT, days, segments, sliding_windows, windows_of
from validation.privacy import memorization
from validation.scaling import MinMax
from validation.sequence_scores import TIMEGAN, discriminative_score, predictive_score

ACF_LAGS = 100
LEVERAGE_LAGS = 20
LONG_HORIZON = 20  # days of the multi-day return distribution
TAIL_SHARE = 0.05  # largest |r| used by the Hill estimator
PRIVACY_MAX_WINDOWS = 20_000  # synthetic stretches the record's privacy attacks compare, at most

LONG_PATH_FACTS = ("emd_1d", "emd_20d", "acf_r", "acf_abs_r", "acf_r2", "leverage", "tail_index")


# --- TimeGAN protocol ------------------------------------------------------------------------

def level_windows(frames: list[pd.DataFrame], columns: list[str], length: int) -> np.ndarray:
    """Stride-1 windows of `columns` within each frame: `(n, length, len(columns))`."""
    return np.concatenate([sliding_windows(frame[columns].to_numpy(np.float64), length)
                           for frame in frames if len(frame) >= length])


def synthetic_level_windows(published: pd.DataFrame, columns: list[str], length: int) -> np.ndarray:
    """Every `length`-step window of each decoded synthetic path (paths of exactly `length` give one each)."""
    frames = [part for _, part in published.sort_values(["sequence_id", "step"]).groupby("sequence_id", sort=True)]
    return level_windows(frames, columns, length)


class RealWindows(NamedTuple):
    """The real side of the TimeGAN protocol on one split, min-max scaled by the training windows."""

    columns: list[str]
    blocks: list[pd.DataFrame]  # the training blocks, in order
    train: np.ndarray
    holdout: np.ndarray
    seen: np.ndarray  # windows of every other training block: what the blocked classifier learns from...
    unseen: np.ndarray  # ...and the real windows it is tested on
    scale: MinMax

    @classmethod
    def of(cls, split: Split, window: int) -> "RealWindows":
        columns = PriceCodec.fit(days(split.train)).columns
        blocks = segments(split.train)
        train = level_windows(blocks, columns, window)
        scale = MinMax(train)
        seen, unseen = (scale(level_windows(blocks[first::2], columns, window)) for first in (0, 1))
        return cls(columns, blocks, scale(train), scale(level_windows(segments(split.holdout), columns, window)),
                   seen, unseen, scale)

    def scaled(self, windows: np.ndarray) -> np.ndarray:
        """Other windows on the training scale. A path that ran off (a heavy-tailed baseline's
        prices can) is pinned just outside the real range: the classifier still sees it, and
        nothing overflows."""
        return self.scale(np.clip(windows, self.scale.low - self.scale.span, self.scale.low + 2 * self.scale.span))

    def discriminative(self, other: np.ndarray, seed: int, blocked: bool = False) -> float:
        """TimeGAN's discriminative score of scaled `other` windows against the training windows
        (its random split); `blocked`: learnt from every other training block, tested on real
        windows of the rest."""
        real, test = (self.seen, {"real_test": self.unseen}) if blocked else (self.train, {})
        return discriminative_score(real, other, seed=seed, **TIMEGAN["discriminative"], **test)


# TimeGAN's code reports the mean of its scores over 10 runs of the post-hoc networks
# (`metric_iteration`), so the published figures are such means. On the joint default data one
# run of the discriminator strays from the mean of ten on the same windows by 0.03-0.06 (sd; its
# test side is a few hundred windows, and its few units sometimes learn little), so a record of
# single runs spreads wide over seeds (bench/BENCHMARKS.md, the finance record).
CLASSIFIER_RUNS = 10


class ScoredWindows(NamedTuple):
    """The windows one row's TimeGAN scores are measured on: the real side, and the synthetic
    windows drawn for each score in the order `timegan_scores` draws them."""

    real: RealWindows
    synthetic: np.ndarray  # as many as the real training windows, or all there are
    synthetic_blocked: np.ndarray
    synthetic_predictive: np.ndarray
    real_predictive: np.ndarray

    @classmethod
    def of(cls, split: Split, synthetic_published: pd.DataFrame, window: int, seed: int) -> "ScoredWindows":
        real = RealWindows.of(split, window)
        synthetic = real.scaled(synthetic_level_windows(synthetic_published, real.columns, window))
        rng = np.random.default_rng(seed)
        n = min(len(real.train), len(synthetic))
        same = lambda x: x[rng.choice(len(x), min(n, len(x)), replace=False)]  # noqa: E731
        return cls(real, same(synthetic), same(synthetic), same(synthetic), same(real.train))


def discriminative_runs(w: ScoredWindows, seed: int, runs: int = CLASSIFIER_RUNS) -> dict[str, list[float]]:
    """TimeGAN's discriminative score of the synthetic windows and of the real holdout over
    `runs` classifier runs (seeds `seed`, `seed + 1`, ...): its code reports their mean. Run 0
    is the single run `timegan_scores` reports."""
    return {"discriminative": [w.real.discriminative(w.synthetic, seed + r) for r in range(runs)],
            "discriminative_real": [w.real.discriminative(w.real.holdout, seed + r) for r in range(runs)]}


def timegan_scores(w: ScoredWindows, seed: int, runs: dict[str, list[float]] | None = None) -> dict[str, float]:
    """Discriminative and predictive scores on price levels, and their real-data baselines (one
    run of each network). Given the `discriminative_runs` of the same windows and seed, their
    first runs are the discriminative scores, not measured again."""
    real = w.real
    runs = runs or discriminative_runs(w, seed, runs=1)
    return {
        "discriminative": runs["discriminative"][0],
        "discriminative_real": runs["discriminative_real"][0],
        "discriminative_blocked": real.discriminative(w.synthetic_blocked, seed, blocked=True),
        "discriminative_blocked_real": real.discriminative(real.holdout, seed, blocked=True),
        "predictive": predictive_score(w.synthetic_predictive, real.holdout, seed=seed, **TIMEGAN["predictive"]),
        "predictive_real": predictive_score(w.real_predictive, real.holdout, seed=seed, **TIMEGAN["predictive"]),
        "windows": len(w.synthetic),
    }


def restarted_windows(blocks: list[pd.DataFrame], columns: list[str], window: int, rng: np.random.Generator
                      ) -> np.ndarray:
    """Real dynamics somewhere else: each training window keeps its first day's levels and then
    moves as a window drawn from another block did (by the same ratios for positive columns,
    the same differences for the others). No window lies on the real history after its first day,
    yet every day-to-day move, and how the columns move together, is real."""
    per_block = [level_windows([block], columns, window) for block in blocks if len(block) >= window]
    require(len(per_block) >= 2, "restarting real windows needs at least two training blocks of one window")
    positive = np.concatenate(per_block).min(axis=(0, 1)) > 0
    out = []
    for b, own in enumerate(per_block):
        others = np.concatenate(per_block[:b] + per_block[b + 1 :])
        moves = others[rng.integers(len(others), size=len(own))].astype(np.float64)
        start, first = own[:, :1].astype(np.float64), moves[:, :1]
        out.append(np.where(positive, moves / np.where(positive, first, 1.0) * start, moves - first + start))
    return np.concatenate(out)


def real_discriminative_reference(split: Split, window: int, seed: int, rounds: int = 5) -> dict[str, list[float]]:
    """The discriminative scores of real training dynamics restarted in another block
    (`restarted_windows`), over `rounds` draws: what a generator that reproduces the market's
    moves exactly, but not its one history, would score. The TimeGAN classifier is tested on
    near-copies of the windows it trained on, so it also learns where the history went; with many
    columns that alone gives such windows away (see bench/BENCHMARKS.md, the finance record)."""
    real = RealWindows.of(split, window)
    scores: dict[str, list[float]] = {"discriminative": [], "discriminative_blocked": []}
    for round_ in range(rounds):
        restarted = real.scaled(restarted_windows(real.blocks, real.columns, window,
                                                  np.random.default_rng(seed + round_)))
        scores["discriminative"].append(real.discriminative(restarted, seed + round_))
        scores["discriminative_blocked"].append(real.discriminative(restarted, seed + round_, blocked=True))
    return scores


# --- long paths ------------------------------------------------------------------------------

def acf_curve(r: np.ndarray, lags: int) -> np.ndarray:
    """Pooled autocorrelation of `(n_paths, T)` series at lags 1..lags."""
    return np.array([pooled_corr(r, r, k) for k in range(1, lags + 1)])


def hill_tail_index(r: np.ndarray, share: float = TAIL_SHARE) -> float:
    """Hill's estimator of the tail index of |r| from its largest `share` of values."""
    tail = np.sort(np.abs(r).ravel())[::-1]
    k = max(int(share * len(tail)), 10)
    return float(1.0 / np.mean(np.log(tail[:k] / tail[k])))


def horizon_returns(r: np.ndarray, horizon: int) -> np.ndarray:
    """Non-overlapping `horizon`-day sums of daily log returns, pooled."""
    usable = r.shape[1] // horizon * horizon
    return r[:, :usable].reshape(len(r), -1, horizon).sum(-1).ravel()


def long_path_facts(r: np.ndarray) -> dict:
    """The curves and numbers the distances compare, for `(n_paths, T)` daily log returns."""
    centred = r - r.mean()
    return {
        "r1": r.ravel(), "r20": horizon_returns(r, LONG_HORIZON), "std": float(r.std()),
        "acf_r": acf_curve(r, ACF_LAGS), "acf_abs_r": acf_curve(np.abs(centred), ACF_LAGS),
        "acf_r2": acf_curve(centred**2, ACF_LAGS),
        "leverage": np.array([pooled_corr(r, np.abs(r), k) for k in range(1, LEVERAGE_LAGS + 1)]),
        "tail_index": hill_tail_index(centred),
    }


def long_path_distances(synthetic: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Distances between the facts of synthetic `(n, T)` and real `(m, T')` daily log returns."""
    s, q = long_path_facts(synthetic), long_path_facts(real)
    emd = lambda key, scale: stats.wasserstein_distance(s[key], q[key]) / scale  # noqa: E731
    return {
        "emd_1d": emd("r1", q["std"]),
        "emd_20d": emd("r20", q["std"] * np.sqrt(LONG_HORIZON)),
        **{key: float(np.mean(np.abs(s[key] - q[key]))) for key in ("acf_r", "acf_abs_r", "acf_r2", "leverage")},
        "tail_index": abs(s["tail_index"] - q["tail_index"]),
    }


def real_return_series(data: pd.DataFrame, codec: PriceCodec) -> list[np.ndarray]:
    """Each return column's whole real history as one `(1, T)` series of daily log returns."""
    return [np.log(data[c].to_numpy(np.float64)[1:] / data[c].to_numpy(np.float64)[:-1])[None]
            for c in codec.return_columns]


def synthetic_return_series(paths: np.ndarray, codec: PriceCodec) -> list[np.ndarray]:
    """Each return column's `(n, T)` log returns from encoded synthetic paths."""
    names = codec.feature_names
    return [paths[..., names.index(f"{c}:logret")].astype(np.float64) for c in codec.return_columns]


def long_path_scores(paths: np.ndarray, data: pd.DataFrame, codec: PriceCodec) -> dict[str, float]:
    """Each fact's distance averaged over the return columns (assets)."""
    per_asset = [long_path_distances(s, r) for s, r in zip(synthetic_return_series(paths, codec),
                                                           real_return_series(data, codec))]
    return {fact: float(np.mean([d[fact] for d in per_asset])) for fact in LONG_PATH_FACTS}


# --- privacy on the features the generators learn ---------------------------------------------

def privacy_scores(split: Split, paths: np.ndarray, codec: PriceCodec, window: int, seed: int,
                   max_windows: int = PRIVACY_MAX_WINDOWS) -> dict[str, float]:
    """On min-max scaled feature windows (every `window`-day stretch of the synthetic paths):
    the share closer to a train than to a holdout window, the calibrated membership AUC, the
    share closer to a training window than 95 % of holdout windows are (`memorized`, ~0.05 for
    a generator that copies nothing) and the share that repeats a training window exactly
    (`copied`: scaled distance below 1e-6, i.e. the same `window` days to float precision)."""
    windows = privacy_windows(split, codec.changes(paths), codec, window, seed, max_windows)
    closer, mia = distance_attacks(windows, seed)
    near = memorization(windows.synthetic, windows.train, windows.holdout)
    return {
        "closer_to_train": closer, "membership_auc": mia,
        "memorized": near["share"], "copied": float(np.mean(near["distance"] < 1e-6)),
    }


def real_privacy_reference(split: Split, codec: PriceCodec, window: int, seed: int, rounds: int = 20
                           ) -> dict[str, list[float]]:
    """The closer-to-train share and membership AUC of *real* windows that neither side holds:
    what a generator drawing fresh days from the market itself would score on this split.

    Each round sets aside as many training blocks as the holdout has; their windows stand in for
    the synthetic ones and the other training blocks for the training set. The spread over the
    rounds is the attacks' own noise at this many blocks: with few holdout blocks (three on the
    joint default data) a share or an AUC swings by a tenth between equally real data."""
    blocks = split.train[SEGMENT].unique() if SEGMENT in split.train.columns else np.zeros(0)
    n_fresh = split.holdout[SEGMENT].nunique() if SEGMENT in split.holdout.columns else 0
    require(n_fresh >= 1 and len(blocks) > n_fresh,
            "the real privacy reference needs a blocked split with more training blocks than holdout blocks")
    rng = np.random.default_rng(seed)
    scores: dict[str, list[float]] = {"closer_to_train": [], "membership_auc": []}
    for round_ in range(rounds):
        fresh = split.train[SEGMENT].isin(rng.choice(blocks, n_fresh, replace=False))
        unseen = windows_of(split.train[fresh], codec.encode_changes, window)[0]
        rest = Split(split.train[~fresh], split.holdout, split.description)
        closer, mia = distance_attacks(privacy_windows(rest, unseen, codec, window, seed + round_, len(unseen)),
                                       seed + round_)
        scores["closer_to_train"].append(closer)
        scores["membership_auc"].append(mia)
    return scores


VOLATILITY_CLASSES = 5  # quintiles of trailing volatility for the `clustered` yardstick
VOLATILITY_DAYS = 20  # trailing days of that volatility


def volatility_classes(blocks: list[np.ndarray], classes: int = VOLATILITY_CLASSES,
                       trailing: int = VOLATILITY_DAYS) -> np.ndarray:
    """The volatility class (0 = calmest) of every day of the encoded `blocks`, in order: the
    quantile bin of its first feature's (the first asset's close log return) standard deviation
    over the trailing `trailing` days of its block (fewer at a block's start)."""
    volatility = np.concatenate([pd.Series(block[:, 0]).rolling(trailing, min_periods=2).std().bfill().to_numpy()
                                 for block in blocks])
    return np.digitize(volatility, np.quantile(volatility, np.linspace(0, 1, classes + 1)[1:-1]))


def privacy_yardsticks(split: Split, codec: PriceCodec, window: int, seed: int, rounds: int = 20,
                       n_paths: int = 400, length: int = 252) -> dict[str, list[float]]:
    """The closer-to-train share and membership AUC of four outputs whose privacy is known, to
    read a generator's scores against:

    * `shuffled`: real training days in random order (paths of days drawn at random, with
      replacement). Each day is a training record's own, but no stretch of history is: what a
      generator that reproduced the joint distribution of a training day's features exactly would
      score, with no volatility clustering or other order in time.
    * `clustered`: the same days, but each path draws all its days from one volatility class
      (`volatility_classes`): volatility clusters as strongly as it can, and still no stretch of
      history is anyone's. What it scores beyond `shuffled` is what clustering alone costs.
    * `average`: the training days' average day, every day. It tells nothing about any record,
      and what the attacks make of it is what they read into typicality alone (a calm window is
      nearest whichever side holds the calmest windows).
    * `published`: every training window itself, what publishing the training data would score.
    """
    blocks = [codec.encode_changes(part) for part in segments(split.train)]
    train_days = np.concatenate(blocks)
    average = np.broadcast_to(train_days.mean(0), (1, length, train_days.shape[1]))
    published = windows_of(split.train, codec.encode_changes, window)[0]
    classes = volatility_classes(blocks)
    pools = [np.flatnonzero(classes == c) for c in np.unique(classes)]
    rng, clustering = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    names = ("shuffled", "clustered", "average", "published")
    scores: dict[str, list[float]] = {f"{name}_{key}": [] for name in names
                                      for key in ("closer_to_train", "membership_auc")}
    for round_ in range(rounds):  # the attacks subsample both real sides afresh in every round
        shuffled = train_days[rng.integers(0, len(train_days), (n_paths, length))]
        clustered = train_days[np.stack([clustering.choice(pools[c], length)
                                         for c in clustering.integers(0, len(pools), n_paths)])]
        for name, paths in zip(names, (shuffled, clustered, average, published)):
            windows = privacy_windows(split, paths, codec, window, seed + round_, PRIVACY_MAX_WINDOWS)
            closer, mia = distance_attacks(windows, seed + round_)
            scores[f"{name}_closer_to_train"].append(closer)
            scores[f"{name}_membership_auc"].append(mia)
    return scores
