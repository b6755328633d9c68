"""The driving report's parts: measures, validity checks, track privacy, the predictor, CommonRoad
files and the domain's sample request."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domains import get_domain
from domains.driving.commonroad_export import obstacle_table, read_scenarios, write_scenario
from domains.driving.evaluation import realism_by_rounds, realism_distances
from domains.driving.measures import agent_step_features, boxes_overlap, collided_agents, js_distance, off_road_agents
from domains.driving.predictor import MotionPredictor, prediction_samples
from domains.driving.privacy import pairwise_ade, track_records
from domains.driving.profiles import PredictorConfig
from generators.scenes import SceneSet
from tests.generators.scene_fixtures import idm_scenes
from validation.privacy import memorization


def two_cars(y2: float = 0.0, x2: float = 20.0, speed2: float = 10.0, steps: int = 30) -> SceneSet:
    """A follower at 15 m/s behind a leader; the leader `x2` ahead and `y2` to the side."""
    rows = []
    for step in range(steps):
        rows.append((0, 0, step, 1.5 * step, 0.0, 0.0, 15.0, 4.0, 1.8, 0))
        rows.append((0, 1, step, x2 + speed2 * 0.1 * step, y2, 0.0, speed2, 4.0, 1.8, 0 if abs(y2) < 1.8 else 1))
    tracks = pd.DataFrame(rows, columns=["scene", "agent", "step", "x", "y", "heading", "speed", "length", "width",
                                         "lane"])
    lanes = pd.DataFrame({"scene": [0, 0], "lane": [0, 1], "center_y": [0.0, 3.6], "width": [3.6, 3.6],
                          "x_min": [0.0, 0.0], "x_max": [200.0, 200.0]})
    return SceneSet(tracks, lanes, 0.1)


def test_headway_and_time_to_collision_follow_their_definitions():
    features = agent_step_features(two_cars())
    follower = features[(features["agent"] == 0) & (features["step"] == 0)].iloc[0]
    assert follower["time_headway"] == pytest.approx((20 - 4) / 15)  # bumper gap over own speed
    assert follower["time_to_collision"] == pytest.approx((20 - 4) / 5)  # gap over closing speed
    assert follower["nearest_distance"] == pytest.approx(20)
    leader = features[(features["agent"] == 1) & (features["step"] == 0)].iloc[0]
    assert np.isnan(leader["time_headway"]) and np.isnan(leader["time_to_collision"])


def test_boxes_overlap_uses_orientation():
    a = np.array([[0.0, 0.0, 0.0, 4.0, 2.0]])
    assert boxes_overlap(a, np.array([[3.9, 0.0, 0.0, 4.0, 2.0]]))[0]
    assert not boxes_overlap(a, np.array([[4.1, 0.0, 0.0, 4.0, 2.0]]))[0]
    # A box turned 90 degrees reaches 2 m sideways, no longer 1 m
    assert boxes_overlap(a, np.array([[0.0, 2.9, np.pi / 2, 4.0, 2.0]]))[0]
    assert not boxes_overlap(a, np.array([[0.0, 2.9, 0.0, 4.0, 2.0]]))[0]


def test_collisions_and_off_road_are_found_per_agent():
    clear, crash = two_cars(), two_cars(x2=3.0, speed2=15.0)
    assert not collided_agents(clear).any()
    assert collided_agents(crash).all()
    off = two_cars(y2=9.0)  # beyond the left edge of the two-lane road (5.4 m)
    assert off_road_agents(off).tolist() == [False, True]
    assert not off_road_agents(clear).any()


def test_jensen_shannon_distance_bounds():
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    span = (-5.0, 5.0)
    assert js_distance(a, a, span) == 0.0
    assert js_distance(a + 100, a, span) > 0.99  # all mass in the top bin, where the reference has none
    assert js_distance(rng.normal(size=5000), a, span) < 0.1
    assert js_distance(a + 0.01, a, span) < 0.05  # finer than a bin: hardly a difference
    assert np.isnan(js_distance(a, a[:0], span)) and js_distance(a[:0], a, span) == 1.0


def test_realism_averages_every_complete_round_of_scenes():
    """Each round of n scenes is measured on its own (the baseline's sample size) and the distances
    averaged; a trailing incomplete round is left out."""
    real = idm_scenes(n_scenes=4, steps=40, seed=0)
    reference = agent_step_features(real)
    slow = real.tracks[real.tracks["scene"] >= 2].assign(x=lambda t: t["x"] * 0.6, speed=lambda t: t["speed"] * 0.6)
    stray = real.tracks[real.tracks["scene"] == 0].assign(scene=4, x=lambda t: t["x"] * 0.2)
    scenes = SceneSet(pd.concat([real.tracks[real.tracks["scene"] < 2], slow, stray], ignore_index=True),
                      pd.concat([real.lanes, real.lanes[real.lanes["scene"] == 0].assign(scene=4)]), real.dt)
    first, second = (realism_distances(scenes.subset(ids), reference) for ids in ([0, 1], [2, 3]))
    measured = realism_by_rounds(scenes, reference, n=2)
    assert measured["speed"] == pytest.approx((first["speed"] + second["speed"]) / 2)
    assert first["speed"] < measured["speed"] < second["speed"]
    assert realism_by_rounds(scenes.subset([0, 1]), reference, n=3)["speed"] == pytest.approx(first["speed"])


def test_track_privacy_flags_copies_and_not_fresh_tracks():
    train, holdout, fresh = idm_scenes(6, seed=0), idm_scenes(6, seed=1), idm_scenes(6, seed=2)
    train_tracks, _, _ = track_records(train)
    held, _, _ = track_records(holdout)
    assert train_tracks.shape[1:] == (8, 2) and np.allclose(train_tracks[:, 0], 0)  # re-originated
    manual = np.linalg.norm(train_tracks[0] - held[0], axis=-1).mean()
    assert pairwise_ade(train_tracks[:1], held[:1])[0, 0] == pytest.approx(manual)
    copied = memorization(train_tracks, train_tracks, held, 0.05, pairwise_ade)["share"]
    honest = memorization(track_records(fresh)[0], train_tracks, held, 0.05, pairwise_ade)["share"]
    assert copied == 1.0 and honest < 0.3


def test_predictor_learns_motion_from_scenes():
    config = PredictorConfig(history=10, horizon=20, epochs=30, hidden=64)
    train, holdout = idm_scenes(6, steps=60, seed=0), idm_scenes(4, steps=60, seed=1)
    x, y = prediction_samples(train, config)
    tx, ty = prediction_samples(holdout, config)
    assert x.shape[1] == 2 * 11 + 4 and y.shape[1:] == (20, 2) and len(tx)
    min_ade, min_fde = MotionPredictor(config, seed=0).fit(x, y).min_ade_fde(tx, ty)
    standing_still = np.linalg.norm(ty, axis=-1).mean()  # predicting no motion at all
    assert min_ade < 0.2 * standing_still and min_fde > min_ade


def three_manoeuvres(n: int, seed: int, config: PredictorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predictor samples of one past (straight on at 1 m/step) and three equally likely futures:
    straight on, curving left, curving right. Which one is not in the inputs."""
    rng = np.random.default_rng(seed)
    h, f = config.history, config.horizon
    inputs = np.zeros((n, 2 * (h + 1) + 4))
    inputs[:, : h + 1] = np.linspace(-h, 0, h + 1) / 10  # past x, in the predictor's 10 m units
    inputs[:, -4:] = rng.normal(size=(n, 4))
    side = rng.integers(-1, 2, n)
    t = np.arange(1, f + 1)
    futures = np.stack([np.broadcast_to(t * 1.0, (n, f)), side[:, None] * 0.02 * t**2], -1)
    return inputs, futures, side


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_predictor_keeps_a_mode_for_every_manoeuvre(seed):
    # Plain winner-takes-all leaves a mode that lost early unused: with seeds 1, 2 and 4 it
    # misses one manoeuvre by 2.7 m. The relaxed loss keeps every mode learning.
    config = PredictorConfig(history=10, horizon=20, modes=3, hidden=32, epochs=15)
    x, y, _ = three_manoeuvres(3000, 0, config)
    tx, ty, side = three_manoeuvres(600, 1, config)
    predictor = MotionPredictor(config, seed).fit(x, y)
    assert all(predictor.min_ade_fde(tx[side == s], ty[side == s])[0] < 0.1 for s in (-1, 0, 1))


def test_commonroad_files_round_trip(tmp_path):
    scenes = idm_scenes(2, steps=20)
    write_scenario(scenes, 1, tmp_path / "scene_00001.xml", ["cut_in"], "driving/test")
    (scenario,) = read_scenarios(tmp_path)
    assert len(scenario.lanelet_network.lanelets) == 3
    assert "cut_in" in {t.name.lower() for t in scenario.tags}
    read = obstacle_table(scenario).sort_values(["agent", "step"])
    original = scenes.tracks[scenes.tracks["scene"] == 1].sort_values(["agent", "step"])
    assert len(read) == len(original)
    assert np.allclose(read[["x", "y"]].to_numpy(), original[["x", "y"]].to_numpy(), atol=1e-3)


def test_commonroad_files_do_not_depend_on_the_process_that_wrote_them(tmp_path):
    # The writer emits scenario tags and lanelet types from Python sets, whose order changes with
    # the string hash seed of each process; the published files must not.
    script = ("import sys; from pathlib import Path; from tests.generators.scene_fixtures import idm_scenes; "
              "from domains.driving.commonroad_export import write_scenario; "
              "write_scenario(idm_scenes(2, steps=20), 1, Path(sys.argv[1]), ['cut_in'], 'driving/test')")
    written = []
    for hash_seed in ("1", "2", "3"):
        path = tmp_path / f"scene_{hash_seed}.xml"
        subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=Path(__file__).parents[3],
                       env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=120)
        written.append(path.read_bytes())
    assert written[0] == written[1] == written[2]


def test_event_requests_go_to_generators_that_take_them_for_events_seen_in_training():
    driving = get_domain("driving")
    profile = driving.profile("quick")
    train = idm_scenes(6, steps=80)  # MOBIL lane changes and IDM braking: 10 cut-ins, 11 hard brakings
    asked = driving.sample_request(profile, train, 10, "traffic-mdn")
    events = [c.get("events") for c in asked["conditions"]]
    assert events.count(["cut_in"]) == 2 and events.count(["hard_braking"]) == 1
    assert events[:5].count(["cut_in"]) == 1 and events[:5].count(["hard_braking"]) == 1  # spread, not in a block
    assert asked["steps"] == profile.steps and asked["n"] == 10
    assert all(not c for c in driving.sample_request(profile, train, 10, "sdv-idm")["conditions"])
    quiet = driving.sample_request(profile, two_cars(steps=80), 10, "traffic-mdn")  # no event to learn from
    assert all(not c for c in quiet["conditions"])
