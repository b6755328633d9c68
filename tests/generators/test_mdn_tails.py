"""mdn-gru with Student-t components: a correct density, heavier tails where the data has them,
and the same contract as the Gaussian mixture (reproducible, saved and loaded whole)."""
import numpy as np
import pytest
import torch
from scipy import stats

import generators
from generators.mdn_gru import multivariate_t_log_prob
from synthpipe.errors import InputDataError


def test_the_density_is_the_multivariate_t():
    rng = np.random.default_rng(0)
    f = 3
    mean = rng.normal(size=f)
    tril = np.tril(rng.normal(size=(f, f)) * 0.5)
    np.fill_diagonal(tril, np.abs(np.diag(tril)) + 0.5)
    x = rng.normal(size=(20, f)) * 2
    for dof in (2.7, 5.0, 40.0):
        expected = stats.multivariate_t(loc=mean, shape=tril @ tril.T, df=dof).logpdf(x)
        got = multivariate_t_log_prob(torch.as_tensor(x), torch.as_tensor(mean), torch.as_tensor(tril),
                                      torch.tensor(dof, dtype=torch.float64))
        assert np.allclose(got.numpy(), expected, atol=1e-9)


def heavy_tailed(n: int, seed: int) -> np.ndarray:
    """Sequences of two features: days of a Student t with 3 degrees of freedom, the second
    feature half the first plus noise."""
    rng = np.random.default_rng(seed)
    first = rng.standard_t(3, (n, 24))
    return np.stack([first, 0.5 * first + 0.5 * rng.standard_t(3, (n, 24))], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def models():
    data = heavy_tailed(200, seed=4)
    params = dict(hidden_size=16, n_components=2, epochs=15, random_state=0)
    return data, {tails: generators.create("mdn-gru", **params, tails=tails).fit(data)
                  for tails in ("gaussian", "student-t")}


def test_student_t_components_fit_unseen_heavy_tailed_days_better_and_sample_heavier_tails(models):
    data, fitted = models
    fresh = torch.as_tensor(heavy_tailed(200, seed=9))

    def unseen_nll(model):
        with torch.no_grad():
            return float(-model.network_.log_likelihood((fresh - model.mean_) / model.std_).mean())
    assert unseen_nll(fitted["student-t"]) < unseen_nll(fitted["gaussian"]) - 0.1
    kurtosis = {tails: stats.kurtosis(model.sample(400, seed=1).reshape(-1, 2)) for tails, model in fitted.items()}
    assert (kurtosis["student-t"] > kurtosis["gaussian"] + 1.0).all()


def test_student_t_draws_are_reproducible_and_survive_save_and_load(models, tmp_path):
    model = models[1]["student-t"]
    first = model.sample(30, seed=5, length=40)
    assert np.array_equal(first, model.sample(30, seed=5, length=40))
    assert not np.array_equal(first, model.sample(30, seed=6, length=40))
    model.save(tmp_path / "t.pt")
    loaded = type(model).load(tmp_path / "t.pt")
    assert loaded.tails == "student-t" and loaded.network_.student_t
    assert np.array_equal(loaded.sample(30, seed=5, length=40), first)


def test_unknown_tails_are_refused():
    with pytest.raises(InputDataError, match="student-t"):
        generators.create("mdn-gru", tails="cauchy")
