"""What the driving report measures on a set of scenes, real or synthetic alike.

* `agent_step_features` — per agent and step, the quantities whose distributions the realism
  check compares (in the spirit of the Waymo Open Sim Agents metrics): speed, acceleration, yaw
  rate and jerk after smoothing; distance to the nearest vehicle; time headway and time-to-collision
  to the leader in the same lane; offset from the lane centre.
* `collided_agents`, `off_road_agents` — validity, per agent: did its box ever overlap another's;
  did its centre ever leave the drivable area.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from generators.kinematics import derive
from generators.road import HEADWAY_MAX
from generators.scenes import SceneSet, lane_of

# Fixed histogram ranges per feature (as the Waymo Open Sim Agents metrics fix theirs): a distance
# then means the same thing on every dataset, and differences finer than a bin (below what a sensor
# or a lane-centre estimate resolves) do not count. Values outside fall into the end bins.
HISTOGRAM_RANGES = {
    "speed": (0.0, 40.0),  # m/s
    "acceleration": (-6.0, 6.0),  # m/s²
    "yaw_rate": (-0.3, 0.3),  # rad/s
    "jerk": (-6.0, 6.0),  # m/s³
    "nearest_distance": (0.0, 50.0),  # m, centre to centre
    "time_to_collision": (0.0, 10.0),  # s
    "time_headway": (0.0, 10.0),  # s
    "lane_offset": (-2.0, 2.0),  # m
}
REALISM_FEATURES = tuple(HISTOGRAM_RANGES)
HISTOGRAM_BINS = 40
TTC_MAX = 10.0  # s; only closing situations below it count (beyond it nothing is about to happen)
MIN_SPEED_FOR_HEADWAY = 1.0  # m/s


def scene_grid(tracks: pd.DataFrame, columns: tuple[str, ...]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """One scene's columns as [step, agent] arrays (NaN where an agent is absent), and the
    (step, agent-slot) of every row, to map results back."""
    steps = tracks["step"].to_numpy(int)
    slots, _ = pd.factorize(tracks["agent"], sort=True)
    shape = (steps.max() + 1, slots.max() + 1)
    grid = {}
    for column in columns:
        values = np.full(shape, np.nan)
        values[steps, slots] = tracks[column].to_numpy(float)
        grid[column] = values
    return grid, steps, slots


def _interactions(tracks: pd.DataFrame) -> dict[str, np.ndarray]:
    """Nearest distance, time headway and TTC for every row of one scene's tracks."""
    g, steps, slots = scene_grid(tracks, ("x", "y", "speed", "length", "lane"))
    dx = g["x"][:, None, :] - g["x"][:, :, None]  # [t, i, j] = x_j - x_i
    dy = g["y"][:, None, :] - g["y"][:, :, None]
    distance = np.hypot(dx, dy)
    n = distance.shape[1]
    distance[:, np.arange(n), np.arange(n)] = np.nan
    nearest = np.fmin.reduce(np.where(np.isnan(distance), np.inf, distance), axis=2)

    same_lane = g["lane"][:, None, :] == g["lane"][:, :, None]
    ahead = np.where(same_lane & (dx > 0), dx, np.inf)
    leader = ahead.argmin(2)
    has_leader = np.isfinite(ahead.min(2))
    t_index = np.arange(ahead.shape[0])[:, None]
    gap = ahead.min(2) - (g["length"] + g["length"][t_index, leader]) / 2
    closing = g["speed"] - g["speed"][t_index, leader]
    with np.errstate(divide="ignore", invalid="ignore"):
        headway = np.where(has_leader & (g["speed"] > MIN_SPEED_FOR_HEADWAY), gap / g["speed"], np.nan)
        ttc = np.where(has_leader & (closing > 0), gap / closing, np.nan)
    headway[headway > HEADWAY_MAX] = np.nan
    ttc[(ttc > TTC_MAX) | (ttc < 0)] = np.nan
    nearest[~np.isfinite(nearest)] = np.nan
    return {"nearest_distance": nearest[steps, slots], "time_headway": headway[steps, slots],
            "time_to_collision": ttc[steps, slots]}


def agent_step_features(scenes: SceneSet) -> pd.DataFrame:
    """One row per agent-step with the realism features (NaN where a feature does not apply)."""
    tracks = scenes.tracks.reset_index(drop=True)
    derived = derive(tracks, scenes.dt)
    out = pd.DataFrame({"scene": tracks["scene"], "agent": tracks["agent"], "step": tracks["step"],
                        "speed": derived["speed_s"], "acceleration": derived["accel"],
                        "yaw_rate": derived["yaw_rate"], "jerk": derived["jerk"]})
    for column in ("nearest_distance", "time_headway", "time_to_collision", "lane_offset"):
        out[column] = np.nan
    for scene, rows in tracks.groupby("scene", sort=False):
        index = rows.index.to_numpy()
        for name, values in _interactions(rows).items():
            out.loc[index, name] = values
        centres = scenes.lane_table(scene)["center_y"].to_numpy(float)
        out.loc[index, "lane_offset"] = lane_of(rows["y"].to_numpy(float), centres)[1]
    return out


