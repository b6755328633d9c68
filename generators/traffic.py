"""What every traffic-scene generator shares: the closed-loop rollout that decodes controls through
the kinematic model under the safety envelope (generators/envelope.py), the initial layout, and
the roads and regimes learned from training scenes.

A generator supplies two things: a *controller* (accelerations and yaw rates for all agents,
given what they see) and an *inserter* (gap, speed, size and offset from the lane centre of a
vehicle placed in an `Opening`: behind another in a lane, as the scene is laid out or as it
runs). The rollout does the rest: kinematic decoding with clamped controls (so every track is
feasible by construction), vehicles leaving at the downstream end and entering upstream, and the
envelope: followers stay able to stop behind their leaders and vehicles keep off their neighbours
and on the road.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Callable, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from generators.base import Generator
from generators.envelope import Envelope, calibrate
from generators.events import EVENTS
from generators.kinematics import LIMITS, step_kinematics
from generators.road import ROLES, Agents, Road, neighbours
from generators.scenes import CONTEXT_ONLY, TRACK_COLUMNS, SceneSet, concat, lane_of, learned
from synthpipe.errors import InputDataError

PLACEMENT_CLEARANCE = 0.5  # m a newly placed vehicle keeps from one beside it, else it takes its lane centre


Controller = Callable[[Agents, dict, np.random.Generator], tuple[np.ndarray, np.ndarray]]


class Opening(NamedTuple):
    """Where a vehicle is to be placed: behind the last one placed in `lane` (its speed, None
    without one), whose rear is at `front` along the road (the downstream end plus a margin
    without one), while the first step is laid out (`initial`) or as the scene runs."""

    lane: int
    leader_speed: float | None
    front: float
    initial: bool


Inserter = Callable[[Opening, np.random.Generator], tuple[float, float, float, float, float]]
OPEN_ROAD_MARGIN = 15.0  # m; `front` of an opening with no leader: this far past the downstream end


def rollout(road: Road, agents: Agents, steps: int, dt: float, controller: Controller, inserter: Inserter | None,
            rng: np.random.Generator, scene: int, decide_every: int = 1, envelope: Envelope = Envelope()
            ) -> pd.DataFrame:
    """Run the scene for `steps` steps; returns its track table (lanes from the road).

    Vehicles decide every `decide_every` steps and hold their controls in between (drivers act
    at a few hertz; per-step random draws would add up to a random walk in acceleration); the
    envelope still applies at every step. Without an `inserter` no vehicle enters."""
    rows = []
    inserter = envelope.enter_within(inserter) if inserter is not None else None
    held: dict[int, tuple[float, float]] = {}
    next_id = int(agents.ids.max()) + 1 if len(agents) else 0
    pending = {lane: None for lane in range(len(road.centres))}  # gap the next entering vehicle keeps
    for step in range(steps):
        lane, _ = lane_of(agents.y, road.centres)
        rows.append(np.column_stack([np.full(len(agents), scene), agents.ids, np.full(len(agents), step), agents.x,
                                     agents.y, agents.heading, agents.speed, agents.length, agents.width, lane]))
        if step == steps - 1:
            break
        seen = neighbours(agents, road)
        accel, yaw_rate = controller(agents, seen, rng)
        for i, agent in enumerate(agents.ids):
            if step % decide_every == 0 or agent not in held:
                held[agent] = (accel[i], yaw_rate[i])
            accel[i], yaw_rate[i] = held[agent]
        accel = np.minimum(accel, envelope.max_acceleration(agents, seen, dt))
        yaw_rate = envelope.steer(agents, seen, road, yaw_rate)
        curvature = yaw_rate / np.maximum(agents.speed, 1.0)
        lo, hi = LIMITS.decode_acceleration
        accel = np.clip(accel, lo, hi)
        x, y, heading, speed = step_kinematics(agents.x, agents.y, agents.heading, agents.speed, accel, curvature, dt)
        agents.prev_accel = (speed - agents.speed) / dt
        agents.prev_yaw = (heading - agents.heading) / dt
        agents.x, agents.y, agents.heading, agents.speed = x, y, heading, speed
        agents = agents.select(agents.x - agents.length / 2 < road.length)  # left the observed road
        if inserter is not None:
            agents, next_id = _enter(agents, road, inserter, pending, rng, next_id)
    table = pd.DataFrame(np.vstack(rows), columns=TRACK_COLUMNS)
    return table.astype({"scene": int, "agent": int, "step": int, "lane": int})


def _enter(agents: Agents, road: Road, inserter: Inserter, pending: dict, rng, next_id: int):
    """Vehicles enter a lane at x = 0 once the last vehicle in it is far enough downstream."""
    lane, _ = lane_of(agents.y, road.centres) if len(agents) else (np.zeros(0, dtype=int), None)
    new = []
    for k in range(len(road.centres)):
        in_lane = np.flatnonzero(lane == k)
        last = in_lane[agents.x[in_lane].argmin()] if len(in_lane) else None
        leader_speed = float(agents.speed[last]) if last is not None else None
        rear = agents.x[last] - agents.length[last] / 2 if last is not None else np.inf
        if pending[k] is None:
            front = rear if last is not None else road.length + OPEN_ROAD_MARGIN
            pending[k] = inserter(Opening(k, leader_speed, float(front), False), rng)
        gap, speed, length, width, offset = pending[k]
        if rear >= gap + length:  # the new vehicle's front bumper is at x = length / 2
            new.append((next_id, length / 2, road.centres[k] + offset, 0.0, speed, length, width, road.centres[k]))
            next_id += 1
            pending[k] = None
    if not new:
        return agents, next_id
    ids, x, y, heading, speed, length, width, centre = map(np.array, zip(*new))
    y = _clear_sideways(np.r_[agents.x, x], np.r_[agents.y, y], np.r_[agents.y, centre], np.r_[agents.length, length],
                        np.r_[agents.width, width], np.r_[np.zeros(len(agents), bool), np.ones(len(new), bool)])
    entering = Agents(ids, x.astype(float), y[len(agents):], heading.astype(float), speed.astype(float),
                      length.astype(float), width.astype(float), np.zeros((len(new), len(ROLES))))
    return Agents.join(agents, entering), next_id


def _clear_sideways(x, y, centre, length, width, movable) -> np.ndarray:
    """Lateral positions where each movable vehicle that would come closer than PLACEMENT_CLEARANCE
    to a vehicle beside it is moved to its lane centre (offsets are drawn lane by lane, so two
    neighbours could otherwise both lean towards the line between them)."""
    along = np.abs(x[:, None] - x[None]) - (length[:, None] + length[None]) / 2
    across = np.abs(y[:, None] - y[None]) - (width[:, None] + width[None]) / 2
    crowded = ((along < 1.0) & (across < PLACEMENT_CLEARANCE) & ~np.eye(len(x), dtype=bool)).any(1) & movable
    return np.where(crowded, centre, y).astype(float)


def layout(road: Road, inserter: Inserter, rng: np.random.Generator, max_agents: int | None = None,
           envelope: Envelope = Envelope(), ends: np.ndarray | None = None) -> Agents:
    """Initial vehicles: lane by lane from the downstream end, each behind the one before it and
    within the envelope's safe speed, until the next would reach past the lane's end: `ends[k]`
    metres from the upstream end (see `draw_lane_ends`; the upstream end itself without)."""
    inserter = envelope.enter_within(inserter)
    ends = np.zeros(len(road.centres)) if ends is None else ends
    rows = []
    for k in range(len(road.centres)):
        front, leader_speed = road.length + rng.uniform(0, 2 * OPEN_ROAD_MARGIN), None
        while True:
            gap, speed, length, width, offset = inserter(Opening(k, leader_speed, float(front), True), rng)
            x = front - gap - length / 2
            if x - length / 2 < ends[k]:
                break
            rows.append((x, road.centres[k] + offset, speed, length, width, road.centres[k]))
            front, leader_speed = x - length / 2, speed
    if max_agents is not None and len(rows) > max_agents:
        rows = [rows[i] for i in np.sort(rng.choice(len(rows), max_agents, replace=False))]
    if not rows:
        return Agents(*(np.zeros(0) for _ in range(7)), np.zeros((0, len(ROLES))))
    x, y, speed, length, width, centre = map(np.array, zip(*rows))
    n = len(rows)
    y = _clear_sideways(x, y, centre, length, width, np.ones(n, dtype=bool))
    return Agents(np.arange(n), x, y, np.zeros(n), speed, length, width, np.zeros((n, len(ROLES))))


def keep_mean_speed(agents: Agents, road: Road, mean_speed: float, envelope: Envelope = Envelope()) -> Agents:
    """Laid-out `agents` with their speeds scaled so that their mean is `mean_speed` (the regime
    asked for), each then no faster than lets it stop behind its leader, downstream first.

    A layout draws each vehicle's speed given its leader's and caps it at the safe speed behind
    it, so a small bias per draw compounds down a lane of a dozen vehicles. On US-101 (`full`,
    seed 4) scenes whose training templates started at a mean 13.8 m/s started at 12.9, and the
    slower traffic spent its time in a calmer band: speed distance 1.45x its real-vs-real
    baseline, jerk 1.56x; scaled to the regime's mean speed, 1.12x and 1.46x. A requested
    `speed` is honoured the same way: before, a small model fitted to IDM test scenes at about
    16 m/s laid out scenes asked for 8 m/s at 14-15. Scaling keeps stopped vehicles stopped and
    every vehicle's speed in proportion to the others'."""
    if not len(agents) or agents.speed.mean() <= 0:
        return agents
    speed = np.minimum(agents.speed * (mean_speed / agents.speed.mean()), LIMITS.max_speed)
    seen = neighbours(agents, road)
    for i in np.argsort(-agents.x):  # a leader's speed is final before its follower's is capped
        lead = seen["lead_index"][i]
        if lead >= 0:
            speed[i] = envelope.within_safe_speed(speed[i], speed[lead], seen["lead_gap"][i])
    agents.speed = speed
    return agents


def draw_road(templates: list[tuple], lanes: int | None, rng: np.random.Generator, preferred: int | None = None
              ) -> Road:
    """One of the training roads `(centres, width, length)`: the `preferred` one if it has the
    `lanes` asked for, else one that has; a lane count never seen gets the typical lane width and
    road length."""
    if preferred is not None and lanes in (None, len(templates[preferred][0])):
        matching = [templates[preferred]]
    else:
        matching = [t for t in templates if lanes in (None, len(t[0]))]
    if not matching:
        width, length = np.median([t[1] for t in templates]), np.median([t[2] for t in templates])
        matching = [(list(np.arange(lanes) * width), width, length)]
    centres, width, length = matching[rng.integers(len(matching))]
    return Road(np.asarray(centres, dtype=float), float(width), float(length))


def scene_template(index: int, templates: int, seed: int) -> int:
    """The training scene whose road and traffic regime synthetic scene `index` follows.

    Every training scene is used once before any is used twice (a seeded permutation per round of
    `templates` scenes). Independent draws would leave the mix of regimes to chance: with a few
    dozen training scenes, 40 draws can shift a synthetic set's mean speed by more than 1 m/s,
    which is more than the model's own error. The template depends only on (seed, index)."""
    round_, position = divmod(int(index), int(templates))
    return int(np.random.default_rng([seed, round_, 0x7E3]).permutation(templates)[position])


