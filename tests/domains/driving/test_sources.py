"""Reading driving sources into road-aligned recordings, and refusing what cannot be used."""
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from domains.base import SourceSpec
from domains.driving.sources import load_source, recording_key
from domains.driving.windows import cut_scenes, split_by_recording
from synthpipe.errors import InputDataError
from tests.conftest import SHARED_DATA

US101 = SHARED_DATA / "ngsim-commonroad" / "US101"


@pytest.fixture(scope="module")
def two_recordings(tmp_path_factory):
    """Two US-101 recordings; one of them split over two files that share its vehicles."""
    folder = tmp_path_factory.mktemp("commonroad")
    for name in ("USA_US101-10_1_T-1.xml", "USA_US101-10_3_T-1.xml", "USA_US101-22_1_T-1.xml"):
        shutil.copy(US101 / name, folder / name)
    return folder


def test_recording_key_groups_configurations_of_one_map():
    assert recording_key("USA_US101-10_3_T-1") == recording_key("USA_US101-10_1_S-1") == "USA_US101-10"
    assert recording_key("my-own-file") == "my-own-file"


def test_commonroad_files_of_one_recording_are_merged_and_straightened(two_recordings):
    data = load_source(SourceSpec("commonroad", str(two_recordings)))
    assert sorted(data.recordings.values()) == ["USA_US101-10", "USA_US101-22"]
    first = data.tracks[data.tracks["scene"] == 0]
    assert first["agent"].nunique() == 44  # the vehicles of both files, once each
    assert not data.tracks.duplicated(["scene", "agent", "step"]).any()
    lanes = data.lane_table(0)
    assert len(lanes) == 5 and lanes["center_y"].iloc[0] == pytest.approx(0.0)
    assert np.diff(lanes["center_y"]).min() > 2.5 and lanes["width"].between(3.0, 4.5).all()
    # straightened: traffic runs along +x, and vehicles sit close to their lane centres
    assert np.median(np.abs(data.tracks["heading"])) < 0.05
    offset = data.tracks["y"] - data.lanes.set_index(["scene", "lane"]).loc[
        list(zip(data.tracks["scene"], data.tracks["lane"])), "center_y"].to_numpy()
    assert np.median(np.abs(offset)) < 0.6
    assert len(data.areas) > 0  # lanelet polygons, ramps included, for the off-road check


def test_scenes_are_windows_and_the_split_keeps_recordings_apart(two_recordings):
    data = load_source(SourceSpec("commonroad", str(two_recordings)))
    scenes = cut_scenes(data, steps=80, stride=20, min_agent_steps=10)
    assert scenes.steps == 80 and len(scenes) >= 2
    train, holdout = split_by_recording(scenes, 0.3, seed=0)
    assert {scenes.recordings[s] for s in train}.isdisjoint({scenes.recordings[s] for s in holdout})
    with pytest.raises(InputDataError, match="no recording is long enough"):
        cut_scenes(data, steps=400, stride=20, min_agent_steps=10)


def test_malformed_xml_and_missing_lanelets_are_refused(tmp_path):
    (tmp_path / "broken.xml").write_text("<commonRoad><lanelet id='1'>")
    with pytest.raises(InputDataError, match="not a readable CommonRoad scenario"):
        load_source(SourceSpec("commonroad", str(tmp_path)))
    (tmp_path / "broken.xml").unlink()
    text = (US101 / "USA_US101-10_1_T-1.xml").read_text()
    (tmp_path / "USA_US101-10_1_T-1.xml").write_text(re.sub(r"<lanelet id.*?</lanelet>", "", text, flags=re.S))
    with pytest.raises(InputDataError, match="no lanelets"):
        load_source(SourceSpec("commonroad", str(tmp_path)))
    with pytest.raises(InputDataError, match="does not exist"):
        load_source(SourceSpec("commonroad", str(tmp_path / "nowhere")))


def _table(rng, recordings=2, agents=6, seconds=10.0, dt=0.1) -> pd.DataFrame:
    rows = []
    for r in range(recordings):
        for a in range(agents):
            t = np.arange(0, seconds, dt)
            lane = a % 3
            x = 10 + 8 * a + 15 * t
            rows.append(pd.DataFrame({"recording": f"r{r}", "agent": a, "time": t, "x": x,
                                      "y": lane * 3.5 + rng.normal(0, 0.05, len(t)), "speed": 15.0, "lane": lane}))
    return pd.concat(rows, ignore_index=True)


