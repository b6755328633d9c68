"""The scene machinery every traffic generator shares: kinematics, event detection, rollout."""
import numpy as np
import pandas as pd
import pytest
import torch

from generators.events import detect
from generators.kinematics import LIMITS, derive, infeasible_tracks, step_kinematics
from generators.road import Agents, Road, neighbours
from generators.traffic import rollout
from tests.generators.scene_fixtures import event_manoeuvres, idm_scenes
from tests.generators.scene_fixtures import track as _track


def test_decoder_clamps_controls_to_feasible_motion():
    x, y, heading, speed = step_kinematics(np.zeros(2), np.zeros(2), np.zeros(2), np.array([10.0, 0.1]),
                                           np.array([-50.0, -50.0]), np.array([5.0, 0.0]), 0.1)
    assert speed[0] == pytest.approx(10.0 + LIMITS.decode_acceleration[0] * 0.1)
    assert speed[1] == 0.0  # stops, never reverses
    assert abs(heading[0]) <= LIMITS.decode_curvature * 10.0 * 0.1 + 1e-9


def test_smoothed_kinematics_of_steady_and_teleporting_tracks():
    t = np.arange(60) * 0.1
    steady = _track(0, 0, 15 * t, np.zeros(60), 15.0, 0)
    jump = _track(0, 1, np.where(t < 3, 15 * t, 15 * t + 30), np.full(60, 3.5), 15.0, 1)
    derived = derive(pd.concat([steady, jump], ignore_index=True), 0.1)
    first = derived[derived["agent"] == 0]
    assert np.allclose(first["speed_s"], 15, atol=1e-6) and np.allclose(first["accel"], 0, atol=1e-6)
    assert infeasible_tracks(derived).tolist() == [False, True]


def test_a_track_braking_to_a_stop_neither_reverses_nor_turns():
    """The smoothing filter's velocity overshoots through zero at a stop; measured naively the
    vehicle would reverse and flip its heading, a curvature spike that reads as infeasible."""
    speed = np.maximum(6.0 - 4.0 * np.arange(20) * 0.1, 0.0)  # stops 4 steps before the track ends
    x = np.concatenate([[0.0], np.cumsum(speed[:-1] * 0.1)])
    track = _track(0, 0, x, 0.02 * x, speed, 0).assign(heading=0.02)
    derived = derive(track, 0.1)
    assert (derived["speed_s"] >= 0).all() and derived["speed_s"].iloc[-5:].max() < 0.5
    assert np.abs(derived["heading_s"]).max() < 0.1
    assert not infeasible_tracks(derived).any()


def test_detector_finds_hard_braking_and_cut_in():
    events = detect(event_manoeuvres(), 0.1)
    assert set(map(tuple, events[["scene", "agent", "event"]].to_numpy())) == {(0, 0, "hard_braking"),
                                                                               (1, 2, "cut_in")}


def test_neighbours_see_the_six_slots():
    road = Road(np.array([0.0, 3.6, 7.2]), 3.6, 200.0)
    agents = Agents(np.arange(4), np.array([50.0, 80.0, 40.0, 70.0]), np.array([3.6, 3.6, 7.2, 0.0]),
                    np.zeros(4), np.array([10.0, 12.0, 9.0, 11.0]), np.full(4, 4.0), np.full(4, 2.0), np.zeros((4, 2)))
    seen = neighbours(agents, road)
    assert seen["lead_index"][0] == 1 and seen["lead_gap"][0] == pytest.approx(26.0)
    assert seen["lead_dv"][0] == pytest.approx(2.0)
    assert seen["left_follow_index"][0] == 2 and seen["right_lead_index"][0] == 3
    assert seen["follow_index"][0] == -1 and seen["follow_gap"][0] == 100.0


def test_envelope_keeps_followers_behind_a_braking_leader():
    """A controller that always floors it still never runs into the car ahead."""
    road = Road(np.array([0.0]), 3.6, 400.0)
    agents = Agents(np.arange(2), np.array([100.0, 70.0]), np.zeros(2), np.zeros(2), np.array([15.0, 20.0]),
                    np.full(2, 4.5), np.full(2, 1.8), np.zeros((2, 2)))

    def reckless(agents, seen, rng):
        return np.where(agents.ids == 0, -6.0, 4.0), np.zeros(len(agents))

    tracks = rollout(road, agents, 80, 0.1, reckless, None, np.random.default_rng(0), scene=0)
    wide = tracks.pivot(index="step", columns="agent", values="x")
    assert ((wide[0] - wide[1]) > 4.5).all()