def roads_of(scenes: SceneSet) -> list[Road]:
    return [Road.from_lane_table(scenes.lane_table(s)) for s in scenes.scene_ids]


def learn_scene_context(model, scenes: SceneSet) -> None:
    """What every scene generator keeps from its training scenes: time step, scene length, the
    road templates `(centres, width, length)`, the per-scene traffic regimes and the safety
    envelope their drivers keep to."""
    model.dt_, model.steps_ = scenes.dt, scenes.steps
    model.envelope_ = calibrate(scenes)
    model.roads_ = [(r.centres.tolist(), r.width, r.length) for r in roads_of(scenes)]
    model.conditions_ = scene_conditions(scenes)
    model.lane_ends_ = learn_lane_ends(model.conditions_)


def scene_conditions(scenes: SceneSet) -> pd.DataFrame:
    """Per scene: agents at the first step, density (vehicles/km/lane) and mean speed there, where
    each lane's queue ends (`lane_ends`) and `queue_end`, the median of those over occupied lanes."""
    first = scenes.tracks[scenes.tracks["step"] == 0]
    rows = []
    for s in scenes.scene_ids:
        road = Road.from_lane_table(scenes.lane_table(s))
        now = first[first["scene"] == s]
        ends = lane_ends(now, road)
        rows.append({"scene": s, "agents": len(now), "lanes": len(road.centres),
                     "density": len(now) / max(len(road.centres) * road.length / 1000, 1e-6),
                     "mean_speed": float(now["speed"].mean()) if len(now) else 0.0,
                     "lane_ends": ends, "queue_end": queue_end(ends)})
    return pd.DataFrame(rows)


