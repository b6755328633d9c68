"""Small traffic scenes for tests: IDM/MOBIL traffic on a three-lane road, built in milliseconds
with the project's own rollout (no simulator or data files needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from generators.road import Road
from generators.scenes import SceneSet, concat
from generators.sdv_idm import idm_mobil_controller
from generators.traffic import layout, rollout


def idm_scenes(n_scenes: int = 6, steps: int = 40, seed: int = 0, lanes: int = 3, length: float = 150.0) -> SceneSet:
    parts = []
    for scene in range(n_scenes):
        rng = np.random.default_rng([seed, scene])
        road = Road(np.arange(lanes) * 3.6, 3.6, length)

        def insert(opening, rng):
            speed = opening.leader_speed if opening.leader_speed is not None else rng.uniform(12, 20)
            return rng.uniform(8, 35), float(np.clip(speed + rng.normal(0, 1.5), 3, 30)), 4.5, 1.8, 0.0

        agents = layout(road, insert, rng)
        tracks = rollout(road, agents, steps, 0.1, idm_mobil_controller(road, agents), insert, rng, scene=0,
                         decide_every=5)
        parts.append(SceneSet(tracks, road.lane_table(0), 0.1, {0: f"recording-{scene % 3}"}))
    return concat(parts)


def track(scene, agent, x, y, speed, lane, length=4.5) -> pd.DataFrame:
    """One vehicle's track table rows, heading along the road."""
    n = len(x)
    return pd.DataFrame({"scene": scene, "agent": agent, "step": np.arange(n), "x": x, "y": y,
                         "heading": 0.0, "speed": speed, "length": length, "width": 1.8, "lane": lane})


def event_manoeuvres() -> pd.DataFrame:
    """8 s at 10 Hz. Scene 0: agent 0 brakes hard (15 to 5 m/s) ahead of agent 1. Scene 1: agent 2
    moves from lane 1 into lane 0 ahead of agent 3, 12 m in front at 12 m/s (a 1 s headway)."""
    t = np.arange(80) * 0.1
    speed = np.where(t < 3, 15.0, np.maximum(15.0 - 5.0 * (t - 3), 5.0))
    lead_x = 60 + np.concatenate([[0], np.cumsum(speed[:-1] * 0.1)])
    y = np.where(t < 4, 3.6, np.maximum(3.6 - 1.2 * (t - 4), 0.0))
    return pd.concat([track(0, 1, 30 + 12 * t, np.zeros(80), 12.0, 0), track(0, 0, lead_x, np.zeros(80), speed, 0),
                      track(1, 2, 47 + 12 * t, y, 12.0, (y > 1.8).astype(int)),
                      track(1, 3, 30 + 12 * t, np.zeros(80), 12.0, 0)], ignore_index=True)
