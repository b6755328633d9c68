"""The finance report: TimeGAN scores, distances, stylized facts, privacy and the output suite."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from domains.base import Split, require
from domains.finance.codec import PriceCodec
from domains.finance.expectations import output_suite
from domains.finance.profiles import FinanceProfile
from domains.finance.stylized_facts import facts
from domains.finance.windows import days, sub_windows, windows_of
from validation.distances import correlation_distance, marginal_wasserstein
from validation.expectations import run_suite
from validation.privacy import closer_to_train_share, membership_auc
from validation.report import Metric, Report, relative_threshold
from validation.scaling import MinMax
from validation.sequence_scores import discriminative_score, predictive_score


def fit_codec(train: pd.DataFrame) -> PriceCodec:
    """The codec every stage uses: column roles learned from the real training days."""
    return PriceCodec.fit(days(train))


def metric_windows(codec: PriceCodec, split: Split, synthetic: np.ndarray, window: int):
    """Real train, real holdout (all stride-1 windows) and synthetic windows of `window` steps.

    Long synthetic paths are cut into non-overlapping windows for the fidelity metrics."""
    train, _ = windows_of(split.train, codec.encode, window)
    holdout, _ = windows_of(split.holdout, codec.encode, window)
    return train, holdout, sub_windows(synthetic, window, window)


def return_indices(codec: PriceCodec) -> list[int]:
    names = codec.feature_names
    return [names.index(f"{c}:logret") for c in codec.return_columns]


class PrivacyWindows(NamedTuple):
    """Min-max scaled feature windows the privacy attacks compare, with the real ones' time keys."""

    train: np.ndarray
    holdout: np.ndarray
    synthetic: np.ndarray
    train_keys: np.ndarray
    holdout_keys: np.ndarray
    window: int


def privacy_windows(split: Split, paths: np.ndarray, codec: PriceCodec, window: int, seed: int,
                    max_windows: int) -> PrivacyWindows:
    """Every real window of each side, and every `window`-day stretch of the synthetic paths
    (stride 1, so a copied stretch of training days is found wherever it starts), at most
    `max_windows` of them: a bounded cost, and copies recur at every offset anyway. All in the
    attacks' view of the features (`codec.encode_changes`): `paths` come in that view
    (`codec.changes` of generated paths)."""
    require(paths.shape[1] >= window, f"synthetic paths of {paths.shape[1]} days are shorter than the "
                                      f"{window}-day window the privacy checks compare")
    train, train_keys = windows_of(split.train, codec.encode_changes, window)
    holdout, holdout_keys = windows_of(split.holdout, codec.encode_changes, window)
    scale = MinMax(train)
    synthetic = scale(sub_windows(paths, window, 1))
    if len(synthetic) > max_windows:
        synthetic = synthetic[np.sort(np.random.default_rng(seed).choice(len(synthetic), max_windows, replace=False))]
    return PrivacyWindows(scale(train), scale(holdout), synthetic, train_keys, holdout_keys, window)


# The closer-to-train share compares with a few hundred real windows a side, so one subsample of
# the training windows swings it by about ±0.06 on the default data (sd over draws, for the same
# synthetic windows): on a single draw the quick model's gate failed the 0.65 limit on two seeds
# of five whose mean over draws was 0.59-0.61. The mean of 20 draws is steady to about ±0.015.
ATTACK_DRAWS = 20


def distance_attacks(w: PrivacyWindows, seed: int) -> tuple[float, float]:
    """The closer-to-train share (the mean over `ATTACK_DRAWS` subsamples) and the calibrated
    membership AUC, with every real window a query (no subsample to draw), on the same windows."""
    return (closer_to_train_share(w.synthetic, w.train, w.holdout, seed=seed, draws=ATTACK_DRAWS),
            membership_auc(w.synthetic, w.train, w.holdout, seed=seed, member_times=w.train_keys,
                           non_member_times=w.holdout_keys, min_gap=w.window, balance=False))


