"""Traffic scenes in a road-aligned, scene-local frame.

Every source is turned into the same form: +x runs along the road in the direction of travel, +y
to the left, x = 0 at the upstream end of the observed road and y = 0 on the centre of the
right-most lane. A curved road is straightened (x is distance along it, y the offset across it),
so lanes are horizontal lines and the same metrics apply to every source.

* `tracks` — one row per agent and time step: scene, agent, step, x, y, heading (rad, relative to
  the road), speed (m/s), length, width (m), lane (0 = right-most);
* `lanes` — one row per lane of each scene: centre y, width, and the observed x range;
* `areas` — optional drivable polygons per scene (real lanelets, ramps included), used for the
  off-road check; a scene without any is drivable exactly on its lanes.

Training scenes may carry an optional boolean track column `context_only`: such a vehicle is part
of the traffic the others react to, but its own motion must not be learned. The privacy audit
keeps a random share of real vehicles out of training this way (see `domains/driving/privacy.py`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TRACK_COLUMNS = ["scene", "agent", "step", "x", "y", "heading", "speed", "length", "width", "lane"]
LANE_COLUMNS = ["scene", "lane", "center_y", "width", "x_min", "x_max"]
AREA_COLUMNS = ["scene", "area", "vertex", "x", "y"]
CONTEXT_ONLY = "context_only"


def learned(tracks: pd.DataFrame) -> np.ndarray:
    """Per track row: may a generator learn this vehicle's own motion (not `context_only`)?"""
    if CONTEXT_ONLY not in tracks:
        return np.ones(len(tracks), dtype=bool)
    return ~tracks[CONTEXT_ONLY].to_numpy(dtype=bool)


@dataclass
class SceneSet:
    """Scenes of one time step `dt`; `recordings` names the recording each scene was cut from
    (the unit of the train/holdout split; empty for synthetic scenes)."""

    tracks: pd.DataFrame
    lanes: pd.DataFrame
    dt: float = 0.1
    recordings: dict[int, str] = field(default_factory=dict)
    areas: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AREA_COLUMNS))
    scene_info: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"scene": []}))

    def __len__(self) -> int:
        return int(self.tracks["scene"].nunique())

    @property
    def scene_ids(self) -> np.ndarray:
        return np.sort(self.tracks["scene"].unique())

    @property
    def steps(self) -> int:
        return int(self.tracks["step"].max()) + 1 if len(self.tracks) else 0

    def subset(self, scene_ids) -> "SceneSet":
        keep = set(int(s) for s in scene_ids)

        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["scene"].isin(keep)].reset_index(drop=True)

        info = self.scene_info[self.scene_info["scene"].isin(keep)].reset_index(drop=True) \
            if len(self.scene_info) else self.scene_info
        return SceneSet(pick(self.tracks), pick(self.lanes), self.dt,
                        {s: r for s, r in self.recordings.items() if s in keep}, pick(self.areas), info)

    def lane_table(self, scene: int) -> pd.DataFrame:
        return self.lanes[self.lanes["scene"] == scene].sort_values("lane")

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for frame in (self.tracks, self.lanes, self.areas):
            digest.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).values.tobytes())
        digest.update(repr((self.dt, sorted(self.recordings.items()))).encode())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        agents = self.tracks.groupby("scene")["agent"].nunique()
        return (f"{len(self)} scenes of {self.steps * self.dt:.1f} s from {len(set(self.recordings.values())) or 0} "
                f"recordings, {int(agents.sum())} agent tracks ({agents.median():.0f} per scene)")


def lane_of(y: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest lane index and signed offset from its centre, for lateral positions `y`."""
    y = np.asarray(y, dtype=float)
    index = np.abs(y[:, None] - centers[None, :]).argmin(1)
    return index, y - centers[index]


def concat(parts: list[SceneSet]) -> SceneSet:
    """Join scene sets, renumbering scenes so their ids stay unique."""
    tracks, lanes, areas, infos, recordings, offset = [], [], [], [], {}, 0
    for part in parts:
        mapping = {old: offset + i for i, old in enumerate(part.scene_ids)}
        for frame, out in ((part.tracks, tracks), (part.lanes, lanes), (part.areas, areas)):
            frame = frame.copy()
            frame["scene"] = frame["scene"].map(mapping)
            out.append(frame.dropna(subset=["scene"]).astype({"scene": int}))
        if len(part.scene_info):
            info = part.scene_info.copy()
            info["scene"] = info["scene"].map(mapping)
            infos.append(info)
        recordings.update({mapping[s]: r for s, r in part.recordings.items() if s in mapping})
        offset += len(mapping)
    dt = parts[0].dt if parts else 0.1
    return SceneSet(pd.concat(tracks, ignore_index=True), pd.concat(lanes, ignore_index=True), dt, recordings,
                    pd.concat(areas, ignore_index=True) if areas else pd.DataFrame(columns=AREA_COLUMNS),
                    pd.concat(infos, ignore_index=True) if infos else pd.DataFrame({"scene": []}))
