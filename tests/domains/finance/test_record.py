"""The finance record's measures respond to what they claim to measure."""
import numpy as np
import pandas as pd
import pytest

from domains import get_domain
from synthpipe.errors import InputDataError
from domains.finance.evaluation import ATTACK_DRAWS, fit_codec
from domains.base import Split
from domains.finance.record import (TIMEGAN, ScoredWindows, discriminative_runs, hill_tail_index, level_windows,
                                    long_path_distances, privacy_scores, privacy_yardsticks, real_privacy_reference,
                                    restarted_windows, synthetic_level_windows, timegan_scores, volatility_classes)
from domains.finance.windows import days, segments, windows_of
from validation.privacy import nearest_neighbours

finance = get_domain("finance")


def clustered(n_paths: int, length: int, seed: int) -> np.ndarray:
    """Returns with slowly varying volatility (a log-volatility AR(1)) and t(4) shocks."""
    rng = np.random.default_rng(seed)
    log_vol = np.zeros((n_paths, length))
    for t in range(1, length):
        log_vol[:, t] = 0.98 * log_vol[:, t - 1] + 0.15 * rng.standard_normal(n_paths)
    return 0.01 * np.exp(log_vol) * rng.standard_t(4, (n_paths, length)) / np.sqrt(2)


def test_long_path_distances_are_small_for_the_same_process_and_see_what_differs():
    real = clustered(1, 20_000, seed=0)
    same = long_path_distances(clustered(200, 252, seed=1), real)
    shuffled = long_path_distances(np.random.default_rng(2).permutation(clustered(200, 252, seed=1).ravel())
                                   .reshape(200, 252), real)
    assert same["acf_abs_r"] < 0.5 * shuffled["acf_abs_r"]  # shuffling destroys volatility clustering
    assert same["acf_r2"] < shuffled["acf_r2"]
    assert same["emd_1d"] == pytest.approx(shuffled["emd_1d"], abs=1e-9)  # ...but not the marginal
    assert same["emd_1d"] < 0.1
    wider = long_path_distances(2 * clustered(200, 252, seed=1), real)
    assert wider["emd_1d"] > 4 * same["emd_1d"] and wider["emd_20d"] > 2 * same["emd_20d"]


def test_hill_estimator_finds_the_tail_index_of_a_t_distribution():
    sample = np.random.default_rng(0).standard_t(3, 200_000)
    assert hill_tail_index(sample) == pytest.approx(3.0, abs=0.5)


def test_level_windows_of_real_blocks_and_synthetic_paths(market_frame):
    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    columns = fit_codec(split.train).columns
    windows = level_windows(segments(split.train), columns, 24)
    expected = sum(len(part) - 23 for part in segments(split.train))
    assert windows.shape == (expected, 24, len(columns)) and np.isfinite(windows).all()
    paths = np.zeros((3, 24, len(fit_codec(split.train).feature_names)), dtype=np.float32)
    published = finance.decode(paths, split.train, seed=0)
    flat = synthetic_level_windows(published, columns, 24)
    assert flat.shape == (3, 24, len(columns))
    assert np.allclose(flat[:, 0], flat[:, -1])  # zero returns: every level stays where it started


def test_discriminative_runs_start_with_the_single_run_the_timegan_scores_report(market_frame, monkeypatch):
    # The paper's networks, trained for a few steps: what is checked is which windows and seeds
    # each run scores, not how well the networks learn.
    for score, steps in (("discriminative", 40), ("predictive", 5)):
        monkeypatch.setitem(TIMEGAN, score, {**TIMEGAN[score], "steps": steps})
    split = finance.split(market_frame, finance.profile("quick"))
    codec = fit_codec(split.train)
    changes = np.random.default_rng(0).normal(0, 0.01, (400, 24, len(codec.feature_names))).astype(np.float32)
    published = finance.decode(changes, split.train, seed=0)
    single = timegan_scores(ScoredWindows.of(split, published, 24, seed=3), seed=3)
    runs = discriminative_runs(ScoredWindows.of(split, published, 24, seed=3), seed=3, runs=3)
    assert [len(v) for v in runs.values()] == [3, 3]
    assert runs["discriminative"][0] == single["discriminative"]
    assert runs["discriminative_real"][0] == single["discriminative_real"]
    assert len(set(runs["discriminative_real"])) > 1  # each run trains and tests its own classifier


def test_privacy_scores_catch_replayed_history(market_frame):
    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    codec = fit_codec(split.train)
    replay = windows_of(split.train, codec.encode, 48, 48)[0]  # the training days themselves
    copied = privacy_scores(split, replay, codec, 24, seed=0)
    assert copied["copied"] > 0.9 and copied["memorized"] > 0.9 and copied["membership_auc"] > 0.7
    rng = np.random.default_rng(0)
    noise = rng.normal(replay.mean((0, 1)), replay.std((0, 1)), replay.shape).astype(np.float32)
    fresh = privacy_scores(split, noise, codec, 24, seed=0)
    assert fresh["copied"] == 0 and fresh["memorized"] < 0.2
    with pytest.raises(InputDataError, match="shorter than the 24-day window"):
        privacy_scores(split, replay[:, :12], codec, 24, seed=0)


@pytest.fixture
def attacked_windows(monkeypatch) -> list:
    """Every `PrivacyWindows` the record's distance attacks are run on, in order."""
    import domains.finance.record as record

    seen, attacks = [], record.distance_attacks

    def spy(windows, seed):
        seen.append(windows)
        return attacks(windows, seed)

    monkeypatch.setattr(record, "distance_attacks", spy)
    return seen


