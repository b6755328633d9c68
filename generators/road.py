"""The world a traffic scene lives in: a straight multi-lane road, the vehicles on it, and what
each vehicle sees of its neighbours."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from generators.scenes import LANE_COLUMNS, lane_of

MAX_GAP = 100.0  # m; a neighbour further away than this is "absent"
HEADWAY_MAX = 10.0  # s; a leader further ahead in time does not constrain the follower
ROLES = ("cut_in", "hard_braking")  # behaviours an agent can be asked for


@dataclass(frozen=True)
class Road:
    """A straight road of parallel lanes (lane 0 on the right, at y = 0)."""

    centres: np.ndarray
    width: float
    length: float

    @classmethod
    def from_lane_table(cls, lanes: pd.DataFrame) -> "Road":
        lanes = lanes.sort_values("lane")
        return cls(lanes["center_y"].to_numpy(float), float(lanes["width"].median()),
                   float((lanes["x_max"] - lanes["x_min"]).median()))

    def lane_table(self, scene: int) -> pd.DataFrame:
        return pd.DataFrame({"scene": scene, "lane": np.arange(len(self.centres)), "center_y": self.centres,
                             "width": self.width, "x_min": 0.0, "x_max": self.length})[LANE_COLUMNS]

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.centres.min() - self.width / 2), float(self.centres.max() + self.width / 2)


@dataclass
class Agents:
    """The vehicles on the road now, as parallel arrays."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    length: np.ndarray
    width: np.ndarray
    roles: np.ndarray  # (n, len(ROLES)) 0/1 flags
    prev_accel: np.ndarray = field(default=None)
    prev_yaw: np.ndarray = field(default=None)

    def __post_init__(self):
        n = len(self.x)
        self.prev_accel = np.zeros(n) if self.prev_accel is None else self.prev_accel
        self.prev_yaw = np.zeros(n) if self.prev_yaw is None else self.prev_yaw

    def __len__(self) -> int:
        return len(self.x)

    def select(self, keep: np.ndarray) -> "Agents":
        return Agents(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    @staticmethod
    def join(a: "Agents", b: "Agents") -> "Agents":
        return Agents(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__))


SLOTS = ("lead", "follow", "left_lead", "left_follow", "right_lead", "right_follow")


def neighbours(agents: Agents, road: Road) -> dict[str, np.ndarray]:
    """Per agent: lane, lane offset, and for each slot in SLOTS the bumper gap (MAX_GAP when
    absent), the neighbour's speed minus own speed, and the neighbour's index (-1 when absent)."""
    lane, offset = lane_of(agents.y, road.centres)
    n = len(agents)
    dx = agents.x[None, :] - agents.x[:, None]  # [i, j]: how far j is ahead of i
    bumper = np.abs(dx) - (agents.length[None, :] + agents.length[:, None]) / 2
    relative_lane = lane[None, :] - lane[:, None]
    not_self = ~np.eye(n, dtype=bool)
    out = {"lane": lane, "offset": offset, "lanes": np.full(n, len(road.centres))}
    for slot, side, ahead in (("lead", 0, True), ("follow", 0, False), ("left_lead", 1, True),
                              ("left_follow", 1, False), ("right_lead", -1, True), ("right_follow", -1, False)):
        mask = not_self & (relative_lane == side) & ((dx > 0) if ahead else (dx <= 0))
        distance = np.where(mask, np.abs(dx), np.inf)
        index = distance.argmin(1) if n else np.zeros(0, dtype=int)
        present = np.isfinite(distance.min(1)) if n else np.zeros(0, dtype=bool)
        gap = np.where(present, bumper[np.arange(n), index], MAX_GAP)
        out[f"{slot}_gap"] = np.minimum(gap, MAX_GAP)
        out[f"{slot}_dv"] = np.where(present, agents.speed[index] - agents.speed, 0.0)
        out[f"{slot}_index"] = np.where(present & (gap < MAX_GAP), index, -1)
    return out
