"""Real and simulated driving sources, each read into whole recordings (one `SceneSet` scene per
recording, in road-aligned coordinates); `windows.py` then cuts them into scenes.

* `commonroad:DIR` — CommonRoad scenario files. Files of one recording (`<location>-<map>_<config>
  _T-1.xml`, e.g. USA_US101-10_1_T-1 and USA_US101-10_3_T-1) hold the same vehicles and are merged
  by obstacle id; set-based predictions (the `_S-` files) carry no trajectories and are skipped.
* `tracks:PATH` — a CSV or Parquet track table.
* `highway-env` — IDM/MOBIL traffic simulated with the highway-env package on a straight road,
  observed through a fixed 200 m window as a camera or drone would.

One direction of travel is modelled: agents whose mean heading is more than 45° off the road's
direction (oncoming and crossing traffic) are dropped, and the log says how many.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from domains.base import SourceSpec, require
from generators.scenes import AREA_COLUMNS, LANE_COLUMNS, TRACK_COLUMNS, SceneSet, concat, lane_of
from domains.driving.straighten import fit_frame, lane_centres, travel_direction
from synthpipe.errors import InputDataError

log = logging.getLogger(__name__)
RECORDING_PATTERN = re.compile(r"^(?P<recording>.+-\d+)_\d+_[A-Z]+-\d+$")
MAX_HEADING_OFF_ROAD = np.pi / 4
STRAIGHT_LANELET_TOLERANCE = 1.5  # m of lateral drift over a lanelet, beyond it a lanelet is a ramp
KMH_RATIO = (3.0, 4.2)  # given speed / speed implied by positions in this range: the data is in km/h


def load_source(source: SourceSpec, home: Path | None = None) -> SceneSet:
    if source.kind == "highway-env":
        from domains.driving.simulation import simulate_recordings

        return simulate_recordings(source.location)
    require(bool(source.location), f"source {source.kind!r} needs a location: --source {source.kind}:PATH")
    path = Path(source.location).expanduser()
    require(path.exists(), f"{path} does not exist; give an existing {'folder' if source.kind == 'commonroad' else 'file'}")
    return load_commonroad(path) if source.kind == "commonroad" else load_track_table(path)


# --- CommonRoad ------------------------------------------------------------------------------

def recording_key(stem: str) -> str:
    match = RECORDING_PATTERN.match(stem)
    return match.group("recording") if match else stem


def _read_scenario(path: Path):
    from commonroad.common.file_reader import CommonRoadFileReader

    reader_log = logging.getLogger("commonroad")
    level = reader_log.level
    reader_log.setLevel(logging.ERROR)  # 2020a files warn once per lanelet about renamed fields
    try:
        scenario, _ = CommonRoadFileReader(str(path)).open()
    except Exception as exc:  # the reader raises many types for malformed files
        raise InputDataError(f"{path.name} is not a readable CommonRoad scenario ({type(exc).__name__}: {exc}); "
                             "fix or remove the file") from None
    finally:
        reader_log.setLevel(level)
    return scenario


def load_commonroad(folder: Path) -> SceneSet:
    files = sorted(folder.rglob("*.xml")) if folder.is_dir() else [folder]
    require(bool(files), f"no CommonRoad .xml files under {folder}")
    by_recording: dict[str, list[Path]] = defaultdict(list)
    for file in files:
        by_recording[recording_key(file.stem)].append(file)
    parts = []
    for key, paths in sorted(by_recording.items()):
        scenarios = [_read_scenario(p) for p in paths]
        part = _recording_from_scenarios(key, scenarios, [p.name for p in paths])
        if part is not None:
            parts.append(part)
    return _finish(parts, folder.name, "no CommonRoad file under it has vehicle trajectories")


def _recording_from_scenarios(key: str, scenarios: list, names: list[str]):
    lanelets = scenarios[0].lanelet_network.lanelets
    require(len(lanelets) > 0, f"{names[0]} has no lanelets; the driving domain needs the lane map "
                               "(lanes and road edges) of every scenario")
    dt = float(scenarios[0].dt)
    tracks: dict[int, list[tuple]] = {}
    sizes: dict[int, tuple[float, float]] = {}
    for scenario in scenarios:
        require(abs(float(scenario.dt) - dt) < 1e-9, f"recording {key} mixes time steps {dt} and {scenario.dt}")
        for obstacle in scenario.dynamic_obstacles:
            trajectory = getattr(obstacle.prediction, "trajectory", None)
            if trajectory is None:
                continue
            states = [obstacle.initial_state, *trajectory.state_list]
            rows = [(int(s.time_step), *map(float, s.position), float(s.orientation), float(s.velocity))
                    for s in states]
            if len(rows) > len(tracks.get(obstacle.obstacle_id, ())):
                tracks[obstacle.obstacle_id] = rows
                shape = obstacle.obstacle_shape
                sizes[obstacle.obstacle_id] = (float(getattr(shape, "length", 4.5)), float(getattr(shape, "width", 1.8)))
    if not tracks:
        return None
    frame = pd.DataFrame([(aid, *row) for aid, rows in tracks.items() for row in rows],
                         columns=["agent", "step", "x", "y", "heading", "speed"])
    frame["length"] = frame["agent"].map(lambda a: sizes[a][0])
    frame["width"] = frame["agent"].map(lambda a: sizes[a][1])
    boundaries = [(ll.left_vertices, ll.right_vertices, ll.center_vertices) for ll in lanelets]
    return _to_road_frame(key, frame, dt, boundaries)


def _to_road_frame(key: str, frame: pd.DataFrame, dt: float, boundaries: list | None,
                   lane_ids: np.ndarray | None = None) -> SceneSet | None:
    """Rotate and straighten one recording; derive its lanes, drivable areas and lane indices."""
    xy = frame[["x", "y"]].to_numpy(float)
    angle = travel_direction(frame["heading"].to_numpy(float))
    if boundaries:
        centre_lines = [np.asarray(centre) for _, _, centre in boundaries]
        road = fit_frame(angle, np.vstack(centre_lines), np.repeat(np.arange(len(centre_lines)),
                                                                     [len(c) for c in centre_lines]))
    else:  # each vehicle mostly keeps its lane: its positions trace the road's shape
        road = fit_frame(angle, xy, frame["agent"].to_numpy())
    local = road.to_local(xy)
    heading = road.heading_to_local(xy, frame["heading"].to_numpy(float))
    frame = frame.assign(x=local[:, 0], y=local[:, 1], heading=heading)
    direction = frame.groupby("agent")["heading"].apply(lambda h: np.abs(np.angle(np.exp(1j * h).mean())))
    oncoming = direction[direction > MAX_HEADING_OFF_ROAD].index
    if len(oncoming):
        log.info("recording %s: dropped %d of %d agents travelling against or across the road", key, len(oncoming),
                 len(direction))
        frame = frame[~frame["agent"].isin(oncoming)]
    if frame.empty:
        return None
    areas = []
    if boundaries:
        centres, widths, x_ranges = [], [], []
        for index, (left, right, centre) in enumerate(boundaries):
            c = road.to_local(centre)
            polygon = np.vstack([road.to_local(left), road.to_local(right)[::-1]])
            areas += [(index, v, px, py) for v, (px, py) in enumerate(polygon)]
            if np.ptp(c[:, 1]) <= STRAIGHT_LANELET_TOLERANCE and np.ptp(c[:, 0]) > 5:
                centres.append(float(np.median(c[:, 1])))
                widths.append(float(np.median(np.linalg.norm(np.asarray(left) - np.asarray(right), axis=1))))
                x_ranges.append((c[:, 0].min(), c[:, 0].max()))
        require(bool(centres), f"recording {key}: no lanelet runs along the traffic; is this a road section?")
        lanes = _group_lanes(np.array(centres), np.array(widths), np.array(x_ranges))
        span = lanes["x_max"] - lanes["x_min"]
        lanes = lanes[span >= 0.5 * span.max()]  # a short auxiliary lane stays drivable area only
    else:
        if lane_ids is not None:
            per_lane = frame.assign(lane_in=lane_ids[frame.index]).groupby("lane_in")["y"].median().sort_values()
            centres = per_lane.to_numpy()
        else:
            centres = lane_centres(frame["y"].to_numpy())
        spacing = float(np.median(np.diff(centres))) if len(centres) > 1 else 3.6
        lanes = pd.DataFrame({"center_y": centres, "width": spacing,
                              "x_min": frame["x"].min(), "x_max": frame["x"].max()})
    x0, y0 = float(lanes["x_min"].min()), float(lanes["center_y"].min())
    frame = frame.assign(x=frame["x"] - x0, y=frame["y"] - y0)
    lanes = lanes.assign(center_y=lanes["center_y"] - y0, x_min=lanes["x_min"] - x0, x_max=lanes["x_max"] - x0)
    lanes = lanes.sort_values("center_y").reset_index(drop=True)
    lanes.insert(0, "lane", np.arange(len(lanes)))
    lanes.insert(0, "scene", 0)
    frame = frame.assign(scene=0, lane=lane_of(frame["y"].to_numpy(), lanes["center_y"].to_numpy())[0])
    area_frame = pd.DataFrame(areas, columns=AREA_COLUMNS[1:]).assign(scene=0)[AREA_COLUMNS] if areas else \
        pd.DataFrame(columns=AREA_COLUMNS)
    if len(area_frame):
        area_frame["x"] -= x0
        area_frame["y"] -= y0
    return SceneSet(frame[TRACK_COLUMNS].sort_values(["agent", "step"]).reset_index(drop=True),
                    lanes[LANE_COLUMNS], dt, {0: key}, area_frame)


def _group_lanes(centres: np.ndarray, widths: np.ndarray, x_ranges: np.ndarray) -> pd.DataFrame:
    """Lanelets at the same lateral offset (within a metre) are one lane of the road."""
    order = np.argsort(centres)
    groups: list[list[int]] = []
    for i in order:
        if groups and abs(centres[i] - np.mean(centres[groups[-1]])) < 1.0:
            groups[-1].append(i)
        else:
            groups.append([i])
    return pd.DataFrame([{"center_y": float(np.mean(centres[g])), "width": float(np.median(widths[g])),
                          "x_min": float(x_ranges[g, 0].min()), "x_max": float(x_ranges[g, 1].max())} for g in groups])


def _finish(parts: list[SceneSet], name: str, why_empty: str) -> SceneSet:
    """All recordings of a source as one set, after the units check."""
    require(bool(parts), f"{name}: {why_empty}")
    scenes = concat(parts)
    check_units(scenes, name)
    return scenes


# --- Track tables ----------------------------------------------------------------------------

REQUIRED = ("agent", "time", "x", "y")
SCENE_COLUMNS = ("recording", "scene")
MAX_REPAIRED_GAP = 0.5  # s; shorter gaps in a track are interpolated, longer ones split it


def load_track_table(path: Path) -> SceneSet:
    """A track table: (recording or scene), agent, time [s], x, y [m], and optionally heading [rad],
    speed [m/s], length, width [m], lane. Short gaps are interpolated; see `repair_gaps`."""
    try:
        table = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except Exception as exc:
        raise InputDataError(f"cannot read track table {path.name} ({type(exc).__name__}: {exc}); "
                             "give a CSV or Parquet file") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    group = next((c for c in SCENE_COLUMNS if c in table.columns), None)
    missing = [c for c in REQUIRED if c not in table.columns] + ([] if group else ["recording (or scene)"])
    require(not missing, f"track table {path.name} lacks column(s) {missing}; it has {list(table.columns)}")
    numeric = [c for c in ("time", "x", "y", "heading", "speed", "length", "width") if c in table.columns]
    for column in numeric:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = int(values.isna().sum())
        require(bad == 0, f"track table {path.name}: column {column!r} has {bad} missing or non-numeric values; "
                          "drop or fill those rows")
        table[column] = values.astype(float)
    duplicated = table.duplicated([group, "agent", "time"])
    if duplicated.any():
        example = table.loc[duplicated, [group, "agent", "time"]].iloc[0].tolist()
        raise InputDataError(f"track table {path.name}: {int(duplicated.sum())} duplicated (recording, agent, time) "
                             f"rows, e.g. {example}; each agent needs one row per time step")
    dt = _time_step(table, group, path.name)
    parts = []
    for key, rows in table.groupby(group, sort=True):
        frame = repair_gaps(rows, dt)
        frame = _complete_columns(frame, dt)
        lane_ids = frame.pop("lane_in").to_numpy() if "lane_in" in frame else None
        part = _to_road_frame(str(key), frame.reset_index(drop=True), dt, None, lane_ids)
        if part is not None:
            parts.append(part)
    return _finish(parts, path.name, "it has no usable tracks")


def _time_step(table: pd.DataFrame, group: str, name: str) -> float:
    diffs = table.sort_values([group, "agent", "time"]).groupby([group, "agent"])["time"].diff().dropna()
    require(len(diffs) > 0, f"track table {name}: no agent has two time steps")
    dt = float(np.median(diffs))
    require(dt > 0, f"track table {name}: time does not increase within tracks")
    return round(dt, 6)


def repair_gaps(rows: pd.DataFrame, dt: float) -> pd.DataFrame:
    """Per agent: time -> integer step; gaps up to MAX_REPAIRED_GAP are linearly interpolated,
    a longer gap splits the track into two agents (a documented repair)."""
    out, next_id = [], 0
    t0 = rows["time"].min()
    for _, track in rows.sort_values("time").groupby("agent", sort=True):
        steps = np.rint((track["time"].to_numpy() - t0) / dt).astype(int)
        cut_points = np.flatnonzero(np.diff(steps) > round(MAX_REPAIRED_GAP / dt) + 1) + 1
        for piece_steps, piece in zip(np.split(steps, cut_points), np.split(track, cut_points)):
            full = np.arange(piece_steps[0], piece_steps[-1] + 1)
            filled = pd.DataFrame({"step": full})
            for column in [c for c in ("x", "y", "heading", "speed", "length", "width") if c in piece]:
                filled[column] = np.interp(full, piece_steps, piece[column].to_numpy(float))
            if "lane" in piece:
                filled["lane_in"] = pd.Series(piece["lane"].to_numpy(), index=piece_steps).reindex(full).ffill().to_numpy()
            filled["agent"] = next_id
            next_id += 1
            out.append(filled)
    return pd.concat(out, ignore_index=True)


def _complete_columns(frame: pd.DataFrame, dt: float) -> pd.DataFrame:
    """Fill optional columns: heading and speed from positions, default car size."""
    if "heading" not in frame or "speed" not in frame:
        vx = frame.groupby("agent")["x"].transform(lambda s: np.gradient(s.to_numpy(), dt) if len(s) > 1 else 0.0)
        vy = frame.groupby("agent")["y"].transform(lambda s: np.gradient(s.to_numpy(), dt) if len(s) > 1 else 0.0)
        if "heading" not in frame:
            frame["heading"] = np.arctan2(vy, vx)
        if "speed" not in frame:
            frame["speed"] = np.hypot(vx, vy)
    if "length" not in frame:
        frame["length"] = 4.5
    if "width" not in frame:
        frame["width"] = 1.8
    return frame


def check_units(scenes: SceneSet, name: str) -> None:
    """Refuse speeds that look like km/h (or positions in feet) instead of SI units."""
    t = scenes.tracks.sort_values(["scene", "agent", "step"])
    moved = np.hypot(t.groupby(["scene", "agent"])["x"].diff(), t.groupby(["scene", "agent"])["y"].diff()) / scenes.dt
    valid = moved.notna() & (moved > 1.0)
    if valid.sum() < 10:
        return
    ratio = float(np.median(t.loc[valid, "speed"] / moved[valid]))
    require(not (KMH_RATIO[0] <= ratio <= KMH_RATIO[1]),
            f"{name}: speeds are {ratio:.1f} times the speed implied by the positions; they look like km/h. "
            "Give speed in m/s (divide by 3.6)")
    require(0.5 <= ratio <= 2.0 or ratio == 0,
            f"{name}: speeds are {ratio:.2f} times the speed implied by positions and time; check that positions "
            "are in metres, time in seconds and speed in m/s")
    fast = float(np.percentile(moved[valid], 99))
    require(fast < 80, f"{name}: vehicles move at {fast:.0f} m/s (99th percentile); positions look like feet or "
                       "time like tenths of seconds. Give metres and seconds")
