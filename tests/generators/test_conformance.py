"""The generator conformance suite (after scikit-learn's check_estimator): every registered
generator must honour the same contract."""
import numpy as np
import pytest

import generators
from synthpipe.errors import InputDataError, UnknownNameError

# Small settings so the suite stays fast; every registered generator must be listed here.
FAST = {"mdn-gru": {"epochs": 3, "hidden_size": 16}, "par": {"epochs": 2}}


def test_every_registered_generator_has_fast_settings():
    assert set(generators.names()) <= set(FAST)


@pytest.fixture(scope="module")
def sequences() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_t(5, size=(40, 12, 3)) * 0.01).astype(np.float32)


@pytest.fixture(scope="module", params=generators.names())
def fitted(request, sequences):
    return generators.create(request.param, **FAST[request.param]).fit(sequences)


def test_params_are_explicit_and_round_trip(fitted):
    params = fitted.get_params()
    assert type(fitted)(**params).get_params() == params


def test_sample_shape_and_finite(fitted, sequences):
    out = fitted.sample(7, seed=1)
    assert out.shape == (7, sequences.shape[1], sequences.shape[2])
    assert out.dtype == np.float32 and np.isfinite(out).all()


def test_sample_length_is_chosen_at_sample_time(fitted, sequences):
    assert fitted.sample(3, seed=1, length=20).shape == (3, 20, sequences.shape[2])


def test_same_seed_same_sample_different_seed_different(fitted):
    a, b, c = fitted.sample(5, seed=3), fitted.sample(5, seed=3), fitted.sample(5, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_save_load_round_trip(fitted, tmp_path):
    path = tmp_path / "model.bin"
    fitted.save(path)
    loaded = generators.load(fitted.name, path)
    assert loaded.get_params() == fitted.get_params()
    assert np.array_equal(loaded.sample(4, seed=9), fitted.sample(4, seed=9))


def test_load_of_corrupt_file_is_a_clear_error(fitted, tmp_path):
    path = tmp_path / "broken.bin"
    path.write_bytes(b"definitely not a model")
    with pytest.raises(InputDataError, match="cannot read generator file"):
        generators.load(fitted.name, path)


@pytest.mark.parametrize("name", generators.names())
@pytest.mark.parametrize("bad, message", [
    (np.zeros((10, 5)), "3-D"),
    (np.full((10, 5, 2), np.nan), "NaN"),
    (np.zeros((1, 5, 2)), "too little"),
    (np.array([[["a"]]]), "numeric"),
])
def test_refuses_wrong_input(name, bad, message):
    with pytest.raises(InputDataError, match=message):
        generators.create(name, **FAST[name]).fit(bad)


@pytest.mark.parametrize("name", generators.names())
def test_unfitted_sample_is_refused(name):
    with pytest.raises(InputDataError, match="not fitted"):
        generators.create(name).sample(2, seed=0)


def test_unknown_generator_and_parameter():
    with pytest.raises(UnknownNameError, match="mdn-gru"):
        generators.create("gan-of-the-day")
    with pytest.raises(UnknownNameError, match="bad parameters"):
        generators.create("mdn-gru", no_such_option=1)
