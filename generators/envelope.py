"""The safety envelope the traffic rollout enforces, calibrated to the scenes a generator learns from.

* Longitudinal: Krauss's safe speed. A follower may go no faster than lets it stop behind its
  leader if, after its reaction time, both brake as hard as the decoder allows. Since no leader can
  brake harder, same-lane rear-end collisions cannot happen.
* Lateral: no steering towards a vehicle alongside, nor off the road, nor into a gap in the next
  lane too short for the faster of two vehicles to match the other's speed before they touch (after
  its reaction time, braking as hard as the decoder allows; the other keeps its speed). A cut-in may
  be close, a run into a slower vehicle may not. A vehicle closer than
  `LATERAL_CLEARANCE` to one beside it, now or within `LOOKAHEAD` as one passes the other, edges
  away. Headings stay within what the real vehicles show.

The reaction time is not a textbook constant. It is the largest that real drivers in the training
scenes respect in all but `ALLOWED_EXCEEDANCE` of their states. A fixed, textbook 0.5 s is more
cautious than dense real traffic (NGSIM US-101 drivers follow closer), and an envelope that brakes
where real drivers would not shifts the synthetic accelerations towards braking.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from generators.kinematics import LIMITS, derive
from generators.road import ROLES, Agents, Road, neighbours
from generators.scenes import SceneSet, learned

REACTION_TIMES = (0.5, 0.4, 0.3, 0.2, 0.1)  # s, the candidates, most cautious first
ALLOWED_EXCEEDANCE = 0.01  # share of real states allowed above the longitudinal bound
HEADING_QUANTILE = 0.999  # the heading bound: this quantile of |heading| in the training scenes
STANDSTILL_MARGIN = 1.0  # m kept to the leader's rear bumper when stopped
LOOKAHEAD = 2.0  # s; how early a vehicle edges away from one about to pass too close beside it
LATERAL_CLEARANCE = 0.5  # m; closer to a vehicle beside it, a vehicle edges away
LANE_CHANGE_HEADING = 0.02  # rad towards a neighbour's side: above it a vehicle means to go there
EDGE_MARGIN = 0.2  # m kept between a vehicle's side and the road edge
CALIBRATION_STRIDE = 5  # steps between the real states the calibration looks at


@dataclass(frozen=True)
class Envelope:
    """The bounds the rollout applies to every vehicle at every step."""

    reaction_time: float = 0.5  # s
    braking: float = -LIMITS.decode_acceleration[0]  # m/s², the hardest any vehicle can brake
    max_heading: float = 0.3  # rad from the lane direction

    def max_acceleration(self, agents: Agents, seen: dict, dt: float) -> np.ndarray:
        """Per agent, the largest acceleration within the safe speed; +inf without a leader."""
        has, speed, lead_speed, gap = _following(agents, seen)
        bound = (safe_speed(speed, lead_speed, gap, self.reaction_time, self.braking) - speed) / dt
        return np.where(has, bound, np.inf)

    def steer(self, agents: Agents, seen: dict, road: Road, yaw_rate: np.ndarray) -> np.ndarray:
        """Yaw rates that keep vehicles off their neighbours, on the road and within `max_heading`."""
        n = len(agents)
        next_heading = agents.heading + 0.1 * yaw_rate  # where the controller steers within 0.1 s
        blocked_left, blocked_right = np.zeros(n, bool), np.zeros(n, bool)
        squeezed_left, squeezed_right = np.zeros(n, bool), np.zeros(n, bool)
        if n > 1:
            along = np.abs(agents.x[None, :] - agents.x[:, None]) - (agents.length[None, :] + agents.length[:, None]) / 2
            closing = np.abs(agents.speed[None, :] - agents.speed[:, None])
            others = ~np.eye(n, dtype=bool)
            alongside = (along < 3.0) & others
            passing = (along < 3.0 + LOOKAHEAD * closing) & others  # alongside now or soon
            dy = agents.y[None, :] - agents.y[:, None]
            room = np.abs(dy) - (agents.width[None, :] + agents.width[:, None]) / 2
            blocked_left, blocked_right = (alongside & (room < 1.0) & (dy > 0)).any(1), \
                (alongside & (room < 1.0) & (dy < 0)).any(1)
            # a vehicle changing lanes on purpose passes close to those in its new lane: it does not edge away
            drifting = (next_heading[:, None] * np.sign(dy) < LANE_CHANGE_HEADING) & passing & (room < LATERAL_CLEARANCE)
            squeezed_left, squeezed_right = (drifting & (dy > 0)).any(1), (drifting & (dy < 0)).any(1)
        blocked_left |= self._short_gap(agents, seen, "left")
        blocked_right |= self._short_gap(agents, seen, "right")
        low, high = road.bounds
        half = agents.width / 2
        blocked_left |= agents.y + half > high - EDGE_MARGIN
        blocked_right |= agents.y - half < low + EDGE_MARGIN
        back = -agents.heading / 0.2  # straighten within a few steps (the decoder bounds the curvature)
        guarded = (blocked_left & (next_heading > 0)) | (blocked_right & (next_heading < 0)) | \
            (np.abs(next_heading) > self.max_heading) & (np.sign(yaw_rate) == np.sign(agents.heading))
        steered = np.where(guarded, back, yaw_rate)
        # edge away from a vehicle too close beside, unless the other side is taken too
        away = np.where(squeezed_left & ~squeezed_right & ~blocked_right, -1.0,
                        np.where(squeezed_right & ~squeezed_left & ~blocked_left, 1.0, 0.0))
        target = away * min(0.03, self.max_heading)
        return np.where(away != 0, (target - agents.heading) / 0.3, steered)

    def enter_within(self, inserter: Callable) -> Callable:
        """`inserter` (see generators/traffic.py), with every new vehicle no faster than lets it stop
        behind the leader it is placed behind."""
        def insert(opening, rng) -> tuple[float, float, float, float, float]:
            gap, speed, length, width, offset = inserter(opening, rng)
            if opening.leader_speed is not None:
                speed = float(self.within_safe_speed(speed, opening.leader_speed, gap))
            return gap, speed, length, width, offset
        return insert

    def within_safe_speed(self, speed: ArrayLike, lead_speed: ArrayLike, gap: ArrayLike) -> np.ndarray:
        """`speed`, lowered where it is faster than lets a vehicle stop `gap` behind a leader at
        `lead_speed` (Krauss's safe speed)."""
        return np.minimum(speed, safe_speed(speed, lead_speed, gap, self.reaction_time, self.braking))

    def _short_gap(self, agents: Agents, seen: dict, side: str) -> np.ndarray:
        """Would moving into the lane on `side` leave a gap too short to close without touching?"""
        short = np.zeros(len(agents), dtype=bool)
        for slot, closing_sign in (("lead", 1.0), ("follow", -1.0)):
            index = seen[f"{side}_{slot}_index"]
            closing = np.maximum(closing_sign * (agents.speed - agents.speed[np.maximum(index, 0)]), 0.0)
            needed = STANDSTILL_MARGIN + closing * self.reaction_time + closing**2 / (2 * self.braking)
            short |= (index >= 0) & (seen[f"{side}_{slot}_gap"] < needed)
        return short


def safe_speed(speed, lead_speed, gap, reaction_time: float, braking: float) -> np.ndarray:
    """Krauss's safe speed: stopping within the gap after the reaction time is still possible."""
    mean_speed = 0.5 * (lead_speed + speed)
    room = np.maximum(gap - STANDSTILL_MARGIN, 0.0)
    value = lead_speed + (room - lead_speed * reaction_time) / (mean_speed / braking + reaction_time)
    return np.maximum(value, 0.0)


def _following(agents: Agents, seen: dict):
    lead = seen["lead_index"]
    has = lead >= 0
    return has, agents.speed, np.where(has, agents.speed[np.maximum(lead, 0)], 0.0), seen["lead_gap"]


def calibrate(scenes: SceneSet) -> Envelope:
    """The envelope real drivers in `scenes` keep to: the largest candidate reaction time they
    exceed in at most ALLOWED_EXCEEDANCE of their states (else the smallest), and their heading
    quantile. Without any vehicle following another, the default reaction time stays.
    `context_only` vehicles count as leaders, never as the drivers measured."""
    derived = derive(scenes.tracks, scenes.dt)
    tracks = scenes.tracks.assign(x=derived["sx"].to_numpy(), y=derived["sy"].to_numpy(),
                                  speed=derived["speed_s"].to_numpy(), accel=derived["accel"].to_numpy(),
                                  learned=learned(scenes.tracks))
    speeds, lead_speeds, gaps, accels = ([np.zeros(0)] for _ in range(4))
    for scene, rows in tracks.groupby("scene"):
        road = Road.from_lane_table(scenes.lane_table(scene))
        for _, now in rows[rows["step"] % CALIBRATION_STRIDE == 0].groupby("step"):
            n = len(now)
            agents = Agents(now["agent"].to_numpy(), now["x"].to_numpy(), now["y"].to_numpy(),
                            now["heading"].to_numpy(), now["speed"].to_numpy(), now["length"].to_numpy(),
                            now["width"].to_numpy(), np.zeros((n, len(ROLES))))
            has, speed, lead_speed, gap = _following(agents, neighbours(agents, road))
            has &= now["learned"].to_numpy()
            speeds.append(speed[has]), lead_speeds.append(lead_speed[has]), gaps.append(gap[has])
            accels.append(now["accel"].to_numpy()[has])
    heading = np.quantile(np.abs(tracks.loc[tracks["learned"], "heading"]), HEADING_QUANTILE)
    envelope = Envelope(max_heading=float(np.clip(heading, 0.05, 0.5)))  # within sane bounds for a road
    speed, lead_speed, gap, accel = map(np.concatenate, (speeds, lead_speeds, gaps, accels))
    if not len(speed):
        return envelope
    for reaction_time in REACTION_TIMES:
        bound = (safe_speed(speed, lead_speed, gap, reaction_time, envelope.braking) - speed) / scenes.dt
        if np.mean(accel > bound) <= ALLOWED_EXCEEDANCE:
            break
    return Envelope(reaction_time, envelope.braking, envelope.max_heading)