# --- validity ----------------------------------------------------------------------------------

def _corners(x, y, heading, length, width) -> np.ndarray:
    """[n, 4, 2] corners of oriented boxes."""
    c, s = np.cos(heading), np.sin(heading)
    half = np.stack([length / 2, width / 2], 1)
    signs = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=float)
    local = signs[None] * half[:, None, :]
    return np.stack([x[:, None] + c[:, None] * local[..., 0] - s[:, None] * local[..., 1],
                     y[:, None] + s[:, None] * local[..., 0] + c[:, None] * local[..., 1]], -1)


def boxes_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Do oriented boxes a[k] and b[k] overlap? Rows are (x, y, heading, length, width); the
    separating-axis test on the four edge normals."""
    ca, cb = _corners(*a.T), _corners(*b.T)
    overlap = np.ones(len(a), dtype=bool)
    for heading in (a[:, 2], b[:, 2]):
        for angle in (heading, heading + np.pi / 2):
            axis = np.stack([np.cos(angle), np.sin(angle)], 1)[:, None, :]
            pa, pb = (ca * axis).sum(-1), (cb * axis).sum(-1)
            overlap &= (pa.max(1) > pb.min(1)) & (pb.max(1) > pa.min(1))
    return overlap


def collided_agents(scenes: SceneSet) -> pd.Series:
    """Per (scene, agent): did its box overlap another vehicle's at any step?"""
    tracks = scenes.tracks
    hit = pd.Series(False, index=pd.MultiIndex.from_frame(tracks[["scene", "agent"]].drop_duplicates()))
    for scene, rows in tracks.groupby("scene", sort=False):
        agents = np.sort(rows["agent"].unique())
        g, _, _ = scene_grid(rows, ("x", "y", "heading", "length", "width"))
        reach = np.hypot(g["length"], g["width"]) / 2
        i, j = np.triu_indices(g["x"].shape[1], 1)
        t, p = np.nonzero(np.hypot(g["x"][:, i] - g["x"][:, j], g["y"][:, i] - g["y"][:, j])
                          < reach[:, i] + reach[:, j])  # NaN (absent) compares False
        if not len(t):
            continue
        box = lambda k: np.stack([g[c][t, k] for c in ("x", "y", "heading", "length", "width")], 1)  # noqa: E731
        both = boxes_overlap(box(i[p]), box(j[p]))
        for slot in np.unique(np.concatenate([i[p][both], j[p][both]])):
            hit[(scene, agents[slot])] = True
    return hit


def off_road_agents(scenes: SceneSet) -> pd.Series:
    """Per (scene, agent): did its centre leave the drivable area at any step? The drivable area
    is the scene's lanelet polygons where it has them, otherwise the band its lanes cover."""
    from matplotlib.path import Path as Polygon

    tracks = scenes.tracks
    outside = np.zeros(len(tracks), dtype=bool)
    for scene, rows in tracks.groupby("scene", sort=False):
        points = rows[["x", "y"]].to_numpy(float)
        areas = scenes.areas[scenes.areas["scene"] == scene]
        if len(areas):
            inside = np.zeros(len(rows), dtype=bool)
            for _, polygon in areas.groupby("area"):
                inside |= Polygon(polygon.sort_values("vertex")[["x", "y"]].to_numpy(float)).contains_points(
                    points, radius=1e-6)
        else:
            lanes = scenes.lane_table(scene)
            low = (lanes["center_y"] - lanes["width"] / 2).min()
            high = (lanes["center_y"] + lanes["width"] / 2).max()
            inside = (points[:, 1] >= low) & (points[:, 1] <= high)
        outside[tracks.index.get_indexer(rows.index)] = ~inside
    return pd.Series(outside, index=tracks.index).groupby([tracks["scene"], tracks["agent"]]).any()


# --- distances -------------------------------------------------------------------------------

def js_distance(values: np.ndarray, reference: np.ndarray, value_range: tuple[float, float],
                bins: int = HISTOGRAM_BINS) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two samples' histograms on fixed bins.

    NaN when the reference has no value (the feature does not occur there, e.g. no vehicle ever
    closes in on its leader); 1 when only the reference has values."""
    from scipy.spatial.distance import jensenshannon

    values, reference = values[np.isfinite(values)], reference[np.isfinite(reference)]
    if not len(reference):
        return float("nan")
    if not len(values):
        return 1.0
    edges = np.linspace(*value_range, bins + 1)
    p = np.bincount(np.clip(np.searchsorted(edges, values) - 1, 0, bins - 1), minlength=bins)
    q = np.bincount(np.clip(np.searchsorted(edges, reference) - 1, 0, bins - 1), minlength=bins)
    return float(jensenshannon(p / p.sum(), q / q.sum(), base=2))
