"""`sdv-idm`: the baseline a practitioner would assemble from standard parts — initial vehicle
states from an SDV Gaussian-copula model of the real first steps, rolled out with the IDM car-
following model and MOBIL lane changes (Treiber et al.; Kesting et al.), through the same
kinematic decoder and envelope as the learned generator. It does not take event requests: a
scene that asks for one records whether IDM happened to produce it.
"""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from generators.events import detect
from generators.road import Agents, Road
from generators.scenes import SceneSet, learned
from generators.seeding import global_seed
from generators.traffic import SceneGenerator, draw_road, rollout
from synthpipe.errors import InputDataError

IDM = {"max_accel": 1.5, "comfort_decel": 2.0, "headway": 1.2, "min_gap": 2.0, "delta": 4}
MOBIL = {"politeness": 0.3, "threshold": 0.2, "safe_decel": 4.0}


def idm_acceleration(speed, desired, gap, closing):
    p = IDM
    wanted_gap = p["min_gap"] + np.maximum(0.0, speed * p["headway"] + speed * closing /
                                           (2 * np.sqrt(p["max_accel"] * p["comfort_decel"])))
    free = 1 - (speed / np.maximum(desired, 0.1)) ** p["delta"]
    return p["max_accel"] * (free - (wanted_gap / np.maximum(gap, 0.1)) ** 2)