def test_track_table_repairs_short_gaps_and_refuses_bad_units(tmp_path):
    rng = np.random.default_rng(0)
    table = _table(rng)
    gappy = table.drop(index=table.index[(table["agent"] == 1) & table["time"].between(2.0, 2.25)])
    gappy.to_csv(tmp_path / "tracks.csv", index=False)
    data = load_source(SourceSpec("tracks", str(tmp_path / "tracks.csv")))
    assert len(data.recordings) == 2 and len(data.lane_table(0)) == 3
    per_agent = data.tracks[data.tracks["scene"] == 0].groupby("agent")["step"]
    assert (per_agent.max() - per_agent.min() + 1 == per_agent.size()).all()  # the gap is filled
    assert data.tracks[data.tracks["scene"] == 0]["agent"].nunique() == 6

    table.assign(speed=table["speed"] * 3.6).to_parquet(tmp_path / "kmh.parquet")
    with pytest.raises(InputDataError, match="km/h"):
        load_source(SourceSpec("tracks", str(tmp_path / "kmh.parquet")))
    pd.concat([table, table.iloc[:3]]).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputDataError, match="duplicated"):
        load_source(SourceSpec("tracks", str(tmp_path / "dup.csv")))
    table.drop(columns=["x"]).to_csv(tmp_path / "nox.csv", index=False)
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['x'\]"):
        load_source(SourceSpec("tracks", str(tmp_path / "nox.csv")))
    table.assign(y=np.where(table.index == 5, np.nan, table["y"])).to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(InputDataError, match="'y' has 1 missing"):
        load_source(SourceSpec("tracks", str(tmp_path / "nan.csv")))


def test_highway_env_simulates_recordings_seen_through_a_window():
    data = load_source(SourceSpec("highway-env", "1"))
    # recordings carry stable names: the split by recording sorts them, so the holdout is the same every run
    assert data.recordings == {0: "highway-env-0"} and data.dt == pytest.approx(0.1)
    tracks = data.tracks
    assert tracks["x"].between(0, 200).all() and tracks["speed"].between(0, 45).all()
    first = tracks.groupby("agent")["step"].min()
    assert (first > 0).any() and (first == 0).any()  # vehicles enter the view during the recording
    assert len(data.lane_table(0)) in (3, 4)
    with pytest.raises(InputDataError, match="number of recordings"):
        load_source(SourceSpec("highway-env", "many"))


def test_simulated_drivers_keep_time_gaps_of_their_own():
    """highway-env gives every IDM driver one time gap; each simulated driver draws its own,
    spread log-normally around it (a single gap puts a sharp floor under the headways)."""
    from highway_env.road.lane import StraightLane
    from highway_env.road.road import Road, RoadNetwork
    from highway_env.vehicle.behavior import IDMVehicle

    from domains.driving.simulation import TIME_GAP_MEDIAN, TIME_GAP_SPREAD, _own_behaviour

    rng = np.random.default_rng(0)
    network = RoadNetwork()
    network.add_lane("a", "b", StraightLane([0, 0], [500, 0]))
    road = Road(network=network, np_random=rng)
    gaps = []
    for _ in range(400):
        vehicle = IDMVehicle(road, [0.0, 0.0], speed=25.0)
        _own_behaviour(vehicle, rng)
        gaps.append(vehicle.TIME_WANTED)
    assert IDMVehicle.TIME_WANTED == pytest.approx(TIME_GAP_MEDIAN)  # the class default stays untouched
    assert np.median(gaps) == pytest.approx(TIME_GAP_MEDIAN, rel=0.1)
    assert np.std(np.log(gaps)) == pytest.approx(TIME_GAP_SPREAD, rel=0.15)


def test_simulated_drivers_wander_smoothly_within_their_lane():
    """The lateral wander has the documented spread, and its speed changes gradually: no 10 Hz
    jitter of position that a predictor would have to learn as signal."""
    from domains.driving.simulation import DT, WANDER_STD, LateralWander

    rng = np.random.default_rng(0)
    drivers = [LateralWander(rng) for _ in range(200)]
    offsets = np.array([[driver.step(rng)[0] for driver in drivers] for _ in range(1500)])
    assert offsets.std() == pytest.approx(WANDER_STD, rel=0.15)
    step_change = np.diff(offsets, axis=0)
    # a first-order process with this spread and time scale moves ~0.07 m per step at random
    assert step_change.std() < 0.03
    # and the lateral speed is persistent (a random walk's consecutive steps are uncorrelated)
    assert np.corrcoef(step_change[1:].ravel(), step_change[:-1].ravel())[0, 1] > 0.8
    assert abs(offsets.mean()) < 0.1 and DT == pytest.approx(0.1)