def evaluate(split: Split, synthetic: np.ndarray, published: pd.DataFrame, profile: FinanceProfile,
             seed: int, reference: Split | None = None) -> Report:
    """The gate's report. With `reference` (the real periods of a regime), fidelity is judged
    against it, while privacy is still judged on the whole split: every training record is
    protected, and the attacks need the whole holdout (a regime's few holdout days are too
    alike to calibrate them)."""
    codec = fit_codec(split.train)
    t = profile.thresholds
    fidelity = reference or split
    train_w, _ = windows_of(fidelity.train, codec.encode, profile.window)
    holdout_w, _ = windows_of(fidelity.holdout, codec.encode, profile.window)
    synth_w = sub_windows(synthetic, profile.window, profile.window)
    scale = MinMax(train_w)
    tr, ho, sy = scale(train_w), scale(holdout_w), scale(synth_w)
    report = Report()

    score_args = dict(seed=seed, steps=profile.score_steps)
    disc = discriminative_score(tr, sy, repeats=profile.score_repeats, **score_args)
    disc_base = discriminative_score(tr, ho, repeats=profile.score_repeats, **score_args)
    report.add(Metric("discriminative_score", disc, "fidelity", "<=",
                      relative_threshold(disc_base, t.discriminative_factor, t.discriminative_floor), disc_base,
                      "|accuracy - 0.5| of a GRU telling real train windows from these; baseline: holdout windows"))
    pred = predictive_score(sy, ho, **score_args)
    pred_base = predictive_score(tr, ho, **score_args)
    report.add(Metric("predictive_score", pred, "fidelity", "<=", t.predictive_factor * pred_base, pred_base,
                      "one-step-ahead MAE on real holdout of a GRU trained on synthetic; baseline: trained on real train"))

    marg, marg_base = marginal_wasserstein(sy, tr), marginal_wasserstein(ho, tr)
    report.add(Metric("marginal_wasserstein", marg, "fidelity", "<=",
                      relative_threshold(marg_base, t.marginal_factor, t.marginal_floor), marg_base,
                      "mean 1-Wasserstein distance of scaled feature marginals to real train"))
    corr, corr_base = correlation_distance(sy, tr), correlation_distance(ho, tr)
    report.add(Metric("cross_correlation_distance", corr, "fidelity", "<=",
                      relative_threshold(corr_base, t.correlation_factor, t.correlation_floor), corr_base,
                      "mean |difference| of feature correlation matrices to real train"))

    idx = return_indices(codec)
    real_facts, syn_facts, hold_facts = facts(train_w[..., idx]), facts(synth_w[..., idx]), facts(holdout_w[..., idx])
    for name in real_facts:
        report.add(Metric(f"stylized_{name}_gap", abs(syn_facts[name] - real_facts[name]), "fidelity",
                          baseline=abs(hold_facts[name] - real_facts[name]),
                          description=f"|{name}(synthetic) - {name}(real train)| = |{syn_facts[name]:.3g} - "
                                      f"{real_facts[name]:.3g}|; holdout value {hold_facts[name]:.3g}"))

    closer, mia = distance_attacks(privacy_windows(split, codec.changes(synthetic), codec, profile.window, seed,
                                                   profile.privacy_max_windows), seed)
    report.add(Metric("closer_to_train_share", closer, "privacy", "<=", t.closer_to_train_max, None,
                      "share of synthetic windows nearer to a train than to a holdout window (0.5 ideal)"))
    report.add(Metric("membership_inference_auc", mia, "privacy", "<=", t.membership_auc_max, None,
                      "AUC of a calibrated distance attack telling train from holdout windows (0.5 ideal): "
                      "distance to the nearest synthetic window over distance to the nearest other train window"))

    n_sequences, length = synthetic.shape[:2]
    suite = run_suite("finance.output", published, output_suite(published, codec, n_sequences, length))
    report.add(Metric("output_expectations_failed", float(len(suite["failed"])), "expectations", "<=", 0.0, None,
                      f"failed expectations of {suite['evaluated']} in the published-table suite"))
    return report
