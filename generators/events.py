"""Detectors of safety-critical events in a scene's tracks, used to label real training scenes
and to verify that a requested event is really in a synthetic one.

* hard braking — a vehicle with a follower in its lane (gap under FOLLOWER_RANGE) decelerates
  at HARD_BRAKING or harder for at least HARD_BRAKING_DURATION;
* cut-in — a vehicle changes lane and stays in the new lane for at least STAY, landing in front
  of a follower whose time headway to it is under CUT_IN_HEADWAY.

Kinematics are taken after the project's smoothing (generators/kinematics.py), on real and
synthetic scenes alike.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from generators.kinematics import derive

EVENTS = ("cut_in", "hard_braking")
HARD_BRAKING = -3.0  # m/s²
HARD_BRAKING_DURATION = 0.5  # s
FOLLOWER_RANGE = 50.0  # m
CUT_IN_HEADWAY = 1.5  # s
STAY = 1.0  # s


def detect(tracks: pd.DataFrame, dt: float, derived: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per detected event: scene, agent, event, step."""
    derived = derive(tracks, dt) if derived is None else derived
    frame = tracks.assign(accel=derived["accel"].to_numpy())
    found = []
    min_brake_steps = max(1, int(round(HARD_BRAKING_DURATION / dt)))
    stay_steps = max(1, int(round(STAY / dt)))
    for scene, rows in frame.groupby("scene", sort=False):
        by_step = {step: part for step, part in rows.groupby("step", sort=False)}
        for agent, track in rows.groupby("agent", sort=False):
            track = track.sort_values("step")
            steps, lanes, accel = track["step"].to_numpy(), track["lane"].to_numpy(), track["accel"].to_numpy()
            braking = _first_run(accel <= HARD_BRAKING, min_brake_steps)
            if braking is not None and _has_follower(by_step[steps[braking]], agent, FOLLOWER_RANGE):
                found.append((scene, agent, "hard_braking", int(steps[braking])))
            for i in np.flatnonzero(lanes[1:] != lanes[:-1]) + 1:
                if (lanes[i : i + stay_steps] == lanes[i]).all() and len(lanes) - i >= min(stay_steps, 5):
                    if _cut_in_headway(by_step[steps[i]], agent) <= CUT_IN_HEADWAY:
                        found.append((scene, agent, "cut_in", int(steps[i])))
                        break
    return pd.DataFrame(found, columns=["scene", "agent", "event", "step"])


def _first_run(flags: np.ndarray, length: int) -> int | None:
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= length:
            return i - length + 1
    return None


def _behind_in_lane(now: pd.DataFrame, agent) -> pd.DataFrame:
    me = now[now["agent"] == agent].iloc[0]
    others = now[(now["agent"] != agent) & (now["lane"] == me["lane"]) & (now["x"] < me["x"])]
    return others.assign(gap=(me["x"] - others["x"]) - (me["length"] + others["length"]) / 2)


def _has_follower(now: pd.DataFrame, agent, within: float) -> bool:
    behind = _behind_in_lane(now, agent)
    return bool(len(behind)) and float(behind["gap"].min()) <= within


def _cut_in_headway(now: pd.DataFrame, agent) -> float:
    """Time headway of the new follower to the vehicle that just changed lane (inf: none)."""
    behind = _behind_in_lane(now, agent)
    if behind.empty:
        return np.inf
    nearest = behind.loc[behind["gap"].idxmin()]
    return max(float(nearest["gap"]), 0.0) / max(float(nearest["speed"]), 0.5)


def events_per_scene(events: pd.DataFrame, scene_ids) -> pd.DataFrame:
    """Scene x event table of counts (0 where nothing was found)."""
    table = events.groupby(["scene", "event"]).size().unstack(fill_value=0) if len(events) else pd.DataFrame()
    return table.reindex(index=list(scene_ids), columns=list(EVENTS), fill_value=0)
