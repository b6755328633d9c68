import numpy as np
import pytest

from domains import get_domain
from domains.finance.domain import draw_paths, start_days, start_positions
from domains.finance.evaluation import fit_codec
from domains.finance.priming import PRIME_DAYS, block_positions, days_after, recent_history
from domains.finance.windows import days, segments, windows_of

finance = get_domain("finance")


@pytest.fixture(scope="module")
def train(market_frame):
    return finance.split(market_frame, finance.profile("quick")).train


def test_history_is_the_blocks_own_days_up_to_the_start_day_and_never_crosses_a_block(train):
    codec = fit_codec(train)
    blocks = segments(train)
    first = len(blocks[0])
    # a block's first day, its third, one with a full history, and the next block's first two days
    positions = np.array([0, 2, PRIME_DAYS + 5, first, first + 1])
    history = recent_history(train, codec, positions)
    np.testing.assert_array_equal(history.days, [0, 2, PRIME_DAYS, 0, 1])
    np.testing.assert_array_equal(history.before, [0, 0, 5, first, first])
    assert history.context.shape == (5, PRIME_DAYS, len(codec.feature_names))
    own = codec.encode(blocks[0])  # row i: the features of the block's day i + 1, as training windows see them
    np.testing.assert_allclose(history.context[1, -2:], own[0:2], rtol=1e-6)
    np.testing.assert_allclose(history.context[2], own[5 : PRIME_DAYS + 5], rtol=1e-6)
    np.testing.assert_allclose(history.context[4, -1:], codec.encode(blocks[1])[:1], rtol=1e-6)
    assert not history.context[0].any() and not history.context[3].any() and not history.context[4, :-1].any()
    np.testing.assert_array_equal(block_positions(train)[[0, first - 1, first]], [0, first - 1, 0])
    np.testing.assert_array_equal(days_after(train)[[0, first - 1, first]], [first - 1, 0, len(blocks[1]) - 1])


def test_a_short_path_starts_where_a_real_window_of_its_length_leaves_from(train):
    left = days_after(train)
    blocks = [len(part) for part in segments(train)]
    for length in (24, 63):
        positions = start_positions(train, 20_000, seed=0, length=length)
        assert (left[positions] >= length).all()  # never in a block's last `length` days
        assert len(np.unique(positions)) == sum(max(b - length, 0) for b in blocks)  # and every such day
    # Longer than every block: any training day, drawn as paths of no stated length are.
    longest = max(blocks)
    anywhere = start_positions(train, 5000, seed=0, length=longest)
    np.testing.assert_array_equal(anywhere, start_positions(train, 5000, seed=0))
    np.testing.assert_array_equal(anywhere, np.random.default_rng(0).integers(0, len(train), 5000))


def test_a_model_that_reads_history_continues_the_days_before_each_start_day(train):
    codec = fit_codec(train)
    n_features = len(codec.feature_names)

    class Recording:  # records what it is asked for and draws nothing
        reads_history = True
        level_features_ = codec.level_features  # as a model that also reads levels

        def sample(self, n, *, seed, length, context, context_days, start_levels):
            self.context, self.context_days, self.start_levels = context, context_days, start_levels
            return np.zeros((n, length, n_features), np.float32)

    model = Recording()
    _, starts = draw_paths(model, train, codec, 300, 10, seed=4)
    # The same start days as a model that reads no history, so `decode` and every generator agree.
    assert starts.index.equals(start_days(train, codec, 300, seed=4, length=10).index)
    plain = days(train)
    assert "VIX" in codec.mean_reverting
    for context, n_days, start, day in zip(model.context, model.context_days, model.start_levels, starts.index):
        at = plain.index.get_loc(day)
        if n_days:  # the history's last day is the start day itself
            closes = np.log(plain["SP500_Close"].to_numpy()[at - n_days : at + 1])
            np.testing.assert_allclose(context[-n_days:, 0], np.diff(closes), rtol=1e-6)
        # the level starts where the history does, and the history brings it to the start day
        reached = start + context[:, list(codec.level_features)].sum(0)
        np.testing.assert_allclose(reached, codec.levels(plain.iloc[[at]])[0], rtol=1e-5)
    assert (model.context_days == PRIME_DAYS).mean() > 0.5 and (model.context_days < PRIME_DAYS).any()


def test_primed_paths_are_reproducible_and_differ_from_unprimed_ones(train):
    import generators

    codec = fit_codec(train)
    model = generators.create("mdn-gru", hidden_size=16, n_components=2, epochs=2, random_state=0)
    model.fit(windows_of(train, codec.encode, 30)[0])
    primed, _ = draw_paths(model, train, codec, 50, 12, seed=1)
    np.testing.assert_array_equal(primed, draw_paths(model, train, codec, 50, 12, seed=1)[0])
    model.reads_history = False  # the same network, drawn from a fresh state
    assert not np.array_equal(primed, draw_paths(model, train, codec, 50, 12, seed=1)[0])
    assert np.isfinite(primed).all()
