"""mdn-gru-levels: it learns what a running level says about the next steps."""
import numpy as np
import pytest

import generators
from generators.base import LevelledSequences
from synthpipe.errors import InputDataError


def level_driven_sequences(n: int = 600, length: int = 30, seed: int = 0) -> LevelledSequences:
    """Feature 0 moves a mean-reverting level; feature 1 is noise that is three times as wild
    while the level is above its mean, as equity returns are while the VIX is high."""
    rng = np.random.default_rng(seed)
    start = rng.normal(0.0, 1.0, n)
    level, features = start.copy(), np.zeros((n, length, 2))
    for t in range(length):
        change = -0.1 * level + 0.3 * rng.normal(size=n)
        features[:, t, 1] = np.where(level > 0, 3.0, 1.0) * rng.normal(size=n)
        features[:, t, 0] = change
        level = level + change
    return LevelledSequences(features.astype(np.float32), (0,), start[:, None])


@pytest.fixture(scope="module")
def fitted():
    data = level_driven_sequences()
    model = generators.create("mdn-gru-levels", hidden_size=16, n_components=2, epochs=40, random_state=0)
    return model.fit(data)


def test_the_start_level_sets_how_wild_the_other_feature_is(fitted):
    high = fitted.sample(400, seed=1, length=5, start_levels=np.full((400, 1), 2.0))
    low = fitted.sample(400, seed=1, length=5, start_levels=np.full((400, 1), -2.0))
    assert high[:, :, 1].std() > 2 * low[:, :, 1].std()
    # and a high level reverts: its changes are negative on average
    assert high[:, :, 0].mean() < 0 < low[:, :, 0].mean()


def test_context_moves_the_level_it_starts_from(fitted):
    # The same start level, then a context that lifts it by 4: the paths behave as from a high level.
    context = np.zeros((400, 4, 2), dtype=np.float32)
    context[:, :, 0] = 1.0
    lifted = fitted.sample(400, seed=1, length=5, start_levels=np.full((400, 1), -2.0), context=context)
    low = fitted.sample(400, seed=1, length=5, start_levels=np.full((400, 1), -2.0))
    assert lifted[:, :, 1].std() > 2 * low[:, :, 1].std()


def test_levels_survive_save_and_load(fitted, tmp_path):
    fitted.save(tmp_path / "model.pt")
    again = generators.load("mdn-gru-levels", tmp_path / "model.pt")
    start = np.linspace(-2, 2, 50)[:, None]
    np.testing.assert_array_equal(fitted.sample(50, seed=3, length=8, start_levels=start),
                                  again.sample(50, seed=3, length=8, start_levels=start))


def test_start_levels_are_checked(fitted):
    with pytest.raises(InputDataError, match=r"start_levels must be shaped \(3, 1\)"):
        fitted.sample(3, seed=0, length=4, start_levels=np.zeros((3, 2)))
    with pytest.raises(InputDataError, match="NaN"):
        fitted.sample(2, seed=0, length=4, start_levels=np.full((2, 1), np.nan))
    bad = level_driven_sequences(n=20)
    with pytest.raises(InputDataError, match="NaN"):
        generators.create("mdn-gru-levels", epochs=1).fit(LevelledSequences(bad.features, (0,), np.full((20, 1), np.nan)))


def test_without_start_levels_paths_start_at_the_mean_level(fitted):
    mean = np.full((300, 1), fitted.level_mean_[0])
    np.testing.assert_array_equal(fitted.sample(300, seed=2, length=4),
                                  fitted.sample(300, seed=2, length=4, start_levels=mean))
