import numpy as np
import pandas as pd
import pytest

from domains import get_domain
from domains.finance.codec import PriceCodec
from domains.finance.stylized_facts import facts
from domains.finance.windows import SEGMENT, holdout_folds, segments, window_starts
from synthpipe.errors import InputDataError
from generators.base import LevelledSequences

finance = get_domain("finance")


def test_encode_decode_is_exact(market_frame):
    codec = PriceCodec.fit(market_frame)
    features = codec.encode(market_frame)
    decoded = codec.decode(features[None], market_frame.iloc[:1])
    np.testing.assert_allclose(decoded[list(market_frame.columns)].to_numpy(), market_frame.iloc[1:].to_numpy(),
                               rtol=1e-9)
    assert codec.aliases == {"SP500_Adj Close": "SP500_Close", "NASDAQ_Adj Close": "NASDAQ_Close"}


def test_a_path_from_a_stated_day_continues_the_real_history_exactly(market_frame):
    codec = PriceCodec.fit(market_frame)
    features, stated, k = codec.encode(market_frame), codec.with_state(market_frame), 300
    decoded = codec.decode(features[None, k:], stated.iloc[[k]])
    np.testing.assert_allclose(decoded[list(market_frame.columns)].to_numpy(), market_frame.iloc[k + 1:].to_numpy(),
                               rtol=1e-9)
    # Without the state, the volumes' running averages restart at the start day's volume.
    cold = codec.decode(features[None, k:], market_frame.iloc[[k]])
    assert not np.allclose(cold["SP500_Volume"].to_numpy(), market_frame["SP500_Volume"].iloc[k + 1:].to_numpy())


def test_the_privacy_view_of_generated_paths_matches_that_of_real_days(market_frame):
    """Attacks compare daily volume changes; a generated path's are recovered from its relative volumes."""
    codec = PriceCodec.fit(market_frame)
    changes = codec.encode_changes(market_frame)
    volume = codec.feature_names.index("SP500_Volume:relvol")
    np.testing.assert_allclose(changes[:, volume], np.diff(np.log1p(market_frame["SP500_Volume"].to_numpy(float))))
    np.testing.assert_allclose(codec.changes(codec.encode(market_frame)[None])[0], changes[1:], atol=1e-12)
    same = [i for i, name in enumerate(codec.feature_names) if not name.endswith(":relvol")]
    np.testing.assert_array_equal(changes[:, same], codec.encode(market_frame)[:, same])


def test_start_days_carry_each_blocks_own_volume_average(market_frame):
    from domains.finance.domain import start_days

    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    codec = PriceCodec.fit(market_frame)
    starts = start_days(split.train, codec, 2000, seed=0)
    average = codec.average_column("SP500_Volume")
    firsts = [part.index[0] for part in segments(split.train)]
    first_rows = starts[starts.index.isin(firsts)]
    assert len(first_rows) and np.allclose(first_rows[average], np.log1p(first_rows["SP500_Volume"]))
    later = starts[~starts.index.isin(firsts)]
    assert not np.allclose(later[average], np.log1p(later["SP500_Volume"]))


def test_decoded_noise_keeps_units_relations_and_returns(market_frame):
    codec = PriceCodec.fit(market_frame)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.02, size=(20, 30, len(codec.feature_names)))
    out = codec.decode(noise, market_frame.iloc[:20])
    for asset in ("SP500", "NASDAQ"):
        o, h, l, c = (out[f"{asset}_{k}"] for k in ("Open", "High", "Low", "Close"))
        assert (l <= o).all() and (l <= c).all() and (o <= h).all() and (c <= h).all() and (l > 0).all()
        assert (out[f"{asset}_Volume"] >= 0).all()
    assert (out["SP500_Adj Close"] == out["SP500_Close"]).all()
    for _, path in out.groupby("sequence_id"):
        derived = np.log(path["VIX"].to_numpy()[1:] / path["VIX"].to_numpy()[:-1])
        np.testing.assert_allclose(derived, path["logret_VIX"].to_numpy()[1:], atol=1e-12)


def test_split_sides_never_overlap_or_touch(market_frame):
    profile = finance.profile("quick")
    split = finance.split(market_frame, profile)
    assert not set(split.train.index) & set(split.holdout.index)
    train_days, holdout_days = set(split.train.index), set(split.holdout.index)
    days = list(market_frame.index)
    position = {d: i for i, d in enumerate(days)}
    for day in holdout_days:  # at least one window of embargo between the two sides
        i = position[day]
        nearby = days[max(0, i - profile.window): i + profile.window + 1]
        assert not train_days & set(nearby)
    assert 0.1 < len(split.holdout) / len(market_frame) < 0.3
    windows = finance.training_data(split.train, profile, "mdn-gru")
    assert windows.shape[1:] == (profile.train_window, 12)
    for part in segments(split.train):  # every segment is contiguous in the source calendar
        idx = [position[d] for d in part.index]
        assert idx == list(range(idx[0], idx[0] + len(idx)))
    assert SEGMENT in split.train.columns


