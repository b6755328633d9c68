"""The safety envelope: calibrated to what real drivers do, and keeping synthetic ones apart."""
import numpy as np
import pandas as pd
import pytest

from generators.envelope import Envelope, calibrate
from generators.road import Agents, Road
from generators.scenes import SceneSet, concat
from generators.traffic import rollout


def _following_scene(scene: int, bumper_gap: float, speed: float = 15.0, steps: int = 40) -> SceneSet:
    """Pairs of vehicles at constant speed, each follower `bumper_gap` behind its leader."""
    road = Road(np.array([0.0, 3.6]), 3.6, 300.0)
    t = np.arange(steps) * 0.1
    rows = []
    for lane, centre in enumerate(road.centres):
        for k, front in enumerate((60.0, 60.0 + 4.5 + bumper_gap)):
            rows.append(pd.DataFrame({"scene": scene, "agent": 2 * lane + k, "step": np.arange(steps),
                                      "x": front + speed * t, "y": centre, "heading": 0.0, "speed": speed,
                                      "length": 4.5, "width": 1.8, "lane": lane}))
    return SceneSet(pd.concat(rows, ignore_index=True), road.lane_table(scene), 0.1, {scene: f"recording-{scene}"})


@pytest.mark.parametrize("headway, expected", [(0.6, 0.5), (0.45, 0.4), (0.25, 0.2), (0.0, 0.1)])
def test_reaction_time_is_the_largest_the_real_drivers_keep_to(headway, expected):
    # at equal speeds Krauss's bound binds once the gap (less the standstill metre) is below v * tau
    scenes = concat([_following_scene(s, 1.0 + 15.0 * headway) for s in range(2)])
    assert calibrate(scenes).reaction_time == pytest.approx(expected)


def test_heading_bound_follows_the_training_headings():
    scenes = concat([_following_scene(s, 30.0) for s in range(2)])
    assert calibrate(scenes).max_heading == pytest.approx(0.05)  # straight driving: the floor
    tracks = scenes.tracks.assign(heading=np.linspace(-0.2, 0.2, len(scenes.tracks)))
    tilted = SceneSet(tracks, scenes.lanes, scenes.dt, scenes.recordings)
    assert 0.19 < calibrate(tilted).max_heading <= 0.2


def _drive(x, y, speed, controls, steps: int, envelope: Envelope, lanes: int = 2, width: float = 1.8):
    """Vehicles on a straight road of `lanes` lanes, run under `envelope` with `controls(agents)`
    giving their wanted accelerations and yaw rates."""
    n = len(x)
    road = Road(np.arange(lanes) * 3.6, 3.6, 400.0)
    agents = Agents(np.arange(n), np.array(x, float), np.array(y, float), np.zeros(n), np.array(speed, float),
                    np.full(n, 4.5), np.full(n, width), np.zeros((n, 2)))
    return rollout(road, agents, steps, 0.1, lambda agents, seen, rng: controls(agents), None,
                   np.random.default_rng(0), scene=0, envelope=envelope)


def _wide(tracks, column: str):
    return tracks.pivot(index="step", columns="agent", values=column)


def _keep_going(agents):
    return np.zeros(len(agents)), np.zeros(len(agents))


@pytest.mark.parametrize("reaction_time", [0.1, 0.3, 0.5])
def test_no_rear_end_collision_at_any_calibrated_reaction_time(reaction_time):
    """A leader braking as hard as the decoder allows, a follower that always floors it."""
    tracks = _drive([100.0, 80.0], [0.0, 0.0], [15.0, 20.0],
                    lambda agents: (np.where(agents.ids == 0, -8.0, 4.0), np.zeros(len(agents))),
                    80, Envelope(reaction_time=reaction_time), lanes=1)
    x = _wide(tracks, "x")
    assert ((x[0] - x[1]) > 4.5).all()


def test_vehicles_squeezed_side_by_side_edge_apart():
    """Two vehicles leaning towards the line between their lanes, one overtaking the other: the
    envelope sees the pass coming and both edge away before their boxes meet."""
    tracks = _drive([40.0, 60.0], [1.0, 2.6], [20.0, 15.0], _keep_going, 80, Envelope(max_heading=0.1), width=1.9)
    x, y = _wide(tracks, "x"), _wide(tracks, "y")
    alongside = (x[0] - x[1]).abs() < 4.5
    assert alongside.any()  # the pass happens
    assert ((y[1] - y[0])[alongside] > 1.9).all()  # without the boxes touching


def test_headings_stay_within_the_bound():
    tracks = _drive([20.0], [3.6], [15.0], lambda agents: (np.zeros(1), np.full(1, 0.5)), 40,
                    Envelope(max_heading=0.1), lanes=3)
    assert tracks["heading"].abs().max() <= 0.1 + 0.5 * 0.1  # one step of overshoot at most


def _change_left(gap: float, own_speed: float, other_speed: float):
    """A vehicle in lane 0 that steers left all the time; another in lane 1, `gap` m ahead."""
    return _drive([50.0, 50.0 + 4.5 + gap], [0.0, 3.6], [own_speed, other_speed],
                  lambda agents: (np.zeros(2), np.where(agents.ids == 0, 0.3, 0.0)), 15, Envelope(max_heading=0.2))


def test_no_steering_towards_a_slower_vehicle_just_ahead_in_the_next_lane():
    y = _wide(_change_left(gap=6.0, own_speed=25.0, other_speed=12.0), "y")
    assert y[0].max() < 0.1  # it keeps its lane until it has passed (unguarded it leans 1.5 m over)


def test_a_close_lane_change_at_the_same_speed_is_allowed():
    lane = _wide(_change_left(gap=6.0, own_speed=15.0, other_speed=15.0), "lane")
    assert (lane[0] == 1).any()


def test_context_only_drivers_are_not_measured():
    """Tailgating followers that are privacy controls leave the reaction time at its default."""
    scenes = concat([_following_scene(s, 1.0 + 15.0 * 0.25) for s in range(2)])
    followers = scenes.tracks["agent"] % 2 == 0  # agent 2k + 1 is 2k's leader
    controls = SceneSet(scenes.tracks.assign(context_only=followers), scenes.lanes, scenes.dt, scenes.recordings)
    assert calibrate(scenes).reaction_time == pytest.approx(0.2)
    assert calibrate(controls).reaction_time == pytest.approx(Envelope().reaction_time)
