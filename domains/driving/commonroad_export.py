"""Scenes as CommonRoad scenarios (XML, format 2020a), so motion planners run on them directly.

Each scene becomes one scenario: its lanes as straight, adjacent lanelets of one direction, and
every vehicle as a dynamic obstacle with a rectangle shape and its trajectory. Tags carry the
safety-critical events the detector found in the scene.
"""
from __future__ import annotations

import itertools
import logging
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from generators.scenes import SceneSet
from synthpipe.errors import InputDataError

TRUCK_LENGTH = 7.0  # m; longer vehicles are written as trucks
EVENT_TAGS = {"cut_in": "CUT_IN", "hard_braking": "EMERGENCY_BRAKING"}


def scenario_name(scene: int) -> str:
    return f"scene_{scene:05d}.xml"


def write_scenario(scenes: SceneSet, scene: int, path: Path, events: list[str], source: str) -> None:
    """Write one scene as a CommonRoad XML file."""
    from commonroad.common.common_lanelet import LaneletType
    from commonroad.common.common_scenario import ScenarioID
    from commonroad.common.file_writer import CommonRoadFileWriter, OverwriteExistingFile
    from commonroad.common.util import FileFormat
    from commonroad.geometry.obstacle_shapes.rect_obstacle_shape import RectObstacleShape
    from commonroad.planning.planning_problem import PlanningProblemSet
    from commonroad.prediction.prediction import TrajectoryPrediction
    from commonroad.scenario.lanelet import Lanelet, LaneletNetwork
    from commonroad.scenario.obstacle import DynamicObstacle, ObstacleType
    from commonroad.scenario.scenario import Scenario, Tag
    from commonroad.scenario.state import InitialState, KSState
    from commonroad.scenario.trajectory import Trajectory

    scenario = Scenario(scenes.dt, ScenarioID(country_id="ZAM", map_name="Synthpipe", map_id=1,
                                              configuration_id=scene + 1, obstacle_behavior="T", prediction_id=1))
    lanes = scenes.lane_table(scene).reset_index(drop=True)
    ids = list(range(1, len(lanes) + 1))  # lane k (0 = right-most) is lanelet k + 1
    lanelets = []
    for k, lane in lanes.iterrows():
        x = np.array([lane["x_min"], lane["x_max"]])
        half = lane["width"] / 2
        lanelets.append(Lanelet(
            np.c_[x, [lane["center_y"] + half] * 2], np.c_[x, [lane["center_y"]] * 2],
            np.c_[x, [lane["center_y"] - half] * 2], ids[k],
            adjacent_left=ids[k + 1] if k + 1 < len(ids) else None,
            adjacent_left_same_direction=True if k + 1 < len(ids) else None,
            adjacent_right=ids[k - 1] if k > 0 else None, adjacent_right_same_direction=True if k > 0 else None,
            lanelet_type={LaneletType.HIGHWAY, LaneletType.MAIN_CARRIAGE_WAY}))
    scenario.add_objects(LaneletNetwork.create_from_lanelet_list(lanelets))

    tracks = scenes.tracks[scenes.tracks["scene"] == scene].sort_values(["agent", "step"])
    for _, rows in tracks.groupby("agent", sort=True):
        step, x, y, heading, speed = (rows[c].to_numpy() for c in ("step", "x", "y", "heading", "speed"))
        length, width = float(rows["length"].iloc[0]), float(rows["width"].iloc[0])
        shape = RectObstacleShape(width=width, length=length)
        initial = InitialState(time_step=int(step[0]), position=np.array([x[0], y[0]]), orientation=float(heading[0]),
                               velocity=float(speed[0]), acceleration=0.0, yaw_rate=0.0, slip_angle=0.0)
        states = [KSState(time_step=int(s), position=np.array([px, py]), orientation=float(h), velocity=float(v))
                  for s, px, py, h, v in zip(step[1:], x[1:], y[1:], heading[1:], speed[1:])]
        prediction = TrajectoryPrediction(Trajectory(int(step[1]), states), shape) if states else None
        kind = ObstacleType.TRUCK if length > TRUCK_LENGTH else ObstacleType.CAR
        scenario.add_objects(DynamicObstacle(scenario.generate_object_id(), kind, shape, initial, prediction))

    tags = {Tag.HIGHWAY, Tag.SIMULATED, Tag.MULTI_LANE if len(lanes) > 1 else Tag.SINGLE_LANE}
    tags |= {getattr(Tag, EVENT_TAGS[e]) for e in events if e in EVENT_TAGS}
    writer = CommonRoadFileWriter(scenario, PlanningProblemSet(), author="synthpipe", affiliation="synthpipe",
                                  source=source, tags=tags, file_format=FileFormat.XML)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the writer warns about optional fields it fills with defaults
        writer.write_to_file(str(path), OverwriteExistingFile.ALWAYS)
    canonical_order(path)


def canonical_order(path: Path) -> None:
    """Put what the writer emits from Python sets (scenario tags, each lanelet's types) in a fixed
    order: set order changes from process to process, and the same scene must give the same file."""
    tree = ET.parse(path)
    for parent in tree.iter():
        if parent.tag == "scenarioTags":
            children = sorted(parent, key=lambda e: e.tag)
        else:  # runs of same-named leaves, e.g. a lanelet's <laneletType> elements, by their text
            runs = [list(run) for _, run in itertools.groupby(parent, key=lambda e: e.tag)]
            children = [element for run in runs for element in
                        (run if any(len(leaf) for leaf in run) else sorted(run, key=lambda e: e.text or ""))]
        parent[:] = children
    ET.indent(tree, "  ")
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def read_scenarios(folder: Path) -> list:
    """The CommonRoad scenarios of a published version, in scene order."""
    from commonroad.common.file_reader import CommonRoadFileReader

    paths = sorted(folder.glob("scene_*.xml"))
    if not paths:
        raise InputDataError(f"{folder} holds no CommonRoad scenarios")
    quiet = logging.getLogger("commonroad")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        return [CommonRoadFileReader(str(p)).open()[0] for p in paths]
    finally:
        quiet.setLevel(level)


def obstacle_table(scenario) -> pd.DataFrame:
    """One row per obstacle state of a scenario: agent (obstacle id), step, x, y, heading, speed."""
    rows = []
    for obstacle in scenario.dynamic_obstacles:
        states = [obstacle.initial_state]
        if obstacle.prediction is not None:
            states += obstacle.prediction.trajectory.state_list
        rows += [(obstacle.obstacle_id, s.time_step, s.position[0], s.position[1], s.orientation, s.velocity)
                 for s in states]
    return pd.DataFrame(rows, columns=["agent", "step", "x", "y", "heading", "speed"])