class SDVIDMGenerator(SceneGenerator):
    """Baseline scenes: SDV Gaussian-copula initial states rolled out with IDM and MOBIL."""

    name = "sdv-idm"
    honours_context_only = True

    def __init__(self, decide_every: int = 5, random_state: int = 0):
        self.decide_every = decide_every
        self.random_state = random_state
        self.n_features_ = None

    def fit(self, data: SceneSet, progress=None) -> "SDVIDMGenerator":
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        scenes = self._learn_context(data)
        rows = initial_rows(scenes)
        metadata = Metadata.load_from_dict({"tables": {"agents": {"columns": {
            c: {"sdtype": "numerical"} for c in rows.columns}}}})
        self.copula_ = GaussianCopulaSynthesizer(metadata, enforce_min_max_values=True)
        with global_seed(self.random_state):
            self.copula_.fit({"agents": rows})
        self.n_features_ = rows.shape[1]
        if progress:
            progress(1, 1, 0.0)
        return self

    def _scene(self, condition: dict, steps: int, rng: np.random.Generator, template: int) -> SceneSet:
        road = draw_road(self.roads_, condition.get("lanes"), rng, template)
        count = condition.get("agents") or int(self.conditions_["agents"].iloc[template])
        agents = self._place(road, count, int(rng.integers(2**31)))
        tracks = rollout(road, agents, steps, self.dt_, idm_mobil_controller(road, agents), None, rng, scene=0,
                         decide_every=self.decide_every, envelope=self.envelope_)
        found = sorted(set(detect(tracks, self.dt_)["event"])) if condition.get("events") else []
        return self._as_scene(tracks, road, condition, found, 1, count / (len(road.centres) * road.length / 1000),
                              float(agents.speed.mean()) if len(agents) else 0.0)

    def _place(self, road: Road, count: int, seed: int) -> Agents:
        """Sampled vehicles on their lanes, dropping any that would overlap the one ahead."""
        # SDV keeps a random state that advances with every call: rewind it, so the seed decides
        self.copula_._data_processor.reset_sampling()
        self.copula_._set_random_state(seed)
        with global_seed(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = self.copula_.sample(max(count * 2, 10))
        rows = rows["agents"] if isinstance(rows, dict) else rows
        lanes = len(road.centres)
        rows["lane"] = np.clip(np.rint(rows["lane_share"] * (lanes - 1)), 0, lanes - 1).astype(int)
        rows["x"] = np.clip(rows["position_share"], 0, 1) * road.length
        kept = []
        for _, row in rows.iterrows():
            if len(kept) >= count:
                break
            clear = all(abs(row["x"] - k["x"]) > (row["length"] + k["length"]) / 2 + 2.0
                        for k in kept if k["lane"] == row["lane"])
            if clear:
                kept.append(row)
        frame = pd.DataFrame(kept)
        m = len(frame)
        return Agents(np.arange(m), frame["x"].to_numpy(float), road.centres[frame["lane"].to_numpy(int)],
                      np.zeros(m), np.clip(frame["speed"].to_numpy(float), 0, 40),
                      np.clip(frame["length"].to_numpy(float), 3, 15), np.clip(frame["width"].to_numpy(float), 1.4, 2.8),
                      np.zeros((m, 2)))

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        Path(path).write_bytes(pickle.dumps(self.__dict__))

    @classmethod
    def load(cls, path: Path | str) -> "SDVIDMGenerator":
        try:
            state = pickle.loads(Path(path).read_bytes())
        except Exception as exc:
            raise InputDataError(f"cannot read generator file {path}: {exc}") from None
        model = cls.__new__(cls)
        model.__dict__.update(state)
        return model


def initial_rows(scenes: SceneSet) -> pd.DataFrame:
    """One row per vehicle at a scene's first step: where it is (as shares of the road), speed, size.
    `context_only` vehicles are left out."""
    rows = []
    tracks = scenes.tracks[learned(scenes.tracks)]
    for scene in scenes.scene_ids:
        road = Road.from_lane_table(scenes.lane_table(scene))
        now = tracks[(tracks["scene"] == scene) & (tracks["step"] == 0)]
        lanes = max(len(road.centres) - 1, 1)
        rows.append(pd.DataFrame({"lane_share": now["lane"].to_numpy() / lanes,
                                  "position_share": now["x"].to_numpy() / road.length,
                                  "speed": now["speed"].to_numpy(), "length": now["length"].to_numpy(),
                                  "width": now["width"].to_numpy()}))
    return pd.concat(rows, ignore_index=True).astype(float)


def idm_mobil_controller(road: Road, initial: Agents):
    """IDM acceleration towards a desired speed a little above each vehicle's start speed, and
    MOBIL lane changes steered with a proportional heading controller."""
    desired: dict[int, float] = {int(a): max(float(v) * 1.15, 5.0) for a, v in zip(initial.ids, initial.speed)}
    target: dict[int, int] = {}

    def control(agents: Agents, seen: dict, rng) -> tuple[np.ndarray, np.ndarray]:
        v0 = np.array([desired.setdefault(int(a), max(float(v) * 1.15, 5.0)) for a, v in zip(agents.ids, agents.speed)])
        accel = idm_acceleration(agents.speed, v0, seen["lead_gap"], -seen["lead_dv"])
        yaw = np.zeros(len(agents))
        for i, agent in enumerate(agents.ids):
            lane = int(seen["lane"][i])
            goal = target.get(int(agent), lane)
            if goal == lane and abs(seen["offset"][i]) < 0.3:
                goal = _mobil(i, agents, seen, v0, accel, len(road.centres))
            target[int(agent)] = goal
            wanted_heading = np.clip(0.15 * (road.centres[goal] - agents.y[i]), -0.08, 0.08)
            yaw[i] = 1.5 * (wanted_heading - agents.heading[i])
        return accel, yaw

    return control


def _mobil(i: int, agents: Agents, seen: dict, v0: np.ndarray, accel: np.ndarray, lanes: int) -> int:
    lane = int(seen["lane"][i])
    best, best_gain = lane, MOBIL["threshold"]
    for side, step in (("left", 1), ("right", -1)):
        if not 0 <= lane + step < lanes:
            continue
        lead_gap, lead_dv = seen[f"{side}_lead_gap"][i], seen[f"{side}_lead_dv"][i]
        follow_gap = seen[f"{side}_follow_gap"][i]
        follower = seen[f"{side}_follow_index"][i]
        if lead_gap < 2.0 or follow_gap < 2.0:
            continue
        new_accel = idm_acceleration(agents.speed[i], v0[i], lead_gap, -lead_dv)
        follower_cost = 0.0
        if follower >= 0:
            follower_after = idm_acceleration(agents.speed[follower], v0[follower], follow_gap,
                                              agents.speed[follower] - agents.speed[i])
            if follower_after < -MOBIL["safe_decel"]:
                continue
            follower_cost = accel[follower] - follower_after
        gain = new_accel - accel[i] - MOBIL["politeness"] * follower_cost
        if gain > best_gain:
            best, best_gain = lane + step, gain
    return best
