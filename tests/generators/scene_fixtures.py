"""Small traffic scenes for tests: IDM/MOBIL traffic on a three-lane road, built in milliseconds
with the project's own rollout (no simulator or data files needed)."""
from __future__ import annotations

import numpy as np

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
