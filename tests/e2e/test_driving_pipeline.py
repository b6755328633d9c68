"""End to end: real Prefect flow runs on real NGSIM US-101 scenes (CommonRoad files), a real
catalog on disk, CommonRoad scenarios written and read back."""
from dataclasses import replace

import numpy as np
import pytest

import generators
import synthpipe
from catalog import Catalog
from domains.driving.profiles import PROFILES, Thresholds
from flows.pipeline import pipeline
from generators.events import detect
from generators.scenes import SceneSet, concat
from generators.traffic import SceneGenerator, check_scenes
from synthpipe.errors import InputDataError
from tests.conftest import SHARED_DATA
from tests.domains.driving.test_sources import _table

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_harness")]
US101 = SHARED_DATA / "ngsim-commonroad" / "US101"


@pytest.fixture(scope="module")
def us101() -> str:
    """The real scenarios beside the repository (as the source tests, which fail without them)."""
    assert US101.is_dir(), f"{US101} is missing: the NGSIM US-101 scenarios must be beside the repository"
    return f"commonroad:{US101}"


@pytest.fixture(scope="module")
def small_profile():
    """The quick profile with fewer scenes, pictures, predictor epochs and predictor trainings, and
    a gate that checks only memorization strictly: these tests are about the pipeline's machinery
    (flow, files, catalog, quarantine), while the generator's quality against the full gate is
    measured by bench/driving_generators.py."""
    quick = PROFILES["quick"]
    machinery = Thresholds(realism_factor=1e6, validity_slack=1.0, max_infeasible_share=1.0, event_hit_rate=0.0,
                           utility_factor=1e6, membership_auc_max=1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(PROFILES, "quick", quick.with_overrides(
            n_scenes=10, previews=4, animations=1, thresholds=machinery,
            predictor=replace(quick.predictor, epochs=10, seeds=1)))
        yield


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness, us101, small_profile):
    """One quick run on NGSIM US-101."""
    home = tmp_path_factory.mktemp("home")
    result = pipeline(domain="driving", source=us101, home=str(home), dataset="driving/us101")
    return {"home": home, "result": result}


def test_run_publishes_scenes_with_their_files(published):
    assert published["result"]["status"] == "published", published["result"]
    catalog = Catalog(published["home"])
    manifest = catalog.manifest("driving/us101")
    files = set(manifest["files"])
    assert {"tracks.parquet", "lanes.parquet", "scenes.parquet", "README.md", "plots/realism.png",
            "plots/scenes.png"} <= files
    assert sum(f.startswith("commonroad/scene_") for f in files) == 10
    assert sum(f.startswith("previews/") for f in files) == 4 and sum(f.endswith(".gif") for f in files) == 1
    assert manifest["row_counts"]["scenes"] == 10
    names = {m["name"] for m in manifest["report"]["metrics"]}
    assert {"realism_score", "collision_rate", "off_road_rate", "infeasible_share", "event_hit_rate",
            "prediction_min_ade", "track_memorization_share", "membership_inference_auc"} <= names
    speed = next(m for m in manifest["report"]["metrics"] if m["name"] == "realism_js[speed]")
    assert "measured on 10 synthetic scenes (baseline: 10 real train scenes)" in speed["description"]
    catalog.verify("driving/us101")
    card = (catalog.path("driving/us101") / "README.md").read_text()
    for heading in ("How it was made", "How good it is", "Privacy record", "must not be used for"):
        assert heading in card


def test_published_scenes_load_in_every_form(published):
    scenes = synthpipe.load("driving/us101", home=published["home"])
    assert isinstance(scenes, SceneSet) and len(scenes) == 10 and scenes.dt == pytest.approx(0.1)
    tracks = synthpipe.load("driving/us101", home=published["home"], as_="tracks")
    assert list(tracks.columns) == ["scene", "agent", "step", "x", "y", "heading", "speed", "length", "width", "lane"]
    assert not tracks.isna().any().any() and tracks["x"].min() > -60  # re-originated, no geo-position
    asked = scenes.scene_info[scenes.scene_info["requested_events"].str.len() > 0]
    assert len(asked) == 3  # 20 % cut-ins and 10 % hard braking of 10 scenes
    scenarios = synthpipe.load("driving/us101", home=published["home"], as_="commonroad")
    assert len(scenarios) == 10
    first = tracks[tracks["scene"] == 0]
    assert len(scenarios[0].dynamic_obstacles) == first["agent"].nunique()
    with pytest.raises(InputDataError, match="load as"):
        synthpipe.load("driving/us101", home=published["home"], as_="npz")


def test_an_event_regime_publishes_its_own_dataset_of_scenes_that_each_hold_the_event(published, us101):
    result = pipeline(domain="driving", source=us101, home=str(published["home"]), regime="hard-braking")
    assert result["status"] == "published", result
    name = result["dataset"]
    assert name.endswith("-hard-braking") and name != "driving/us101"
    manifest = Catalog(published["home"]).manifest(name)
    assert manifest["regime"] == "hard-braking"
    metrics = {m["name"]: m for m in manifest["report"]["metrics"]}
    assert "without the vehicles doing the requested events" in metrics["realism_js[speed]"]["description"]
    scenes = synthpipe.load(name, home=published["home"])
    assert (scenes.scene_info["requested_events"] == "hard_braking").all()
    found = detect(scenes.tracks, scenes.dt).groupby("scene")["event"].agg(set)
    assert sum("hard_braking" in found.get(scene, set()) for scene in scenes.scene_ids) >= 0.9 * len(scenes)


def test_bad_source_publishes_nothing(tmp_path, small_profile):
    table = _table(np.random.default_rng(0))
    table.assign(speed=table["speed"] * 3.6).to_csv(tmp_path / "tracks.csv", index=False)  # km/h, not m/s
    with pytest.raises(InputDataError, match="km/h"):
        pipeline(domain="driving", source=f"tracks:{tmp_path / 'tracks.csv'}", home=str(tmp_path / "home"))
    assert Catalog(tmp_path / "home").datasets() == []


class CopyingSceneGenerator(SceneGenerator):
    """A 'generator' that publishes its training scenes: the privacy gate's positive control."""

    name = "copy-training-scenes"

    def __init__(self, random_state: int = 0):
        self.random_state = random_state
        self.n_features_ = None

    def fit(self, data, progress=None):
        self.scenes_ = check_scenes(data)
        self.n_features_ = 1
        return self

    def sample(self, n, *, seed, steps=None, conditions=None, length=None):
        copied = concat([self.scenes_.subset(self.scenes_.scene_ids[:n])])  # scenes renumbered from 0
        return SceneSet(copied.tracks, copied.lanes, copied.dt)

    def _scene(self, condition, steps, rng):
        raise AssertionError("not used")

    def save(self, path):
        import pickle

        with open(path, "wb") as handle:
            pickle.dump(self.scenes_, handle)

    @classmethod
    def load(cls, path):
        import pickle

        with open(path, "rb") as handle:
            return cls().fit(pickle.load(handle))


def test_publishing_the_training_scenes_fails_the_gate(tmp_path, monkeypatch, us101, small_profile):
    monkeypatch.setitem(generators.registry._REGISTERED, CopyingSceneGenerator.name, CopyingSceneGenerator)
    result = pipeline(domain="driving", source=us101, generator="copy-training-scenes", home=str(tmp_path))
    assert result["status"] == "quarantined"
    assert "track_memorization_share" in result["failures"]
    assert Catalog(tmp_path).datasets() == []
