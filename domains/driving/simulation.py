"""Simulated recordings for users without logs of their own: IDM car following and MOBIL lane
changes from the highway-env package, on a straight multi-lane road, observed through a fixed
window the way a drone or a roadside camera records (vehicles enter and leave the view).

`highway-env[:RECORDINGS]` sets the number of recordings (default 10). Each recording has its own
lane count and traffic density, so the set spans free flow to dense traffic.

highway-env steers every vehicle exactly along its lane's centre line; real drivers wander within
their lane. Each simulated vehicle therefore carries a lateral offset of its own, added to its
recorded position and heading. The offset is a critically damped second-order process driven by
noise (stationary spread WANDER_STD, time scale WANDER_TIME): a driver drifts smoothly, with a
lateral speed that changes gradually. A first-order (Ornstein-Uhlenbeck) offset would be a random
walk at the recording's rate, a 10 Hz jitter of position and heading no real track shows, which
any model of the tracks, and any predictor trained on them, would have to learn as signal.

highway-env also gives every IDM driver the same desired time gap (1.5 s). Every follower then
settles at one headway, a sharp floor under the headway distribution that real traffic does not
show: drivers differ in the gap they keep. Each simulated driver therefore draws its own time gap,
log-normal around highway-env's value (TIME_GAP_SPREAD, the standard deviation of its logarithm).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from domains.base import require
from generators.scenes import LANE_COLUMNS, TRACK_COLUMNS, SceneSet, concat, lane_of

DT = 0.1
ROAD_LENGTH = 500.0  # m of simulated road; the camera sees a window in the middle of it
VIEW = (150.0, 350.0)  # the observed window, m along the road
WARM_UP_S = 8.0  # traffic settles before recording starts
RECORD_S = 24.0
LANE_WIDTH = 3.7
DEFAULT_RECORDINGS = 10
WANDER_STD = 0.3  # m, spread of a driver's position across the lane
WANDER_TIME = 4.0  # s, how long a driver keeps one position in the lane
TIME_GAP_MEDIAN = 1.5  # s, highway-env's IDM time gap
TIME_GAP_SPREAD = 0.3  # standard deviation of the log time gap across drivers (90 % of drivers within 0.9-2.5 s)


def simulate_recordings(location: str = "", seed: int = 0) -> SceneSet:
    try:
        count = int(location) if location else DEFAULT_RECORDINGS
    except ValueError:
        count = -1
    require(count >= 1, f"highway-env takes the number of recordings, e.g. highway-env:6, not {location!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for index in range(count):
        lanes = int(rng.integers(3, 5))
        spacing = float(rng.uniform(0.35, 1.0))  # highway-env's spacing factor: larger is sparser
        parts.append(simulate_one(f"highway-env-{index}", lanes, spacing, int(rng.integers(2**31))))
    return concat(parts)


def simulate_one(recording: str, lanes: int, spacing: float, seed: int) -> SceneSet:
    """One recording: `lanes` lanes filled the way highway-env fills its roads (`spacing` scales
    the gaps), IDM/MOBIL for WARM_UP_S + RECORD_S. A vehicle that crashes (rare; MOBIL is not
    perfectly safe) is taken off the road, as a real recording would lose it behind the wreck."""
    from highway_env.road.lane import LineType, StraightLane
    from highway_env.road.road import Road, RoadNetwork
    from highway_env.vehicle.behavior import IDMVehicle

    rng = np.random.default_rng(seed)
    network = RoadNetwork()
    for lane in range(lanes):
        # highway-env's y grows to the right of travel; lane 0 is the left-most
        lines = [LineType.CONTINUOUS_LINE if lane == 0 else LineType.STRIPED,
                 LineType.CONTINUOUS_LINE if lane == lanes - 1 else LineType.NONE]
        network.add_lane("a", "b", StraightLane([0, lane * LANE_WIDTH], [ROAD_LENGTH, lane * LANE_WIDTH],
                                                line_types=lines, width=LANE_WIDTH, speed_limit=33.0))
    road = Road(network=network, np_random=rng, record_history=False)
    while True:  # highway-env's own placement: each new vehicle behind the last, gaps by speed
        vehicle = IDMVehicle.create_random(road, spacing=spacing)
        if vehicle.position[0] > ROAD_LENGTH - 50:
            break
        _own_behaviour(vehicle, rng)
        road.vehicles.append(vehicle)
    rows = []
    wander: dict[int, LateralWander] = {}
    seen: list = []
    warm_up, record = int(WARM_UP_S / DT), int(RECORD_S / DT)
    for step in range(warm_up + record):
        _spawn(road, network, lanes, spacing, rng)
        road.act()
        road.step(DT)
        for vehicle in road.vehicles:  # IDM can brake a stopped vehicle into reverse; it stops instead
            vehicle.speed = max(float(vehicle.speed), 0.0)
        road.vehicles = [v for v in road.vehicles if v.position[0] < ROAD_LENGTH - 20 and not v.crashed]
        for vehicle in road.vehicles:
            agent = id(vehicle)
            if agent not in wander:
                # ids are the agents' keys: keep every vehicle alive so no later one reuses an id
                seen.append(vehicle)
                wander[agent] = LateralWander(rng)
            offset, lateral_speed = wander[agent].step(rng)
            x, y = vehicle.position
            if step >= warm_up and VIEW[0] <= x <= VIEW[1]:
                drift = np.arctan2(lateral_speed, max(float(vehicle.speed), 1.0))
                rows.append((agent, step - warm_up, x - VIEW[0], (lanes - 1) * LANE_WIDTH - y + offset,
                             -float(vehicle.heading) + drift, float(vehicle.speed), float(vehicle.LENGTH),
                             float(vehicle.WIDTH)))
    frame = pd.DataFrame(rows, columns=["agent", "step", "x", "y", "heading", "speed", "length", "width"])
    frame["agent"] = pd.factorize(frame["agent"])[0]
    centres = np.arange(lanes) * LANE_WIDTH
    lane_table = pd.DataFrame({"scene": 0, "lane": np.arange(lanes), "center_y": centres, "width": LANE_WIDTH,
                               "x_min": 0.0, "x_max": VIEW[1] - VIEW[0]})
    frame = frame.assign(scene=0, lane=lane_of(frame["y"].to_numpy(), centres)[0])
    frame = frame.sort_values(["agent", "step"]).reset_index(drop=True)
    return SceneSet(frame[TRACK_COLUMNS], lane_table[LANE_COLUMNS], DT, {0: recording})


class LateralWander:
    """A driver's offset from the lane centre: o'' = -2w o' - w^2 o + noise with w = 2 / WANDER_TIME,
    scaled so that o spreads WANDER_STD (the stationary variance of this process is
    sigma^2 / (4 w^3)); its lateral speed then spreads WANDER_STD * w."""

    def __init__(self, rng: np.random.Generator):
        self.rate = 2.0 / WANDER_TIME
        self.noise = WANDER_STD * np.sqrt(4 * self.rate**3)
        self.offset = rng.normal(0, WANDER_STD)
        self.speed = rng.normal(0, WANDER_STD * self.rate)

    def step(self, rng: np.random.Generator) -> tuple[float, float]:
        pull = -2 * self.rate * self.speed - self.rate**2 * self.offset
        self.speed += pull * DT + self.noise * np.sqrt(DT) * rng.normal()
        self.offset += self.speed * DT
        return self.offset, self.speed


def _spawn(road, network, lanes: int, spacing: float, rng: np.random.Generator) -> None:
    """Steady inflow: a lane gets a new vehicle at its start once the last one is a gap away
    (highway-env's default spacing rule, 12 m + 1 s of speed, scaled)."""
    from highway_env.vehicle.behavior import IDMVehicle

    for lane in range(lanes):
        in_lane = [v for v in road.vehicles if v.lane_index[2] == lane]
        speed = float(rng.uniform(20, 28))
        last = min((v.position[0] for v in in_lane), default=np.inf)
        if last > spacing * (12 + speed) * rng.uniform(1.5, 3.0):
            vehicle = IDMVehicle(road, network.get_lane(("a", "b", lane)).position(0.0, 0.0), heading=0.0, speed=speed)
            _own_behaviour(vehicle, rng)
            road.vehicles.append(vehicle)


def _own_behaviour(vehicle, rng: np.random.Generator) -> None:
    """A driver of its own: highway-env's randomised IDM exponent, and a time gap of its own."""
    vehicle.randomize_behavior()
    vehicle.TIME_WANTED = TIME_GAP_MEDIAN * float(np.exp(rng.normal(0.0, TIME_GAP_SPREAD)))
