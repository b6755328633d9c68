"""The quantile map carries a model's marginals onto the data's and keeps everything else."""
import numpy as np
import pytest

import generators
from generators.quantile_map import QuantileMap


def heavy_tailed(n: int, seed: int) -> np.ndarray:
    """Two features: a skewed, heavy-tailed one and a wick-like one with a point mass at zero."""
    rng = np.random.default_rng(seed)
    return np.stack([1.0 + 2.0 * rng.standard_t(3, n), np.maximum(rng.normal(0.0, 1.0, n), 0.0)], axis=1)


def test_the_map_gives_the_data_marginals_and_keeps_the_order():
    data = heavy_tailed(50_000, seed=0)
    model = np.random.default_rng(1).normal(0.0, 1.0, (50_000, 2))  # too light-tailed, wrong centre
    quantile_map = QuantileMap.fit(model, data)
    fresh = np.random.default_rng(2).normal(0.0, 1.0, (50_000, 2))
    mapped = quantile_map(fresh)
    levels = [0.01, 0.1, 0.5, 0.9, 0.99]
    assert np.allclose(np.quantile(mapped, levels, axis=0), np.quantile(data, levels, axis=0),
                       rtol=0.05, atol=0.02)
    assert np.mean(mapped[:, 1] == 0) == pytest.approx(0.5, abs=0.02)  # the point mass at zero is back
    for i in range(2):  # monotone per feature: ranks, and so the copula and the order in time, are kept
        order = np.argsort(fresh[:, i], kind="stable")
        assert (np.diff(mapped[order, i]) >= 0).all()


def test_beyond_the_outer_knots_a_value_keeps_its_distance_and_the_extremes_are_not_stored():
    data = heavy_tailed(10_000, seed=0)
    quantile_map = QuantileMap.fit(np.random.default_rng(1).normal(size=(10_000, 2)), data)
    far = np.array([[-50.0, -50.0], [50.0, 50.0]])
    mapped = quantile_map(far)
    assert np.allclose(mapped[0], quantile_map.target[0] + (far[0] - quantile_map.source[0]))
    assert np.allclose(mapped[1], quantile_map.target[-1] + (far[1] - quantile_map.source[-1]))
    assert data[:, 0].min() < quantile_map.target[0, 0] < quantile_map.target[-1, 0] < data[:, 0].max()


def test_the_map_keeps_shape_and_dtype_and_round_trips():
    quantile_map = QuantileMap.fit(np.random.default_rng(1).normal(size=(1000, 2)), heavy_tailed(1000, seed=0))
    paths = np.random.default_rng(3).normal(size=(4, 7, 2)).astype(np.float32)
    mapped = quantile_map(paths)
    assert mapped.shape == paths.shape and mapped.dtype == np.float32
    again = QuantileMap.from_lists(quantile_map.to_lists())
    assert np.array_equal(again(paths), mapped)


def test_mdn_gru_samples_the_training_marginals_and_only_its_own_draws_feed_back(tmp_path):
    data = heavy_tailed(200 * 24, seed=4).reshape(200, 24, 2).astype(np.float32)
    params = dict(hidden_size=16, n_components=2, epochs=15, random_state=0)
    matched = generators.create("mdn-gru", **params, match_marginals=True).fit(data)
    raw = generators.create("mdn-gru", **params).fit(data)  # the default: the network's own marginals

    def tail_error(model):
        sample = model.sample(400, seed=1).reshape(-1, 2)
        levels = [0.01, 0.05, 0.95, 0.99]
        return np.abs(np.quantile(sample, levels, 0) - np.quantile(data.reshape(-1, 2), levels, 0)).mean()
    assert tail_error(matched) < 0.5 * tail_error(raw)
    # the network is the same: the map acts on what is returned, after the draws
    assert np.array_equal(matched.marginal_map_(raw.sample(50, seed=2)), matched.sample(50, seed=2))
    assert raw.marginal_map_ is None
    matched.save(tmp_path / "matched.pt")  # the map travels with the model
    loaded = type(matched).load(tmp_path / "matched.pt")
    assert np.array_equal(loaded.sample(50, seed=2), matched.sample(50, seed=2))