def lane_ends(first_step: pd.DataFrame, road: Road) -> np.ndarray:
    """Per lane, where its queue ends at the first step: the rear of its last vehicle, as a share
    of the road length from the upstream end; NaN for an empty lane."""
    ends = np.full(len(road.centres), np.nan)
    if len(first_step):
        lane, _ = lane_of(first_step["y"].to_numpy(), road.centres)
        rear = (first_step["x"] - first_step["length"] / 2).to_numpy()
        for k in np.unique(lane):
            ends[k] = rear[lane == k].min() / road.length
    return ends


def queue_end(ends: np.ndarray) -> float:
    """The median of `lane_ends` over the occupied lanes (0 where there are none)."""
    occupied = ends[~np.isnan(ends)]
    return float(np.median(occupied)) if len(occupied) else 0.0


def lane_role(lane: int, lanes: int) -> str:
    return "first" if lane == 0 else "last" if lane == lanes - 1 else "middle"


def learn_lane_ends(conditions: pd.DataFrame) -> dict[str, list[float]]:
    """Per lane role, each training lane's end less its scene's `queue_end` (NaN: an empty lane),
    from `scene_conditions`."""
    offsets: dict[str, list[float]] = {}
    for ends, centre in zip(conditions["lane_ends"], conditions["queue_end"]):
        for k, end in enumerate(ends):
            offsets.setdefault(lane_role(k, len(ends)), []).append(float(end - centre))
    return offsets