def test_rotating_the_holdout_fold_holds_out_every_block_once(market_frame):
    profile = finance.profile("quick")
    folds = holdout_folds(profile.holdout_fraction)
    held = [set(finance.split(market_frame, profile.with_overrides(holdout_fold=f)).holdout[SEGMENT])
            for f in range(folds)]
    blocks = set(finance.split(market_frame, profile).train[SEGMENT]) | held[folds // 2]
    assert all(held) and sorted(b for side in held for b in side) == sorted(blocks)
    default = finance.split(market_frame, profile)
    assert set(default.holdout[SEGMENT]) == held[folds // 2]  # the default is the middle fold
    with pytest.raises(InputDataError, match="folds are 0 to 4"):
        finance.split(market_frame, profile.with_overrides(holdout_fold=folds))


def test_real_returns_show_the_stylized_facts(market_frame):
    codec = PriceCodec.fit(market_frame)
    r = codec.encode(market_frame)[:, [0]][None]  # S&P 500 close returns as one long window
    f = facts(r)
    assert f["excess_kurtosis"] > 2  # heavy tails
    assert f["acf_abs_r"] > 0.1  # volatility clustering
    assert f["leverage"] < 0  # falls raise volatility
    assert f["acf_r"] < 0.1


def test_iid_gaussian_noise_lacks_them():
    r = np.random.default_rng(0).normal(size=(1, 5000, 1))
    f = facts(r)
    assert abs(f["excess_kurtosis"]) < 0.3 and abs(f["acf_abs_r"]) < 0.05


def test_unknown_profile():
    from synthpipe.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="full, quick"):
        finance.profile("medium")


@pytest.mark.parametrize("profile", sorted(finance.profiles))
@pytest.mark.parametrize("generator", ["mdn-gru", "par"])
def test_every_profile_has_training_windows_on_the_default_data(market_frame, profile, generator):
    settings = finance.profile(profile)
    windows = finance.training_data(finance.split(market_frame, settings).train, settings, generator)
    assert len(windows) >= 50 and windows.shape[1] == settings.train_window


@pytest.mark.parametrize("generator", ["garch-t", "block-bootstrap"])
def test_series_baselines_get_each_training_day_once_in_order(market_frame, generator):
    settings = finance.profile("quick")
    split = finance.split(market_frame, settings)
    windows = finance.training_data(split.train, settings, generator)
    plan = settings.plan(generator)
    assert plan.train_window == plan.train_stride == windows.shape[1]
    rows = windows.reshape(-1, windows.shape[2])
    assert len(np.unique(rows, axis=0)) == len(rows)  # no day twice
    assert len(rows) > 0.8 * len(split.train)  # and few left out


def test_mean_reverting_series_are_told_from_random_walks():
    rng = np.random.default_rng(0)
    n = 1000
    reverting, walk = np.zeros(n), np.cumsum(rng.normal(0, 0.02, n))
    for t in range(1, n):
        reverting[t] = 0.9 * reverting[t - 1] + rng.normal(0, 0.05)
    frame = pd.DataFrame({"Fear": 20 * np.exp(reverting), "Oil": 50 * np.exp(walk)},
                         index=pd.bdate_range("2010-01-01", periods=n))
    codec = PriceCodec.fit(frame)
    assert codec.mean_reverting == ["Fear"] and codec.level_features == (codec.feature_names.index("Fear:logret"),)
    np.testing.assert_allclose(codec.levels(frame.iloc[[0, 5]]), np.log(frame[["Fear"]].iloc[[0, 5]].to_numpy()))


def test_a_levels_reading_generator_learns_each_window_with_its_starting_vix(market_frame):
    settings = finance.profile("quick")
    split = finance.split(market_frame, settings)
    levelled = finance.training_data(split.train, settings, "mdn-gru-levels")
    codec = PriceCodec.fit(split.train.drop(columns=SEGMENT))
    assert codec.mean_reverting == ["VIX"] and isinstance(levelled, LevelledSequences)
    starts = window_starts(split.train, settings.train_window)
    assert len(starts) == len(levelled) == len(levelled.start_levels)
    vix = levelled.level_features[0]
    for i in (0, 7, len(levelled) - 1):  # the start level plus the window's VIX returns is its VIX
        day = market_frame.index.get_loc(starts.index[i])
        path = np.log(market_frame["VIX"].iloc[day : day + settings.train_window + 1].to_numpy())
        np.testing.assert_allclose(levelled.start_levels[i, 0] + np.cumsum(levelled.features[i, :, vix]), path[1:],
                                   atol=1e-5)
    for plain in ("mdn-gru", "par"):  # they read no levels
        assert isinstance(finance.training_data(split.train, settings, plain), np.ndarray)


def test_sampling_starts_a_levels_reading_model_where_its_start_day_stands(market_frame):
    settings = finance.profile("quick")
    split = finance.split(market_frame, settings)
    codec = PriceCodec.fit(split.train.drop(columns=SEGMENT))

    class Recording:  # answers zeros and remembers what it was asked
        level_features_ = codec.level_features

        def sample(self, n, *, seed, length, start_levels):
            self.start_levels = start_levels
            return np.zeros((n, length, len(codec.feature_names)), np.float32)

    model = Recording()
    _, published = finance.sample(model, split, {"n": 5, "length": 3}, seed=4)
    # with zero changes every path stays at its start day's VIX
    np.testing.assert_allclose(np.exp(model.start_levels[:, 0]), published.groupby("sequence_id")["VIX"].first())
