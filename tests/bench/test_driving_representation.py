"""The benchmark's re-expression of real tracks as held decisions (what traffic-mdn's policy can
express) keeps the smoothed speeds at every decision and changes speed evenly in between."""
import sys
from pathlib import Path

import numpy as np

from generators.kinematics import derive
from tests.generators.scene_fixtures import idm_scenes

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from driving_generators import held_decisions  # noqa: E402


def _by_track(tracks):
    return tracks.sort_values(["scene", "agent", "step"]).groupby(["scene", "agent"])


def test_held_decisions_meet_the_smoothed_speed_at_every_decision():
    scenes = idm_scenes(n_scenes=2, steps=40)
    smoothed = scenes.tracks.assign(speed=derive(scenes.tracks, scenes.dt, 5)["speed_s"].to_numpy())
    held = held_decisions(scenes, window=5, hold=3)
    assert held.tracks.index.equals(scenes.tracks.index)
    for (key, track), (_, reference) in zip(_by_track(held.tracks), _by_track(smoothed)):
        speed, target = track["speed"].to_numpy(), reference["speed"].to_numpy()
        decisions = np.arange(0, len(speed), 3)
        np.testing.assert_allclose(speed[decisions], target[decisions], atol=1e-9, err_msg=str(key))
        change = np.diff(speed)
        for start in decisions[:-1]:  # one held change per interval
            np.testing.assert_allclose(change[start : start + 3], change[start], atol=1e-9)


def test_decisions_every_step_are_the_smoothed_track_itself():
    scenes = idm_scenes(n_scenes=1, steps=30)
    held = held_decisions(scenes, window=3, hold=1)
    np.testing.assert_allclose(held.tracks["speed"].to_numpy(), derive(scenes.tracks, scenes.dt, 3)["speed_s"].to_numpy(),
                               atol=1e-9)
    moved = _by_track(held.tracks)["x"].diff().dropna()
    assert (moved >= 0).all()  # integrated forwards from the first smoothed position
