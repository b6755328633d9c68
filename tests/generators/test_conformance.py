"""The generator conformance suite (after scikit-learn's check_estimator): every registered
generator must honour the same contract, on data of its modality."""
import numpy as np
import pytest

import generators
from generators.images import LabelledImages
from generators.scenes import SceneSet
from tests.generators.scene_fixtures import idm_scenes
from synthpipe.errors import InputDataError, UnknownNameError

# Small settings so the suite stays fast; every registered generator must be listed here.
FAST = {
    "mdn-gru": {"epochs": 3, "hidden_size": 16},
    "mdn-gru-levels": {"epochs": 3, "hidden_size": 16},
    "par": {"epochs": 2},
    "garch-t": {},
    "block-bootstrap": {},
    "ddpm": {"epochs": 2, "widths": (8, 16), "batch_size": 16, "sample_steps": 4},
    "cvae": {"epochs": 2, "width": 8, "latent_dim": 4, "batch_size": 16},
    "traffic-mdn": {"epochs": 2, "hidden": 16, "components": 2, "max_tries": 2},
    "sdv-idm": {},
}


def _sequences() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_t(5, size=(40, 12, 3)) * 0.01).astype(np.float32)


def _images(channels: int = 1) -> LabelledImages:
    """Two classes a model can tell apart: bright top half vs bright bottom half, 18x14 pixels."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 16)
    images = rng.uniform(0, 0.3, size=(32, 18, 14, channels)).astype(np.float32)
    images[labels == 0, :9] += 0.6
    images[labels == 1, 9:] += 0.6
    return LabelledImages(images, labels)


def _scenes() -> SceneSet:
    return idm_scenes(n_scenes=6, steps=30, seed=0)


def _broken_scenes() -> SceneSet:
    scenes = _scenes()
    scenes.tracks.loc[3, "speed"] = np.nan
    return scenes


TRAINING_DATA = {"sequence": _sequences, "image": _images, "scene": _scenes}
BAD_INPUT = {
    "sequence": [(np.zeros((10, 5)), "3-D"), (np.full((10, 5, 2), np.nan), "NaN"),
                 (np.zeros((1, 5, 2)), "too little"), (np.array([[["a"]]]), "numeric")],
    "image": [(np.zeros((4, 16, 16, 1)), "LabelledImages"),
              (LabelledImages(np.zeros((4, 16, 16)), np.zeros(4, int)), "4-D"),
              (LabelledImages(np.full((4, 16, 16, 1), np.nan), np.zeros(4, int)), "NaN"),
              (LabelledImages(np.full((4, 16, 16, 1), 255.0), np.zeros(4, int)), r"\[0, 1\]"),
              (LabelledImages(np.zeros((4, 16, 16, 2)), np.zeros(4, int)), "channels"),
              (LabelledImages(np.zeros((4, 16, 16, 1)), np.zeros(3, int)), "labels"),
              (LabelledImages(np.zeros((1, 16, 16, 1)), np.zeros(1, int)), "too little")],
    "scene": [(np.zeros((4, 10, 3)), "SceneSet"), (_broken_scenes(), "NaN"),
              (idm_scenes(n_scenes=1, steps=10, seed=0), "too little")],
}
SCENE_VALUES = ["x", "y", "heading", "speed", "length", "width"]


def draw(model, n: int, seed: int) -> np.ndarray:
    """The sampled values as one array, whatever the modality returns."""
    out = model.sample(n, seed=seed)
    if isinstance(out, SceneSet):
        return out.tracks[SCENE_VALUES].to_numpy(np.float32)
    return out.images if isinstance(out, LabelledImages) else out


def test_every_registered_generator_has_fast_settings():
    assert set(generators.names()) <= set(FAST)


@pytest.fixture(scope="module", params=generators.names())
def fitted(request):
    cls = generators.get_generator_class(request.param)
    return generators.create(request.param, **FAST[request.param]).fit(TRAINING_DATA[cls.modality]())


def test_params_are_explicit_and_round_trip(fitted):
    params = fitted.get_params()
    assert type(fitted)(**params).get_params() == params


def test_sample_shape_and_finite(fitted):
    data = TRAINING_DATA[fitted.modality]()
    if fitted.modality == "scene":
        out = fitted.sample(7, seed=1)
        assert len(out) == 7 and out.steps == data.steps
        assert np.isfinite(out.tracks[SCENE_VALUES].to_numpy(float)).all()
        assert not out.tracks.duplicated(["scene", "agent", "step"]).any()
        fewer = fitted.sample(3, seed=1)  # scene i depends only on (seed, i), not on how many are drawn
        assert fewer.tracks.equals(out.tracks[out.tracks["scene"] < 3].reset_index(drop=True))
        return
    out = draw(fitted, 7, seed=1)
    shape = data.images.shape[1:] if fitted.modality == "image" else data.shape[1:]
    assert out.shape == (7, *shape)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    if fitted.modality == "image":
        assert out.min() >= 0 and out.max() <= 1


def test_what_is_sampled_is_chosen_at_sample_time(fitted):
    if fitted.modality == "sequence":
        assert fitted.sample(3, seed=1, length=20).shape == (3, 20, 3)
    elif fitted.modality == "scene":
        out = fitted.sample(2, seed=1, steps=15, conditions=[{"agents": 4}, {"lanes": 2}])
        assert out.steps == 15 and len(out) == 2
        assert (out.tracks[out.tracks["step"] == 0].groupby("scene").size().iloc[0]) <= 4
        assert out.lane_table(out.scene_ids[1])["lane"].tolist() == [0, 1]
        with pytest.raises(InputDataError, match="unknown event"):
            fitted.sample(1, seed=1, conditions=[{"events": ["u-turn"]}])
    else:
        out = fitted.sample(seed=1, labels=[1, 1, 0])
        assert out.labels.tolist() == [1, 1, 0] and len(out.images) == 3
        with pytest.raises(InputDataError, match="classes 0..1"):
            fitted.sample(seed=1, labels=[2])


def test_generators_that_read_history_continue_it(fitted):
    if not fitted.reads_history:
        return
    calm, wild = np.zeros((2, 8, 3), np.float32), np.full((2, 8, 3), 0.05, np.float32)
    first = fitted.sample(2, seed=5, length=6, context=calm)
    assert first.shape == (2, 6, 3)  # the history itself is not returned
    assert np.array_equal(first, fitted.sample(2, seed=5, length=6, context=calm))
    assert not np.array_equal(first, fitted.sample(2, seed=5, length=6, context=wild))


def test_paths_with_shorter_histories_continue_only_their_own_days(fitted):
    if not fitted.reads_history:
        return
    context = np.random.default_rng(0).normal(0, 0.05, (3, 8, 3)).astype(np.float32)
    whole = fitted.sample(3, seed=5, length=6, context=context)
    last_three = fitted.sample(3, seed=5, length=6, context=context[:, -3:])
    none = fitted.sample(3, seed=5, length=6)
    mixed = fitted.sample(3, seed=5, length=6, context=context, context_days=np.array([8, 3, 0]))
    # Equal up to float rounding: a batch with shorter histories steps through them one day at a time.
    np.testing.assert_allclose(mixed[0], whole[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mixed[1], last_three[1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mixed[2], none[2], rtol=1e-5, atol=1e-7)
    for bad in (np.array([9, 0, 0]), np.array([-1, 0, 0]), np.array([1.5, 0, 0]), np.array([1, 2])):
        with pytest.raises(InputDataError, match="context_days must be 3 whole numbers from 0"):
            fitted.sample(3, seed=5, length=6, context=context, context_days=bad)


def test_same_seed_same_sample_different_seed_different(fitted):
    a, b, c = draw(fitted, 5, seed=3), draw(fitted, 5, seed=3), draw(fitted, 5, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_save_load_round_trip(fitted, tmp_path):
    path = tmp_path / "model.bin"
    fitted.save(path)
    loaded = generators.load(fitted.name, path)
    assert loaded.get_params() == fitted.get_params()
    assert np.array_equal(draw(loaded, 4, seed=9), draw(fitted, 4, seed=9))


def test_load_of_corrupt_file_is_a_clear_error(fitted, tmp_path):
    path = tmp_path / "broken.bin"
    path.write_bytes(b"definitely not a model")
    with pytest.raises(InputDataError, match="cannot read generator file"):
        generators.load(fitted.name, path)


@pytest.mark.parametrize("name", generators.names())
def test_refuses_wrong_input(name):
    modality = generators.get_generator_class(name).modality
    for bad, message in BAD_INPUT[modality]:
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


def test_the_cli_lists_every_generator_with_a_summary(capsys):
    from synthpipe import cli

    assert cli.main(["generators"]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == generators.names()
    assert all(len(line.split()) > 3 for line in lines)  # name, modality and a docstring's first line


@pytest.mark.parametrize("name", ["ddpm", "cvae"])
def test_image_generators_work_in_colour_and_learn_the_classes(name):
    """RGB in, RGB out; and with the classes this easy, samples follow their label."""
    rgb = generators.create(name, **FAST[name]).fit(_images(channels=3))
    assert draw(rgb, 2, seed=0).shape == (2, 18, 14, 3)
    model = generators.create(name, **dict(FAST[name], epochs=100)).fit(_images())
    out = model.sample(seed=0, labels=np.repeat([0, 1], 8))
    contrast = out.images[:, :9].mean(axis=(1, 2, 3)) - out.images[:, 9:].mean(axis=(1, 2, 3))
    assert contrast[:8].mean() > 0.05 and contrast[8:].mean() < -0.05  # each class leans its own way
    assert np.mean(np.sign(contrast) == np.repeat([1, -1], 8)) >= 0.6


@pytest.mark.parametrize("name", ["ddpm", "cvae"])
@pytest.mark.parametrize("shape", [(30, 30, 1), (28, 36, 3)])
def test_image_generators_take_sizes_their_networks_do_not_divide(name, shape):
    """Sizes come from the data: a U-Net with stride 4 pads 30x30 and crops back."""
    rng = np.random.default_rng(0)
    data = LabelledImages(rng.uniform(size=(8, *shape)).astype(np.float32), np.repeat([0, 1], 4))
    params = dict(FAST[name], epochs=1, **({"widths": (8, 16, 16)} if name == "ddpm" else {}))
    assert draw(generators.create(name, **params).fit(data), 2, seed=0).shape == (2, *shape)


@pytest.mark.parametrize("name", [n for n in generators.names() if generators.get_generator_class(n).modality == "scene"])
def test_scene_generators_learn_no_vehicle_marked_context_only(name):
    """Privacy controls must stay unlearned: a scene generator either keeps them out of what it
    learns (and then has nothing to learn when every vehicle is one), or the driving domain
    removes them from its training scenes."""
    scenes = _scenes()
    marked = SceneSet(scenes.tracks.assign(context_only=True), scenes.lanes, scenes.dt, scenes.recordings)
    if generators.get_generator_class(name).honours_context_only:
        with pytest.raises(InputDataError, match="context_only"):
            generators.create(name, **FAST[name]).fit(marked)
    else:
        from domains import get_domain

        driving = get_domain("driving")
        assert not len(driving.training_data(marked, driving.profile("quick"), name).tracks)
