"""Cut recordings into scenes: windows of a fixed number of steps (8 s at 10 Hz by default)."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from domains.base import require
from generators.scenes import SceneSet

log = logging.getLogger(__name__)


def cut_scenes(recordings: SceneSet, steps: int, stride: int, min_agent_steps: int) -> SceneSet:
    """Windows of `steps` steps every `stride` steps; an agent joins a scene when it is seen for at
    least `min_agent_steps` of it. Recordings shorter than one window are skipped (and logged)."""
    tracks, lanes, areas, recording_of, too_short = [], [], [], {}, []
    scene = 0
    for rec in recordings.scene_ids:
        rows = recordings.tracks[recordings.tracks["scene"] == rec]
        first, last = int(rows["step"].min()), int(rows["step"].max())
        if last - first + 1 < steps:
            too_short.append(f"{recordings.recordings.get(rec, rec)} ({(last - first + 1) * recordings.dt:.1f} s)")
            continue
        for start in range(first, last - steps + 2, stride):
            window = rows[(rows["step"] >= start) & (rows["step"] < start + steps)]
            seen = window.groupby("agent")["step"].transform("size")
            window = window[seen >= min_agent_steps]
            if window["agent"].nunique() < 2:
                continue
            window = window.assign(scene=scene, step=window["step"] - start,
                                   agent=pd.factorize(window["agent"], sort=True)[0])
            tracks.append(window)
            lanes.append(recordings.lanes[recordings.lanes["scene"] == rec].assign(scene=scene))
            areas.append(recordings.areas[recordings.areas["scene"] == rec].assign(scene=scene))
            recording_of[scene] = recordings.recordings.get(rec, str(rec))
            scene += 1
    if too_short:
        log.info("skipped %d recording(s) shorter than one %.1f s scene: %s", len(too_short),
                 steps * recordings.dt, ", ".join(too_short[:5]))
    require(bool(tracks), f"no recording is long enough for one scene of {steps * recordings.dt:.1f} s "
                          f"({len(too_short)} recording(s) too short); give longer recordings or a shorter "
                          "scene length")
    areas = [a for a in areas if len(a)]
    return SceneSet(pd.concat(tracks, ignore_index=True), pd.concat(lanes, ignore_index=True), recordings.dt,
                    recording_of, pd.concat(areas, ignore_index=True) if areas else recordings.areas.iloc[0:0])


def split_by_recording(scenes: SceneSet, holdout_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Scene ids of train and holdout, whole recordings on each side (shuffled, then the
    recordings closest to `holdout_fraction` of the scenes go to the holdout)."""
    recordings = sorted(set(scenes.recordings.values()))
    require(len(recordings) >= 2, f"need scenes from at least 2 recordings to hold one out, got {len(recordings)}")
    rng = np.random.default_rng(seed)
    order = [recordings[i] for i in rng.permutation(len(recordings))]
    counts = pd.Series(list(scenes.recordings.values())).value_counts()
    target, held, taken = holdout_fraction * len(scenes.recordings), [], 0
    for recording in order:
        if taken >= target or len(held) == len(recordings) - 1:
            break
        held.append(recording)
        taken += counts[recording]
    holdout = [s for s, r in scenes.recordings.items() if r in held]
    train = [s for s, r in scenes.recordings.items() if r not in held]
    return train, holdout
