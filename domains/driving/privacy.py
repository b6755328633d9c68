"""Tracks as privacy records: is a synthetic vehicle's path a copy of a real one?

A track is compared by its motion, not its place: positions relative to its first point (a copied
manoeuvre is a copy wherever on the road, and in whichever lane, it happens). Two tracks are as far apart as their average
displacement error (ADE), on every `POINT_EVERY`-th step of the whole scene. Only tracks present
for the whole scene take part, so all have the same length.
"""
from __future__ import annotations

import numpy as np

from domains.driving.measures import scene_grid
from generators.scenes import SceneSet

POINT_EVERY = 5  # steps between compared points (0.5 s at 10 Hz)


def track_records(scenes: SceneSet) -> tuple[np.ndarray, np.ndarray]:
    """Whole-scene tracks as [n, points, 2] re-originated paths, and the scene of each."""
    records, scene_of = [], []
    steps = scenes.steps
    for scene, rows in scenes.tracks.groupby("scene", sort=True):
        g, _, _ = scene_grid(rows, ("x", "y"))
        if g["x"].shape[0] < steps:
            continue
        whole = np.isfinite(g["x"]).all(0)
        x, y = g["x"][::POINT_EVERY, whole], g["y"][::POINT_EVERY, whole]
        records.append(np.stack([x - x[0], y - y[0]], -1).transpose(1, 0, 2))
        scene_of.append(np.full(whole.sum(), scene))
    if not records:
        return np.zeros((0, 0, 2)), np.zeros(0, dtype=int)
    return np.concatenate(records), np.concatenate(scene_of)


def pairwise_ade(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """[nq, nr] average displacement between tracks of equal length."""
    out = np.zeros((len(queries), len(reference)))
    for point in range(queries.shape[1]):
        q, r = queries[:, point], reference[:, point]
        d2 = (q**2).sum(1)[:, None] - 2 * q @ r.T + (r**2).sum(1)[None]
        out += np.sqrt(np.maximum(d2, 0))
    return out / max(queries.shape[1], 1)