def draw_lane_ends(queue_end: float, offsets: dict[str, list[float]], road: Road, rng: np.random.Generator
                   ) -> np.ndarray:
    """Where each lane's queue ends in a new scene, in metres from the upstream end (inf: the lane
    stays empty): around the template scene's `queue_end`, each lane off it by one of the training
    lanes' `offsets` of its role (first, middle, last; `learn_lane_ends`).

    Real scenes are sparser near their ends than in the middle (US-101: a tenth of the first step's
    vehicles in the upstream fifth, the last vehicle's rear a median 33 m in), and their queues end
    at much the same place in every lane. Laid out to the upstream end, synthetic scenes were a
    fifth denser than the regimes asked for. An insertion model taught to end queues itself ended
    them lane by lane, raggedly, and left lone vehicles upstream (4 % of agent-steps with nobody
    within 15 m, against 1 % real)."""
    everything = [o for pool in offsets.values() for o in pool]
    ends = []
    for k in range(len(road.centres)):
        pool = offsets.get(lane_role(k, len(road.centres))) or everything
        offset = pool[rng.integers(len(pool))] if pool else 0.0
        ends.append(np.inf if np.isnan(offset) else max(queue_end + offset, 0.0) * road.length)
    return np.array(ends)


class SceneGenerator(Generator):
    """A generator of traffic scenes: learns the roads and regimes of its training scenes and
    draws each requested scene on its own random stream, so scene i depends only on (seed, i)."""

    modality = "scene"
    takes_event_requests: ClassVar[bool] = False  # does `sample` honour `conditions[i]["events"]`?
    # Does `fit` keep `context_only` vehicles out of everything it learns about a vehicle's own
    # motion? Training data for a generator that does not is given without those vehicles at all.
    honours_context_only: ClassVar[bool] = False

    def _learn_context(self, data) -> SceneSet:
        scenes = check_scenes(data)
        learn_scene_context(self, scenes)
        return scenes

    def sample(self, n: int, *, seed: int, steps: int | None = None, conditions: list[dict] | None = None,
               length: int | None = None, progress=None) -> SceneSet:
        """`n` scenes of `steps` steps; `conditions[i]` may set `lanes`, `agents` (at the first
        step), `density` (vehicles/km/lane), `speed` (mean, m/s) and `events` (names).
        `progress(done, n, draws)` is called after each scene, with the draws it has taken so far
        (a scene asking for an event may take many)."""
        self._require_fitted()
        steps = int(steps or length or self.steps_)
        conditions = normalise_conditions(n, conditions)
        scenes, draws = [], 0
        for index, condition in enumerate(conditions):
            scenes.append(self._scene(condition, steps, np.random.default_rng([seed, index]),
                                      scene_template(index, len(self.roads_), seed)))
            draws += int(scenes[-1].scene_info["tries"].iloc[0])  # `_as_scene` records them
            if progress:
                progress(index + 1, len(conditions), draws)
        return concat(scenes)

    @abstractmethod
    def _scene(self, condition: dict, steps: int, rng: np.random.Generator, template: int) -> SceneSet:
        """One scene (id 0) for one condition, with its `scene_info` row, following the road and
        traffic regime of training scene number `template` where the condition leaves them open."""

    def _as_scene(self, tracks: pd.DataFrame, road: Road, condition: dict, found: list[str], tries: int,
                  density: float, mean_speed: float) -> SceneSet:
        info = pd.DataFrame([{"scene": 0, "requested_events": ",".join(condition.get("events", [])),
                              "detected_events": ",".join(found), "tries": tries, "density": density,
                              "mean_speed": mean_speed, "requested_agents": condition.get("agents")}])
        return SceneSet(tracks, road.lane_table(0), self.dt_, {}, scene_info=info)


