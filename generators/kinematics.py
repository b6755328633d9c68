"""Vehicle kinematics: smoothing noisy tracks, the quantities derived from them, and the
kinematic model that decodes controls into states.

Real trajectory data is noisy (NGSIM: 14–21 % of raw samples exceed |jerk| = 10 m/s³), so every
derived quantity — for real and synthetic tracks alike — is computed after the same
Savitzky–Golay smoothing of positions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

SMOOTHING_WINDOW = 15  # steps (1.5 s at 10 Hz); shorter tracks use the longest odd window they allow
SMOOTHING_ORDER = 2
MIN_SPEED_FOR_HEADING = 0.5  # m/s; below it the direction of motion is noise, keep the last heading
MIN_SPEED_FOR_CURVATURE = 2.0  # m/s; curvature = yaw rate / speed blows up when standing still


@dataclass(frozen=True)
class Limits:
    """Physical limits: the validity check's thresholds, and the decoder's (tighter) clamps."""

    max_abs_acceleration: float = 10.4  # m/s², infeasible above
    max_abs_curvature: float = 0.3  # 1/m, infeasible above
    decode_acceleration: tuple[float, float] = (-8.0, 4.0)  # what the decoder lets a generator ask for
    decode_curvature: float = 0.2
    max_speed: float = 45.0


LIMITS = Limits()


def _window(n: int, window: int = SMOOTHING_WINDOW) -> int:
    w = min(window, n if n % 2 else n - 1)
    return w


def smooth_track(x: np.ndarray, y: np.ndarray, dt: float, window: int = SMOOTHING_WINDOW) -> dict[str, np.ndarray]:
    """Smoothed positions and their derivatives for one contiguous track."""
    n = len(x)
    w = _window(n, window)
    if w <= SMOOTHING_ORDER:  # too short to smooth: finite differences
        vx, vy = np.gradient(x, dt) if n > 1 else np.zeros(n), np.gradient(y, dt) if n > 1 else np.zeros(n)
        return {"x": x, "y": y, "vx": vx, "vy": vy}
    kw = dict(window_length=w, polyorder=SMOOTHING_ORDER, mode="interp")
    return {"x": savgol_filter(x, **kw), "y": savgol_filter(y, **kw),
            "vx": savgol_filter(x, deriv=1, delta=dt, **kw), "vy": savgol_filter(y, deriv=1, delta=dt, **kw)}


def _hold_heading(vx: np.ndarray, vy: np.ndarray, speed: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    heading = np.arctan2(vy, vx)
    slow = speed < MIN_SPEED_FOR_HEADING
    if slow.all():
        return fallback.astype(float)
    for i in np.flatnonzero(slow):  # carry the last confident heading (or the first, at the start)
        heading[i] = heading[i - 1] if i > 0 else heading[np.flatnonzero(~slow)[0]]
    return heading


def derive(tracks: pd.DataFrame, dt: float, window: int = SMOOTHING_WINDOW) -> pd.DataFrame:
    """Per agent-step kinematics after smoothing: speed, acceleration, yaw rate, jerk, curvature.

    Rows keep the order of `tracks`; each (scene, agent) must be contiguous in `step`. Every
    metric uses the default `window`; a generator may learn from a lighter smoothing."""
    out = tracks[["scene", "agent", "step"]].copy()
    columns = {k: np.zeros(len(tracks)) for k in ("sx", "sy", "speed_s", "heading_s", "accel", "yaw_rate", "jerk",
                                                   "curvature")}
    order = tracks.sort_values(["scene", "agent", "step"]).index.to_numpy()
    positions = {index: i for i, index in enumerate(tracks.index)}
    sorted_tracks = tracks.loc[order]
    keys = sorted_tracks[["scene", "agent"]].to_numpy()
    boundaries = np.flatnonzero(np.any(keys[1:] != keys[:-1], axis=1)) + 1
    for chunk in np.split(np.arange(len(order)), boundaries):
        rows = sorted_tracks.iloc[chunk]
        s = smooth_track(rows["x"].to_numpy(float), rows["y"].to_numpy(float), dt, window)
        recorded_heading = rows["heading"].to_numpy(float)
        # At a standstill the filter's velocity overshoots through zero and points backwards; no
        # vehicle here reverses, so that is a stop (else the heading flips by pi and the yaw rate
        # and curvature spike around it)
        backwards = s["vx"] * np.cos(recorded_heading) + s["vy"] * np.sin(recorded_heading) < 0
        speed = np.where(backwards, 0.0, np.hypot(s["vx"], s["vy"]))
        heading = np.unwrap(_hold_heading(s["vx"], s["vy"], speed, recorded_heading))
        n = len(chunk)
        w = _window(n, window)
        if w > SMOOTHING_ORDER:
            kw = dict(window_length=w, polyorder=SMOOTHING_ORDER, mode="interp", delta=dt)
            accel = savgol_filter(speed, deriv=1, **kw)
            yaw_rate = savgol_filter(heading, deriv=1, **kw)
            jerk = savgol_filter(accel, deriv=1, **kw)
        else:
            accel = np.gradient(speed, dt) if n > 1 else np.zeros(n)
            yaw_rate = np.gradient(heading, dt) if n > 1 else np.zeros(n)
            jerk = np.gradient(accel, dt) if n > 1 else np.zeros(n)
        curvature = np.where(speed >= MIN_SPEED_FOR_CURVATURE, yaw_rate / np.maximum(speed, 1e-6), 0.0)
        target = [positions[i] for i in order[chunk]]
        for name, values in (("sx", s["x"]), ("sy", s["y"]), ("speed_s", speed),
                             ("heading_s", np.angle(np.exp(1j * heading))), ("accel", accel),
                             ("yaw_rate", yaw_rate), ("jerk", jerk), ("curvature", curvature)):
            columns[name][target] = values
    for name, values in columns.items():
        out[name] = values
    return out


def infeasible_tracks(derived: pd.DataFrame, limits: Limits = LIMITS) -> pd.Series:
    """Per (scene, agent): does the smoothed track exceed the acceleration or curvature limit?"""
    bad = (derived["accel"].abs() > limits.max_abs_acceleration) | \
        (derived["curvature"].abs() > limits.max_abs_curvature)
    return bad.groupby([derived["scene"], derived["agent"]]).any()


def step_kinematics(x, y, heading, speed, accel, curvature, dt: float, limits: Limits = LIMITS):
    """One step of the kinematic model (a unicycle with bounded acceleration and curvature).

    Controls outside the decoder's limits are clamped, so every decoded track is feasible by
    construction; speed never goes negative (vehicles stop, they do not reverse)."""
    lo, hi = limits.decode_acceleration
    accel = np.clip(accel, lo, hi)
    curvature = np.clip(curvature, -limits.decode_curvature, limits.decode_curvature)
    new_speed = np.clip(speed + accel * dt, 0.0, limits.max_speed)
    mean_speed = 0.5 * (speed + new_speed)
    new_heading = heading + curvature * mean_speed * dt
    mid = 0.5 * (heading + new_heading)
    return (x + mean_speed * np.cos(mid) * dt, y + mean_speed * np.sin(mid) * dt, new_heading, new_speed)
