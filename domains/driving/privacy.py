"""Tracks as privacy records: is a synthetic vehicle's path a copy of a real one, and does the
synthetic data tell which real vehicles it was trained on?

A track is compared by its motion, not its place: positions relative to its first point (a copied
manoeuvre is a copy wherever on the road, and in whichever lane, it happens). Two tracks are as far apart as their average
displacement error (ADE), on every `POINT_EVERY`-th step of the whole scene. Only tracks present
for the whole scene take part, so all have the same length.

Control vehicles. A membership attack is only meaningful between members and non-members drawn
from the same population; vehicles of held-out recordings differ from training ones as whole
traffic periods do, so an attack on them partly measures how recordings differ. Before the split a
random share of each recording's vehicles is therefore marked `context_only`: in the training
scenes they stay as traffic the others react to, but no generator learns their own motion. They
are the non-members of the membership attack, against the learned vehicles of the same scenes —
the control set of Anonymeter (Giomi et al., 2023), or one-run privacy auditing's randomly left-out
examples (Steinke et al., 2023).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from domains.base import require
from domains.driving.measures import scene_grid
from generators.scenes import CONTEXT_ONLY, SceneSet, learned

POINT_EVERY = 5  # steps between compared points (0.5 s at 10 Hz)


def mark_control_vehicles(recordings: SceneSet, fraction: float, seed: int) -> SceneSet:
    """The same recordings with a random `fraction` of each one's vehicles marked `context_only`
    (whole vehicles, before scenes are cut, so overlapping scenes agree on who is a control)."""
    require(0.0 <= fraction <= 0.5, f"control vehicle fraction must lie in [0, 0.5], got {fraction}")
    tracks = recordings.tracks.drop(columns=CONTEXT_ONLY, errors="ignore")
    chosen = []
    for index, (scene, agents) in enumerate(tracks.groupby("scene", sort=True)["agent"].unique().items()):
        agents = np.sort(agents)
        picked = np.random.default_rng([seed, index]).choice(agents, int(round(fraction * len(agents))), replace=False)
        chosen += [(scene, agent) for agent in picked]
    flags = pd.MultiIndex.from_frame(tracks[["scene", "agent"]]).isin(chosen)
    return SceneSet(tracks.assign(**{CONTEXT_ONLY: flags}), recordings.lanes, recordings.dt, recordings.recordings,
                    recordings.areas, recordings.scene_info)


def track_records(scenes: SceneSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole-scene tracks as [n, points, 2] re-originated paths, the scene of each, and whether
    each is a control vehicle's (`context_only`)."""
    records, scene_of, control = [], [], []
    steps = scenes.steps
    tracks = scenes.tracks.assign(control=~learned(scenes.tracks))
    for scene, rows in tracks.groupby("scene", sort=True):
        g, _, _ = scene_grid(rows, ("x", "y", "control"))
        if g["x"].shape[0] < steps:
            continue
        whole = np.isfinite(g["x"]).all(0)
        x, y = g["x"][::POINT_EVERY, whole], g["y"][::POINT_EVERY, whole]
        records.append(np.stack([x - x[0], y - y[0]], -1).transpose(1, 0, 2))
        scene_of.append(np.full(whole.sum(), scene))
        control.append(g["control"][0, whole] > 0.5)
    if not records:
        return np.zeros((0, 0, 2)), np.zeros(0, dtype=int), np.zeros(0, dtype=bool)
    return np.concatenate(records), np.concatenate(scene_of), np.concatenate(control)


def pairwise_ade(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """[nq, nr] average displacement between tracks of equal length."""
    out = np.zeros((len(queries), len(reference)))
    for point in range(queries.shape[1]):
        q, r = queries[:, point], reference[:, point]
        d2 = (q**2).sum(1)[:, None] - 2 * q @ r.T + (r**2).sum(1)[None]
        out += np.sqrt(np.maximum(d2, 0))
    return out / max(queries.shape[1], 1)