def test_real_privacy_reference_sets_real_blocks_aside_and_scores_them_like_synthetic_ones(market_frame,
                                                                                           attacked_windows):
    """Real windows of training blocks set aside stand in for synthetic ones, against the other
    training blocks: none of them may be in the training set the attacks compare with."""
    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    codec = fit_codec(split.train)
    seen = attacked_windows
    reference = real_privacy_reference(split, codec, profile.window, seed=0, rounds=4)
    assert len(reference["closer_to_train"]) == len(reference["membership_auc"]) == 4
    every_training_window = len(windows_of(split.train, codec.encode, profile.window)[0])
    for windows in seen:
        # the set-aside blocks' windows move from the training set to the synthetic side, whole
        assert len(windows.synthetic) > 0 and len(windows.train) + len(windows.synthetic) == every_training_window
        training_days = {tuple(row) for row in windows.train[:, 0]}
        assert not any(tuple(row) in training_days for row in windows.synthetic[:, 0])
    assert 0.0 <= min(reference["closer_to_train"]) and max(reference["membership_auc"]) <= 1.0
    assert reference == real_privacy_reference(split, codec, profile.window, seed=0, rounds=4)  # seeded
    unblocked = Split(days(split.train), days(split.holdout), "not blocked")
    with pytest.raises(InputDataError, match="blocked split"):
        real_privacy_reference(unblocked, codec, profile.window, seed=0)


def test_privacy_yardsticks_score_training_days_shuffled_clustered_the_average_day_and_the_training_windows(
        market_frame, attacked_windows):
    """The shuffled and clustered yardsticks are made of training days only (the clustered one's
    paths each within one volatility class), the average one of a single window repeated, so all
    its windows fall on the same side of each subsample the share draws (0, 1/2 or 1 a draw), and
    the published one of the training windows themselves."""
    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    codec = fit_codec(split.train)
    seen = attacked_windows
    scores = privacy_yardsticks(split, codec, profile.window, seed=0, rounds=3, n_paths=20, length=60)
    assert all(len(values) == 3 for values in scores.values()) and len(scores) == 8
    shuffled, clustered, average, published = (seen[i::4] for i in range(4))
    for windows in shuffled + clustered:
        training_days = windows.train.reshape(-1, windows.train.shape[-1])
        distance, _ = nearest_neighbours(windows.synthetic.reshape(-1, training_days.shape[1]), training_days)
        assert distance.max() < 1e-5  # every day is a training day...
        assert len({w.tobytes() for w in windows.synthetic}) > 1  # ...in an order of its own
    for windows in average:
        assert len({w.tobytes() for w in windows.synthetic}) == 1
    for windows in published:
        assert np.array_equal(windows.synthetic, windows.train)
    halves = 2 * ATTACK_DRAWS * np.array(scores["average_closer_to_train"])  # each draw scores 0, 1/2 or 1
    assert np.allclose(halves, np.round(halves))
    assert min(scores["published_membership_auc"]) > 0.9  # the membership attack finds the published windows
    assert scores == privacy_yardsticks(split, codec, profile.window, seed=0, rounds=3, n_paths=20, length=60)


def test_volatility_classes_sort_days_by_their_trailing_volatility():
    rng = np.random.default_rng(0)
    calm, wild = rng.normal(0, 0.005, (100, 2)), rng.normal(0, 0.05, (100, 2))
    classes = volatility_classes([calm, wild], classes=2, trailing=10)
    assert classes.shape == (200,) and set(np.unique(classes)) == {0, 1}
    assert (classes[20:100] == 0).all() and (classes[120:] == 1).all()  # past the first trailing days


def test_restarted_windows_keep_each_start_and_move_as_another_block_did():
    rng = np.random.default_rng(0)
    blocks = [pd.DataFrame({"price": 100 * (b + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, 30))),
                            "spread": np.cumsum(rng.normal(0, 1, 30))}) for b in range(3)]  # spread goes negative
    assert (pd.concat(blocks)["spread"] < 0).any()
    own = level_windows(blocks, ["price", "spread"], 10)
    restarted = restarted_windows(blocks, ["price", "spread"], 10, np.random.default_rng(1))
    assert restarted.shape == own.shape
    assert np.allclose(restarted[:, 0], own[:, 0])  # every window starts where a real one does...
    ratios, steps = restarted[:, :, 0] / restarted[:, :1, 0], restarted[:, :, 1] - restarted[:, :1, 1]
    per_block = [level_windows([b], ["price", "spread"], 10) for b in blocks]
    for i, block in enumerate(np.repeat(np.arange(3), [len(w) for w in per_block])):
        # ...and then moves as a window of another block did: ratios for prices, differences for the rest
        others = np.concatenate([w for b, w in enumerate(per_block) if b != block])
        match = np.isclose(others[:, :, 0] / others[:, :1, 0], ratios[i], rtol=1e-5).all(1) & \
            np.isclose(others[:, :, 1] - others[:, :1, 1], steps[i], atol=1e-4).all(1)
        assert match.any()
    assert not np.isclose(restarted[:, 1:], own[:, 1:]).all(axis=(1, 2)).any()  # none retraces its own history
    with pytest.raises(InputDataError, match="at least two training blocks"):
        restarted_windows(blocks[:1], ["price", "spread"], 10, np.random.default_rng(1))