def check_scenes(data) -> SceneSet:
    if not isinstance(data, SceneSet):
        raise InputDataError(f"scene generators fit a SceneSet, got {type(data).__name__}")
    if len(data) < 2:
        raise InputDataError(f"too little data: {len(data)} scene(s); need at least 2")
    numeric = data.tracks[["x", "y", "heading", "speed", "length", "width"]].to_numpy(float)
    if not np.isfinite(numeric).all():
        raise InputDataError("scene tracks have NaN or infinite values; clean them before fit")
    if not learned(data.tracks).any():
        raise InputDataError(f"every vehicle of the training scenes is marked {CONTEXT_ONLY}: nothing to learn from")
    return data


def normalise_conditions(n: int, conditions: list[dict] | None) -> list[dict]:
    if int(n) < 1:
        raise InputDataError(f"number of scenes must be at least 1, got {n}")
    conditions = [dict(c or {}) for c in (conditions or [{}] * n)]
    if len(conditions) != n:
        raise InputDataError(f"{len(conditions)} scene conditions given for {n} scenes; give one per scene")
    for condition in conditions:
        unknown = set(condition.get("events", [])) - set(EVENTS)
        if unknown:
            raise InputDataError(f"unknown event(s) {sorted(unknown)}; choose from {list(EVENTS)}")
        extra = set(condition) - {"lanes", "agents", "density", "speed", "events"}
        if extra:
            raise InputDataError(f"unknown scene condition(s) {sorted(extra)}; use lanes, agents, density, speed, events")
    return conditions
