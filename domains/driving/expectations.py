"""Expectation suites on track tables: real recordings before training, the published table
before it reaches the catalog."""
from __future__ import annotations

from generators.kinematics import LIMITS
from generators.scenes import TRACK_COLUMNS, SceneSet
from validation.expectations import Expectation as E

KEY = ["scene", "agent", "step"]
ROAD_MARGIN = 50.0  # m a track may run past either end of its observed road (entering, leaving)


def _track_rules(max_speed: float) -> list[E]:
    return [
        *[E("ExpectColumnValuesToNotBeNull", {"column": c}) for c in TRACK_COLUMNS],
        E("ExpectCompoundColumnsToBeUnique", {"column_list": KEY}),
        E("ExpectColumnValuesToBeBetween", {"column": "step", "min_value": 0}),
        E("ExpectColumnValuesToBeBetween", {"column": "lane", "min_value": 0}),
        E("ExpectColumnValuesToBeBetween", {"column": "speed", "min_value": 0, "max_value": max_speed}),
        E("ExpectColumnValuesToBeBetween", {"column": "length", "min_value": 1.0, "max_value": 30.0}),
        E("ExpectColumnValuesToBeBetween", {"column": "width", "min_value": 0.5, "max_value": 4.0}),
        E("ExpectColumnValuesToBeBetween", {"column": "heading", "min_value": -3.1416, "max_value": 3.1416}),
    ]


def input_suite() -> list[E]:
    """Real recordings: complete, unique keys, plausible units (m, m/s, rad)."""
    return [E("ExpectTableColumnsToMatchSet", {"column_set": TRACK_COLUMNS, "exact_match": False}),
            *_track_rules(max_speed=70.0)]


def output_suite(published: SceneSet, n_scenes: int, steps: int) -> list[E]:
    """Published tracks: exactly the documented columns (so no source ids, times or geo-positions
    can ride along), every requested scene, re-originated positions on their roads, and speeds
    within the kinematic decoder's limit."""
    lanes = published.lanes
    top = float((lanes["center_y"] + lanes["width"] / 2).max()) if len(lanes) else 0.0
    bottom = float((lanes["center_y"] - lanes["width"] / 2).min()) if len(lanes) else 0.0
    return [
        E("ExpectTableColumnsToMatchSet", {"column_set": TRACK_COLUMNS, "exact_match": True}),
        *_track_rules(max_speed=LIMITS.max_speed),
        E("ExpectColumnDistinctValuesToEqualSet", {"column": "scene", "value_set": list(range(n_scenes))}),
        E("ExpectColumnValuesToBeBetween", {"column": "step", "max_value": steps - 1}),
        E("ExpectColumnValuesToBeBetween", {"column": "x", "min_value": -ROAD_MARGIN,
                                            "max_value": float(lanes["x_max"].max()) + ROAD_MARGIN}),
        E("ExpectColumnValuesToBeBetween", {"column": "y", "min_value": bottom - 2.0, "max_value": top + 2.0}),
    ]