def test_idm_scenes_have_no_overlapping_vehicles():
    """Two vehicles merging into one lane from both sides is the hard case for the envelope."""
    scenes = idm_scenes(n_scenes=3, steps=60, seed=1)
    for _, now in scenes.tracks.groupby(["scene", "step"]):
        x, y = now["x"].to_numpy(), now["y"].to_numpy()
        overlap = (np.abs(x[:, None] - x[None]) < 4.5) & (np.abs(y[:, None] - y[None]) < 1.8)
        assert overlap.sum() == len(now)  # each vehicle overlaps only itself


RAMP_STEPS = 60
RAMP_GAINS = 0.5 * np.arange(6) / (RAMP_STEPS - 1) / 0.1  # m/s²: agent k speeds up by 0.5 k m/s over the scene


def _ramp_scenes():
    """Two scenes of six vehicles, two per lane 60 m apart, each at its own constant acceleration."""
    from generators.scenes import SceneSet, concat

    t, parts = np.arange(RAMP_STEPS) * 0.1, []
    for scene in range(2):
        road = Road(np.array([0.0, 3.6, 7.2]), 3.6, 400.0)
        rows = []
        for agent, gain in enumerate(RAMP_GAINS):
            x = 20 + 60 * (agent // 3) + 12.0 * t + 0.5 * gain * t**2
            lane = agent % 3
            rows.append(_track(scene, agent, x, np.full(RAMP_STEPS, road.centres[lane]), 12.0 + gain * t, lane))
        parts.append(SceneSet(pd.concat(rows, ignore_index=True), road.lane_table(scene), 0.1, {scene: f"r{scene}"}))
    return concat(parts)


def test_pace_rows_are_each_drivers_mean_speed_less_its_first():
    """traffic-mdn's pace model learns what each driver will average over the scene."""
    from generators.traffic_mdn import training_rows

    rows = training_rows(_ramp_scenes(), 3)
    expected = np.tile(0.25 * np.arange(6), 2)  # the mean of a linear ramp is half its gain
    assert rows.pace_y[:, 0] == pytest.approx(expected, abs=0.02)
    assert rows.pace_x[:, 0] * 30 == pytest.approx(12.0, abs=0.02)


def test_scene_templates_use_every_training_scene_once_before_any_twice():
    from generators.traffic import scene_template

    first_round = [scene_template(i, 7, seed=3) for i in range(7)]
    assert sorted(first_round) == list(range(7))
    assert sorted(scene_template(i, 7, seed=3) for i in range(7, 14)) == list(range(7))
    assert [scene_template(i, 7, seed=4) for i in range(7)] != first_round  # the seed sets the order


def test_speed_trend_reads_the_same_in_training_rows_and_in_closed_loop():
    """The policy's look-back features: the mean acceleration over the last 1.5 s and 3 s, zero
    for a vehicle not seen that long, computed alike from real tracks and from a rollout."""
    from generators.traffic_mdn import speed_trend, training_rows

    rows = training_rows(_ramp_scenes(), 3, (15, 30))
    trend = rows.x[:, 3:5] * 3  # policy_features scales them by 1/3
    long_enough = trend[:, 1] != 0
    assert 0 < long_enough.mean() < 1  # rows of the first 3 s have no 3 s trend yet
    assert trend[long_enough, 0] == pytest.approx(trend[long_enough, 1], abs=0.02)  # constant acceleration
    assert all(np.abs(RAMP_GAINS - value).min() < 0.02 for value in trend[long_enough, 1])

    t = np.arange(40) * 0.1
    speeds = 12.0 + RAMP_GAINS[5] * t
    closed_loop = speed_trend(speeds[-1:], [list(speeds)], (15, 30), 0.1)
    assert closed_loop[0] == pytest.approx([RAMP_GAINS[5]] * 2)
    young = speed_trend(speeds[-1:], [list(speeds[-20:])], (15, 30), 0.1)  # seen for 2 s only
    assert young[0, 0] == pytest.approx(RAMP_GAINS[5]) and young[0, 1] == 0.0


def test_context_only_vehicles_have_no_rows_of_their_own_but_stay_neighbours():
    """traffic-mdn learns nothing about a privacy control's own motion; others still react to it."""
    from generators.scenes import SceneSet
    from generators.traffic_mdn import training_rows

    scenes = idm_scenes(4, steps=60)
    everyone = training_rows(scenes, 3)
    controls = scenes.tracks["agent"] % 2 == 0
    marked = training_rows(SceneSet(scenes.tracks.assign(context_only=controls), scenes.lanes, scenes.dt,
                                    scenes.recordings), 3)
    learned_agents = scenes.tracks.loc[~controls].groupby(["scene", "agent"]).ngroups
    assert len(marked.pace_y) == learned_agents < len(everyone.pace_y)
    assert 0 < len(marked.insertion_y) < len(everyone.insertion_y) and 0 < len(marked.x) < len(everyone.x)
    # the rows kept are the same rows as before: neighbour features still include the controls
    kept = {tuple(row) for row in np.round(everyone.x, 4)}
    assert all(tuple(row) in kept for row in np.round(marked.x, 4))


def test_sdv_idm_initial_states_leave_out_context_only_vehicles():
    from generators.scenes import SceneSet
    from generators.sdv_idm import initial_rows

    scenes = idm_scenes(3)
    controls = scenes.tracks["agent"] % 3 == 0
    marked = SceneSet(scenes.tracks.assign(context_only=controls), scenes.lanes, scenes.dt, scenes.recordings)
    first = scenes.tracks[scenes.tracks["step"] == 0]
    assert len(initial_rows(marked)) == (~controls[first.index]).sum() < len(initial_rows(scenes))


def test_small_networks_take_at_least_the_gradient_steps_asked_for():
    """traffic-mdn's per-vehicle networks see few rows; an epoch repeats passes until they have had
    as many gradient steps as the per-step policy."""
    from generators.traffic_mdn import ConditionalMDN, _epoch

    model = ConditionalMDN(3, 2, 8, 2)
    x, y = torch.zeros((10, 3)), torch.zeros((10, 2))
    _epoch(model, x, y, 4, 1e-3, 1)  # one pass: 3 batches
    _epoch(model, x, y, 4, 1e-3, 2, min_steps=7)  # three passes: 9 batches
    state = model.optimizer_.state[next(iter(model.parameters()))]
    assert int(state["step"]) == 3 + 9


def test_networks_validate_on_whole_recordings_and_keep_the_epoch_their_rule_chooses():
    from generators.traffic_mdn import VALIDATION_SHARE, ConditionalMDN, EarlyStopped, validation_rows

    rng = np.random.default_rng(0)
    scenes = np.repeat(np.arange(8), 25)
    recordings = {s: f"recording-{s // 2}" for s in range(8)}  # two scenes per recording
    mask = validation_rows(scenes, recordings, rng)
    held = {recordings[s] for s in scenes[mask]}
    assert VALIDATION_SHARE <= mask.mean() < 1 and all(mask[[recordings[s] in held for s in scenes]])
    alone = validation_rows(scenes, {s: "one" for s in range(8)}, rng)
    assert 0 < alone.mean() < 0.3  # a single recording: random rows

    x = rng.normal(size=(200, 3)).astype(np.float32)
    y = (x[:, :2] + rng.normal(0, 0.5, size=(200, 2))).astype(np.float32)
    torch.manual_seed(0)
    network = EarlyStopped(ConditionalMDN(3, 2, 64, 3), x, y, mask, standard_errors=1.0)
    for epoch in range(1, 30):
        network.epoch(8, 1e-2, epoch, 0)  # a high rate on few rows: it overfits after a while
    losses, errors = np.array(network.validation_losses), np.array(network.validation_errors)
    best = int(np.argmin(losses))
    assert best < len(losses) - 1  # the last was not the best
    chosen = network.chosen_epoch
    # one standard error rule: the earliest epoch that close to the best, never a later one
    assert chosen <= best + 1 and losses[chosen - 1] <= losses[best] + errors[best]
    assert (losses[: chosen - 1] > losses[best] + errors[best]).all()
    network.keep_best()
    with torch.no_grad():
        final = float(-network.model.log_likelihood(*network.validation).mean())
    assert final == pytest.approx(losses[chosen - 1], rel=1e-5)
    network.standard_errors = 0.0
    assert network.chosen_epoch == best + 1  # no tolerance: the best epoch itself


def test_insertion_rows_place_each_vehicle_behind_its_lane_leader():
    from generators.traffic import OPEN_ROAD_MARGIN
    from generators.traffic_mdn import insertion_rows

    road = Road(np.array([0.0, 3.6, 7.2]), 3.6, 200.0)
    x, lane = np.array([100.0, 60.0, 150.0]), np.array([0, 0, 1])
    agents = Agents(np.arange(3), x, road.centres[lane], np.zeros(3), np.array([10.0, 12.0, 14.0]), np.full(3, 4.0),
                    np.full(3, 1.8), np.zeros((3, 2)))
    regime = np.array([20.0, 12.0])
    rows = insertion_rows(agents, lane, np.zeros(3), road, regime, np.ones(3, bool), initial=True)
    gaps = [float(np.exp(target[0]) * (target[1] * 30 + 1.0)) for _, target in rows]  # see insertion_target
    fronts = [float(context[6]) * road.length for context, _ in rows]
    open_end = road.length + OPEN_ROAD_MARGIN
    # lane 0: the first vehicle behind the open road, the second behind the first; lane 1: one vehicle
    assert fronts == pytest.approx([open_end, 98.0, open_end])
    assert gaps == pytest.approx([open_end - 102.0, 98.0 - 62.0, open_end - 152.0], rel=1e-5)
    assert [float(context[1]) * 30 for context, _ in rows] == pytest.approx([0.0, 10.0, 0.0])  # leader speeds
    assert all(context[7] == 1.0 for context, _ in rows)
    later = insertion_rows(agents, lane, np.zeros(3), road, regime, np.array([False, True, False]), initial=False)
    assert len(later) == 1 and later[0][0][7] == 0.0  # as the scene runs: only the vehicle that entered


def test_insertion_gaps_are_learned_as_time_gaps_and_decode_back():
    from generators.traffic_mdn import insertion_decode, insertion_target

    fast, slow = insertion_target(30.0, 29.0, 4.5, 1.8, 0.2), insertion_target(3.0, 2.0, 4.5, 1.8, 0.2)
    assert fast[0] == pytest.approx(slow[0])  # the same 1 s (plus 1 m/s) time gap at either speed
    gap, speed, length, width, offset = insertion_decode(fast, lane_width=3.6)
    assert (gap, speed, length, width, offset) == pytest.approx((30.0, 29.0, 4.5, 1.8, 0.2), rel=1e-5)


def test_layout_fills_each_lane_down_to_its_end():
    from generators.traffic import layout

    road = Road(np.array([0.0, 3.6, 7.2]), 3.6, 300.0)

    def insert(opening, rng):
        assert opening.initial
        return 10.0, 12.0, 4.0, 1.8, 0.0

    agents = layout(road, insert, np.random.default_rng(0), ends=np.array([150.0, 60.0, np.inf]))
    rears, lanes = agents.x - agents.length / 2, np.round(agents.y / 3.6).astype(int)
    assert rears[lanes == 0].min() >= 150.0 and rears[lanes == 1].min() >= 60.0 and not (lanes == 2).any()
    assert rears[lanes == 0].min() < 150.0 + 14.0  # the queue goes on as long as the next vehicle fits


def test_laid_out_speeds_keep_the_regimes_mean_and_stay_safe_behind_each_leader():
    from generators.envelope import Envelope, safe_speed
    from generators.traffic import keep_mean_speed

    road = Road(np.array([0.0, 3.6]), 3.6, 300.0)
    # lane 0: a queue of three, the last stopped, 16 m between bumpers; lane 1: one vehicle alone
    agents = Agents(np.arange(4), np.array([200.0, 180.0, 160.0, 100.0]), np.array([0.0, 0.0, 0.0, 3.6]),
                    np.zeros(4), np.array([4.0, 8.0, 0.0, 6.0]), np.full(4, 4.0), np.full(4, 1.8), np.zeros((4, 2)))
    slower = keep_mean_speed(agents.select(np.ones(4, bool)), road, 3.0)
    assert slower.speed.mean() == pytest.approx(3.0) and slower.speed[2] == 0.0
    assert slower.speed[[0, 1]] / slower.speed[3] == pytest.approx([4 / 6, 8 / 6])  # in proportion, as laid out
    envelope = Envelope()
    faster = keep_mean_speed(agents.select(np.ones(4, bool)), road, 22.5, envelope)
    # scaled 5x to 20, 40, 0 and 30 m/s; at 40 the second could not stop behind the first
    assert faster.speed[[0, 2, 3]] == pytest.approx([20.0, 0.0, 30.0])
    assert faster.speed[1] == pytest.approx(safe_speed(40.0, 20.0, 16.0, envelope.reaction_time, envelope.braking))
    assert 20.0 < faster.speed[1] < 40.0


def test_traffic_mdn_scenes_start_at_the_mean_speed_asked_for():
    from generators.traffic_mdn import TrafficMDN

    model = TrafficMDN(epochs=1, hidden=16, components=2).fit(idm_scenes(4))
    scenes = model.sample(4, seed=0, steps=5, conditions=[{"speed": 8.0}, {"speed": 8.0}, {}, {}])
    first = scenes.tracks[scenes.tracks["step"] == 0].groupby("scene")["speed"].mean()
    assert first.loc[[0, 1]].to_numpy() == pytest.approx([8.0, 8.0], rel=1e-6)
    # the template's regime, less what the safe speed behind each leader takes off
    regime, laid_out = scenes.scene_info["mean_speed"].iloc[[2, 3]].to_numpy(), first.loc[[2, 3]].to_numpy()
    assert (laid_out <= regime + 1e-9).all() and (laid_out > 0.9 * regime).all()


def test_lane_ends_follow_the_template_scene_and_leave_empty_lanes_empty():
    from generators.traffic import draw_lane_ends

    offsets = {"first": [np.nan], "middle": [0.0, 0.1], "last": [-0.1]}
    road = Road(np.arange(4) * 3.6, 3.6, 200.0)
    ends = draw_lane_ends(0.5, offsets, road, np.random.default_rng(0))
    assert ends[0] == np.inf and set(ends[1:3]) <= {100.0, 120.0} and ends[3] == pytest.approx(80.0)


def test_scene_conditions_say_where_the_queues_end():
    from generators.scenes import SceneSet
    from generators.traffic import learn_lane_ends, scene_conditions

    road = Road(np.array([0.0, 3.6, 7.2]), 3.6, 200.0)  # the third lane is empty
    tracks = pd.concat([_track(0, 0, [150.0, 151.0], [0.0, 0.0], 10.0, 0, length=4.0),
                        _track(0, 1, [52.0, 53.0], [0.0, 0.0], 10.0, 0, length=4.0),
                        _track(0, 2, [72.0, 73.0], [3.6, 3.6], 10.0, 1, length=4.0)], ignore_index=True)
    conditions = scene_conditions(SceneSet(tracks, road.lane_table(0), 0.1, {0: "r"}))
    assert conditions["queue_end"].iloc[0] == pytest.approx(0.3)  # median of 50 m and 70 m
    offsets = learn_lane_ends(conditions)
    assert offsets["first"] == pytest.approx([-0.05]) and offsets["middle"] == pytest.approx([0.05])
    assert np.isnan(offsets["last"][0])


def test_traffic_mdn_redraws_a_scene_the_validity_check_would_call_infeasible(monkeypatch):
    """The decoder bounds every control, but the check measures smoothed tracks; a scene it would
    fail is drawn again, as one missing its requested event is."""
    import generators.traffic_mdn as traffic_mdn
    from generators.kinematics import infeasible_tracks

    model = traffic_mdn.TrafficMDN(epochs=1, hidden=16, components=2, max_tries=5).fit(idm_scenes(4))
    calls = []

    def first_two_infeasible(derived):
        calls.append(1)
        verdict = infeasible_tracks(derived)
        return verdict | (len(calls) <= 2)

    monkeypatch.setattr(traffic_mdn, "infeasible_tracks", first_two_infeasible)
    scene = model.sample(1, seed=0, steps=20)
    assert scene.scene_info["tries"].tolist() == [3]
    model.max_tries, calls[:] = 2, []
    assert model.sample(1, seed=0, steps=20).scene_info["tries"].tolist() == [2]  # gives up after max_tries
