"""`traffic-mdn`: a learned multi-agent traffic-scene generator.

Three conditional mixture-density networks learned from real scenes:
* the *behaviour* model gives each vehicle's next acceleration and yaw rate from what it sees —
  its own motion, its lane position and its six neighbours (ahead and behind, in its lane and
  the two beside it) — and from the scene's traffic regime and the vehicle's requested role
  (`cut_in`, `hard_braking`; learned from the events the detector finds in the real scenes).
  Its own motion includes its mean acceleration over the last 1.5 s and 3 s (`trend_steps`).
  From the last 0.3 s alone, a model that learned that acceleration persists kept braking once
  it had started: on US-101 its closed-loop accelerations were correlated 0.45 over 1 s, real
  ones 0.23. With the trend it sees how long it has been braking (0.31-0.42);
* the *insertion* model gives the gap, speed, size and lane offset of a vehicle behind another in
  a lane, so it lays out the first step (its speeds then scaled to the regime's mean speed) and lets
  vehicles enter upstream as the scene runs;
* the *pace* model gives each vehicle, when it first appears, the mean speed it will keep over the
  scene (a driver's own desired speed, as in IDM's v0). The behaviour model is conditioned on it:
  without it, the model must treat the differences between drivers as noise, and drawing that
  noise afresh at every decision lets a vehicle's speed and lane position wander like a random walk.

Scenes are generated closed-loop: all vehicles act at once, each step is decoded through the
kinematic model (generators/traffic.py), so tracks are feasible by construction and every
vehicle reacts to what the others just did. Scenes that asked for an event are checked with the
event detector and re-drawn (up to `max_tries`) until it is there. A rare event can need many
draws: on the simulated default a hard-braking request took from 1 to more than 32.

The decoder bounds every control, but the validity check measures tracks after smoothing, and at
a track's end the smoothing extrapolates: one US-101 vehicle braking hard at 4 m/s while turning
at the decoder's curvature bound (0.2 1/m) ended with a smoothed speed of 2.9 m/s and so a
measured curvature of 0.32, over the 0.3 limit. A scene with a track the check would call
infeasible is re-drawn like one missing its event (1 of 1,339 tracks in that run).
"""
from __future__ import annotations

import io
from collections import defaultdict, deque
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from generators.events import detect
from generators.kinematics import derive, infeasible_tracks
from generators.road import HEADWAY_MAX, ROLES, SLOTS, Agents, Road, neighbours
from generators.scenes import SceneSet, learned
from generators.seeding import best_device, global_seed
from generators.traffic import (OPEN_ROAD_MARGIN, Opening, SceneGenerator, draw_lane_ends, draw_road, keep_mean_speed,
                                layout, normalise_conditions, rollout, scene_conditions)
from synthpipe.errors import InputDataError

ENTRY_ZONE = 15.0  # m; an agent first seen this close to the upstream end entered the road there
# Smoothing window (steps) of the tracks the policy learns from. Lighter than the metrics' 15: the
# generated tracks are smoothed again when measured, so a policy that learned from tracks smoothed
# as heavily would come out twice as smooth (half the real change of acceleration per 0.5 s).
# Even 7 costs jerk realism: the real US-101 holdout itself, re-expressed as speeds smoothed over 7
# steps and held every 0.3 s, scores a jerk distance 1.43x the real-vs-real one (1.19x at 5 steps;
# bench/driving_generators.py --representation). Learning from 5 steps did not help in closed loop
# (US-101 jerk 1.40x +- 0.10 quick, 1.58x +- 0.22 full over 5 seeds, against 1.41x and 1.53x at 7,
# all with the policy's best-likelihood epoch and full's 192-wide policy of the time) and cost the
# simulated default its yaw-rate realism (gate passed on 1 of 5 seeds, not 3).
LEARNING_SMOOTHING = 7


def policy_features(agents: Agents, seen: dict, regime: np.ndarray, pace: np.ndarray, trend: np.ndarray
                    ) -> np.ndarray:
    """What a vehicle decides on: own motion, its recent trend and pace, lane position, the six
    neighbours, role, regime."""
    lanes = seen["lanes"]
    columns = [agents.speed / 30, pace / 30, agents.prev_accel / 3, *(trend.T / 3), agents.prev_yaw * 10,
               agents.heading * 10, seen["offset"] / 2, (seen["lane"] < lanes - 1).astype(float),
               (seen["lane"] > 0).astype(float)]
    for slot in SLOTS:
        present = (seen[f"{slot}_index"] >= 0).astype(float)
        columns += [present, seen[f"{slot}_gap"] / 100, seen[f"{slot}_dv"] / 10]
    # Car following in the terms drivers keep to (IDM's): the time headway to the leader and the
    # rate at which the gap closes. With gap and speed differences alone, followers closed in on
    # their leaders in closed loop (highway-env, 12 epochs: the 5 % headway quantile fell from 1.1 s
    # in the first steps to 0.9 s; the simulated drivers' is 1.6 s).
    columns += [np.clip(seen["lead_gap"] / np.maximum(agents.speed, 1.0), 0.0, HEADWAY_MAX) / 3,
                np.clip(-seen["lead_dv"] / np.maximum(seen["lead_gap"], 1.0), -1.0, 1.0) * 5]
    features = np.column_stack(columns + [agents.roles, np.repeat(regime[None] / [50.0, 30.0], len(agents), 0)])
    return features.astype(np.float32)


def insertion_context(opening: Opening, road: Road, regime: np.ndarray) -> np.ndarray:
    """What the insertion model places a vehicle by: its lane and leader, the regime, where along
    the road, and whether the scene is being laid out or running."""
    lanes = len(road.centres)
    return np.array([opening.leader_speed is not None, (opening.leader_speed or 0.0) / 30, opening.lane == 0,
                     opening.lane == lanes - 1, regime[0] / 50, regime[1] / 30, opening.front / road.length,
                     opening.initial], dtype=np.float32)


INSERTION_INPUTS = 8  # see insertion_context
INSERTION_OUTPUTS = 5  # gap, speed, length, width, offset from the lane centre
PACE_INPUTS = 3  # speed when first seen, the regime's density and mean speed


def pace_context(speed: np.ndarray, regime: np.ndarray) -> np.ndarray:
    return np.column_stack([speed / 30, np.repeat(regime[None] / [50.0, 30.0], len(speed), 0)]).astype(np.float32)


def decode_pace(change: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """The pace model predicts the change from the speed a vehicle first shows, in m/s."""
    return np.clip(speed + change, 0.0, 40.0)


# m/s added to the speed an insertion gap is divided by: a vehicle queued at a standstill has a time gap too
TIME_GAP_SPEED_OFFSET = 1.0


def insertion_target(gap: float, speed: float, length: float, width: float, offset: float) -> np.ndarray:
    """The gap is learned as a time gap, log(gap / (speed + TIME_GAP_SPEED_OFFSET)): drivers keep
    their distance in time, and a mixture of diagonal Gaussians over log gap and speed could not
    tie the two together (it put fast vehicles at short gaps: on highway-env the first steps' 5 %
    headway quantile was 1.1 s, the simulated drivers' 1.6 s)."""
    time_gap = np.log(max(gap, 0.5) / (speed + TIME_GAP_SPEED_OFFSET))
    return np.array([time_gap, speed / 30, length / 5, width / 2, offset], dtype=np.float32)


def insertion_decode(values: np.ndarray, lane_width: float) -> tuple[float, float, float, float, float]:
    gap, speed, length, width, offset = values
    width = float(np.clip(width * 2, 1.4, 2.8))
    room = 0.4 * lane_width  # real vehicles keep their centre within about this of their lane's centre
    speed = float(np.clip(speed * 30, 0.0, 40.0))
    return (float(np.clip(np.exp(gap) * (speed + TIME_GAP_SPEED_OFFSET), 2.0, 150.0)), speed,
            float(np.clip(length * 5, 3.0, 15.0)), width, float(np.clip(offset, -room, room)))


class ConditionalMDN(nn.Module):
    """p(y | x) as a mixture of diagonal Gaussians, from a small MLP."""

    def __init__(self, n_in: int, n_out: int, hidden: int, components: int):
        super().__init__()
        self.n_out, self.components = n_out, components
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                  nn.Linear(hidden, components * (1 + 2 * n_out)))

    def _params(self, x):
        out = self.body(x)
        k, d = self.components, self.n_out
        logits, mean, log_std = out[:, :k], out[:, k : k + k * d], out[:, k + k * d :]
        return logits, mean.view(-1, k, d), log_std.view(-1, k, d).clamp(-6, 3)

    def log_likelihood(self, x, y):
        logits, mean, log_std = self._params(x)
        z = (y[:, None, :] - mean) / log_std.exp()
        per_component = -0.5 * (z**2).sum(-1) - log_std.sum(-1) - 0.5 * self.n_out * np.log(2 * np.pi)
        return torch.logsumexp(torch.log_softmax(logits, -1) + per_component, -1)

    @torch.no_grad()
    def sample(self, x, generator: torch.Generator, temperature: float = 1.0):
        logits, mean, log_std = self._params(x)
        component = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)
        rows = torch.arange(len(x))
        noise = torch.randn(mean[rows, component].shape, generator=generator)
        return mean[rows, component] + temperature * log_std[rows, component].exp() * noise


class TrafficMDN(SceneGenerator):
    """Learned multi-agent traffic scenes: behaviour, insertion and scene mixture-density networks."""

    name = "traffic-mdn"
    takes_event_requests = True
    honours_context_only = True

    def __init__(self, hidden: int = 128, components: int = 5, epochs: int = 15, batch_size: int = 512,
                 learning_rate: float = 2e-3, temperature: float = 1.0, max_tries: int = 64, decide_every: int = 3,
                 trend_steps: tuple[int, ...] = (15, 30), random_state: int = 0):
        self.hidden = hidden
        self.components = components
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.temperature = temperature
        self.max_tries = max_tries
        self.decide_every = decide_every
        self.trend_steps = tuple(trend_steps)
        self.random_state = random_state
        self.n_features_ = None

    # --- training ----------------------------------------------------------------------------

    def fit(self, data: SceneSet, progress=None) -> "TrafficMDN":
        scenes = self._learn_context(data)
        rows = training_rows(scenes, self.decide_every, self.trend_steps)
        self.entering_, self.event_examples_ = rows.entering, rows.event_examples
        self.n_features_ = rows.x.shape[1]
        self.x_mean_, self.x_std_ = rows.x.mean(0), rows.x.std(0) + 1e-3
        self.y_mean_, self.y_std_ = rows.y.mean(0), rows.y.std(0) + 1e-3
        self.ins_mean_, self.ins_std_ = rows.insertion_y.mean(0), rows.insertion_y.std(0) + 1e-3
        self.pace_mean_, self.pace_std_ = rows.pace_y.mean(0), rows.pace_y.std(0) + 1e-3
        with global_seed(self.random_state):
            self._build_networks()
            # Training runs on the GPU when there is one; the closed-loop rollout steps a few dozen
            # vehicles at a time, which the CPU does faster, so the networks come back after it.
            device = best_device()
            self.device_ = device
            for network in self._networks():
                network.to(device)
            # Every network keeps an epoch chosen on recordings it did not train on (EarlyStopped).
            # Past it, the policy learns the training drivers' manoeuvres by heart, and its
            # sharper, surer draws drive more smoothly in closed loop than real drivers do.
            rng = np.random.default_rng(self.random_state)
            policy = EarlyStopped(self.policy_, (rows.x - self.x_mean_) / self.x_std_,
                                  (rows.y - self.y_mean_) / self.y_std_,
                                  validation_rows(rows.policy_scene, scenes.recordings, rng), standard_errors=1.0)
            # The per-vehicle networks learn from far fewer rows than the per-step policy. They get
            # as many gradient steps per epoch as it does, or they stay underfitted in short runs.
            per_vehicle = [
                EarlyStopped(self.inserter_, rows.insertion_x, (rows.insertion_y - self.ins_mean_) / self.ins_std_,
                             validation_rows(rows.insertion_scene, scenes.recordings, rng)),
                EarlyStopped(self.pacer_, rows.pace_x, (rows.pace_y - self.pace_mean_) / self.pace_std_,
                             validation_rows(rows.pace_scene, scenes.recordings, rng))]
            self.training_rows_ = len(policy.train[0])  # the policy's rows per epoch (throughput figures)
            steps = int(np.ceil(self.training_rows_ / self.batch_size))
            for epoch in range(1, self.epochs + 1):
                loss = policy.epoch(self.batch_size, self.learning_rate, epoch)
                for network in per_vehicle:
                    network.epoch(min(self.batch_size, 128), self.learning_rate, epoch, steps)
                if progress:
                    progress(epoch, self.epochs, loss)
            self.chosen_epochs_ = {}  # per network, the epoch it kept
            for name, network in zip(self.NETWORKS, [policy, *per_vehicle]):
                self.chosen_epochs_[name.rstrip("_")] = network.chosen_epoch
                network.keep_best()
        for network in self._networks():
            network.cpu().eval()
        return self

    NETWORKS = ("policy_", "inserter_", "pacer_")

    def _build_networks(self) -> None:
        self.policy_ = ConditionalMDN(self.n_features_, 2, self.hidden, self.components)
        self.inserter_ = ConditionalMDN(INSERTION_INPUTS, INSERTION_OUTPUTS, self.hidden // 2, self.components)
        self.pacer_ = ConditionalMDN(PACE_INPUTS, 1, self.hidden // 2, self.components)

    def _networks(self) -> list[ConditionalMDN]:
        return [getattr(self, name) for name in self.NETWORKS]

    # --- sampling ----------------------------------------------------------------------------

    def sample(self, n: int, *, seed: int, steps: int | None = None, conditions: list[dict] | None = None,
               length: int | None = None, progress=None) -> SceneSet:
        self._require_fitted()
        conditions = normalise_conditions(n, conditions)
        for condition in conditions:
            unseen = [e for e in condition.get("events", []) if not self.event_examples_.get(e)]
            if unseen:
                raise InputDataError(f"traffic-mdn saw no {', '.join(unseen)} in its training scenes, so it cannot "
                                     f"generate one; it learned {self.event_examples_}")
        return super().sample(n, seed=seed, steps=steps, conditions=conditions, length=length, progress=progress)

    def _scene(self, condition: dict, steps: int, rng: np.random.Generator, template: int) -> SceneSet:
        torch_rng = torch.Generator().manual_seed(int(rng.integers(2**31)))
        wanted = list(condition.get("events", []))
        for attempt in range(1, self.max_tries + 1):
            road, regime = self._draw_road_and_regime(condition, template, rng)
            ends = draw_lane_ends(float(self.conditions_["queue_end"].iloc[template]), self.lane_ends_, road, rng)
            agents = self._layout(road, regime, ends, condition.get("agents"), rng, torch_rng)
            assign_roles(agents, road, wanted, rng)
            inserter = self._inserter(road, regime, torch_rng) if self.entering_ else None
            tracks = rollout(road, agents, steps, self.dt_, self._controller(regime, torch_rng), inserter, rng,
                             scene=0, decide_every=self.decide_every, envelope=self.envelope_)
            found = sorted(set(detect(tracks, self.dt_)["event"])) if wanted else []
            # measured only once the events are there: a draw without them is re-drawn anyway
            if (all(event in found for event in wanted) and not infeasible_tracks(derive(tracks, self.dt_)).any()) \
                    or attempt == self.max_tries:
                break
        return self._as_scene(tracks, road, condition, found, attempt, float(regime[0]), float(regime[1]))

    def _draw_road_and_regime(self, condition: dict, template: int, rng) -> tuple[Road, np.ndarray]:
        road = draw_road(self.roads_, condition.get("lanes"), rng, template)
        row = self.conditions_.iloc[template]
        density = condition.get("density") or float(row["density"]) * rng.uniform(0.9, 1.1)
        if condition.get("agents") and not condition.get("density"):
            density = condition["agents"] / (len(road.centres) * road.length / 1000)
        speed = condition.get("speed") or float(row["mean_speed"]) * rng.uniform(0.95, 1.05)
        return road, np.array([density, speed])

    def _layout(self, road: Road, regime: np.ndarray, ends: np.ndarray, agents: int | None, rng, torch_rng
                ) -> Agents:
        scale = 1.0
        for _ in range(6):  # with a requested count: denser, queues longer, until there are enough
            placed = layout(road, self._inserter(road, regime * [scale, 1.0], torch_rng), rng, max_agents=agents,
                            envelope=self.envelope_, ends=ends / scale)
            if agents is None or len(placed) >= agents:
                break
            scale *= 1.3
        return keep_mean_speed(placed, road, float(regime[1]), self.envelope_)

    def _inserter(self, road: Road, regime: np.ndarray, torch_rng):
        def insert(opening: Opening, rng) -> tuple[float, float, float, float, float]:
            context = torch.from_numpy(insertion_context(opening, road, regime)[None])
            draw = self.inserter_.sample(context, torch_rng, self.temperature).numpy()[0]
            return insertion_decode(draw * self.ins_std_ + self.ins_mean_, road.width)
        return insert

    def _controller(self, regime: np.ndarray, torch_rng):
        paces: dict[int, float] = {}  # per vehicle, drawn when it first appears
        # per vehicle, its speeds over the longest look-back of its trend
        speeds: dict[int, deque] = defaultdict(lambda: deque(maxlen=max(self.trend_steps, default=0) + 1))

        def control(agents: Agents, seen: dict, rng) -> tuple[np.ndarray, np.ndarray]:
            if not len(agents):
                return np.zeros(0), np.zeros(0)
            new = np.array([agent not in paces for agent in agents.ids])
            if new.any():
                context = torch.from_numpy(pace_context(agents.speed[new], regime))
                draw = self.pacer_.sample(context, torch_rng, self.temperature).numpy()[:, 0]
                paces.update(zip(agents.ids[new], decode_pace(draw * self.pace_std_[0] + self.pace_mean_[0],
                                                              agents.speed[new])))
            pace = np.array([paces[agent] for agent in agents.ids])
            for agent, speed in zip(agents.ids, agents.speed):
                speeds[agent].append(speed)
            trend = speed_trend(agents.speed, [speeds[agent] for agent in agents.ids], self.trend_steps, self.dt_)
            features = (policy_features(agents, seen, regime, pace, trend) - self.x_mean_) / self.x_std_
            draw = self.policy_.sample(torch.from_numpy(features.astype(np.float32)), torch_rng, self.temperature)
            controls = draw.numpy() * self.y_std_ + self.y_mean_
            return controls[:, 0], controls[:, 1]
        return control

    # --- persistence -------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        state = {k: v for k, v in self.__dict__.items() if k not in self.NETWORKS}
        state.update({name: getattr(self, name).state_dict() for name in self.NETWORKS})
        buffer = io.BytesIO()
        torch.save(state, buffer)
        Path(path).write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path | str) -> "TrafficMDN":
        try:
            state = torch.load(io.BytesIO(Path(path).read_bytes()), weights_only=False)
        except Exception as exc:
            raise InputDataError(f"cannot read generator file {path}: {exc}") from None
        weights = {name: state.pop(name) for name in cls.NETWORKS}
        model = cls()
        model.__dict__.update(state)  # hyper-parameters and learned state alike
        model._build_networks()
        for name, network in zip(cls.NETWORKS, model._networks()):
            network.load_state_dict(weights[name])
            network.eval()
        return model


VALIDATION_SHARE = 0.15  # of the per-vehicle rows, whole recordings where there are several


def validation_rows(row_scenes: np.ndarray, recordings: dict[int, str], rng: np.random.Generator) -> np.ndarray:
    """Mask of the rows set aside to choose the best epoch: whole recordings, drawn until they
    hold VALIDATION_SHARE of the rows, passing over any that would take the share past twice
    that (random rows when there is only one recording)."""
    names = np.array([recordings.get(int(s), str(s)) for s in row_scenes])
    unique = np.unique(names)
    if len(unique) < 2:
        return rng.random(len(names)) < VALIDATION_SHARE
    mask = np.zeros(len(names), dtype=bool)
    order = rng.permutation(unique)
    for name in order:
        if mask.mean() >= VALIDATION_SHARE:
            break
        candidate = mask | (names == name)
        if candidate.mean() <= 2 * VALIDATION_SHARE:
            mask = candidate
    if not mask.any():  # every recording alone is too large: the smallest, never all of them
        sizes = {name: int((names == name).sum()) for name in order}
        mask = names == min(sizes, key=sizes.get)
    return mask


class EarlyStopped:
    """A network trained on some rows that keeps the parameters of the earliest epoch whose
    likelihood on the others is within `standard_errors` standard errors of the best: the best
    epoch itself at 0, Breiman's one-standard-error rule at 1.

    The policy takes the rule. Past its epoch the validation likelihood barely moves, but the
    policy keeps growing surer of its own last acceleration, and in closed loop its vehicles
    settle into a calm no real driver keeps: on US-101 (`quick`, seed 0) the epoch of the very
    best likelihood (33 of 40) drove with a jerk distance 1.8x the real-vs-real one, the earliest
    within one standard error (21) 1.30x. The per-vehicle networks draw once per vehicle, nothing
    compounds, and they keep their best epoch: under the rule they stopped after one or two."""

    def __init__(self, model: ConditionalMDN, x: np.ndarray, y: np.ndarray, validation: np.ndarray,
                 standard_errors: float = 0.0):
        device = next(model.parameters()).device
        on_device = lambda a: torch.from_numpy(a.astype(np.float32)).to(device)  # noqa: E731 (once, not per epoch)
        self.model, self.standard_errors = model, standard_errors
        self.train = (on_device(x[~validation]), on_device(y[~validation]))
        self.validation = (on_device(x[validation]), on_device(y[validation]))
        self.states: list[dict] = []  # per epoch (a few hundred kB each at most)
        self.validation_losses: list[float] = []
        self.validation_errors: list[float] = []  # standard error of each epoch's validation loss

    def epoch(self, batch_size: int, lr: float, epoch: int, min_steps: int = 0) -> float:
        """One epoch of training; returns its training loss."""
        loss = _epoch(self.model, *self.train, batch_size, lr, epoch, min_steps)
        if not len(self.validation[0]):
            return loss
        self.model.eval()
        with torch.no_grad():
            per_row = -self.model.log_likelihood(*self.validation).double()
        self.validation_losses.append(float(per_row.mean()))
        self.validation_errors.append(float(per_row.std() / np.sqrt(len(per_row))) if len(per_row) > 1 else 0.0)
        self.states.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})
        return loss

    @property
    def chosen_epoch(self) -> int | None:
        """The epoch (from 1) keep_best restores."""
        if not self.validation_losses:
            return None
        losses = np.array(self.validation_losses)
        best = int(np.argmin(losses))
        limit = losses[best] + self.standard_errors * self.validation_errors[best]
        return int(np.flatnonzero(losses <= limit)[0]) + 1

    def keep_best(self) -> None:
        if self.chosen_epoch is not None:
            self.model.load_state_dict(self.states[self.chosen_epoch - 1])
        self.states = []


def _epoch(model: ConditionalMDN, xt: torch.Tensor, yt: torch.Tensor, batch_size: int, lr: float, epoch: int,
           min_steps: int = 0) -> float:
    """One pass over the rows, tensors on the model's device (more, until `min_steps` gradient
    steps); the mean loss of the last."""
    if not len(xt):
        return float("nan")
    if not hasattr(model, "optimizer_"):
        model.optimizer_ = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    steps = 0
    while True:
        # The order is drawn on the CPU (the same draws on every device); the loss is summed
        # where it is computed, so a GPU is not made to wait for the host after every step.
        order, total = torch.randperm(len(xt)).to(xt.device), torch.zeros((), dtype=torch.float64, device=xt.device)
        for start in range(0, len(xt), batch_size):
            idx = order[start : start + batch_size]
            loss = -model.log_likelihood(xt[idx], yt[idx]).mean()
            model.optimizer_.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            model.optimizer_.step()
            total += loss.detach().double() * len(idx)
            steps += 1
        if steps >= min_steps:
            return float(total) / len(xt)


def assign_roles(agents: Agents, road: Road, wanted: list[str], rng: np.random.Generator) -> None:
    """Ask one suitable vehicle for each wanted event: a cut-in from a vehicle with a lane beside
    it that has traffic just behind; hard braking from a vehicle with a follower, early enough on
    the road that it stays in view."""
    if not len(agents):
        return
    seen = neighbours(agents, road)
    visible = agents.x < 0.6 * road.length
    for event in wanted:
        if event == "cut_in":
            beside = ((seen["left_follow_index"] >= 0) & (seen["left_follow_gap"] < 30)) | \
                     ((seen["right_follow_index"] >= 0) & (seen["right_follow_gap"] < 30))
            candidates = np.flatnonzero(beside & visible) if (beside & visible).any() else np.flatnonzero(visible)
        else:
            with_follower = (seen["follow_index"] >= 0) & (seen["follow_gap"] < 30)
            candidates = np.flatnonzero(with_follower & visible) if (with_follower & visible).any() \
                else np.flatnonzero(visible)
        if len(candidates) == 0:
            candidates = np.arange(len(agents))
        agents.roles[rng.choice(candidates), ROLES.index(event)] = 1.0


class TrainingRows(NamedTuple):
    """What the three networks learn from, and what else fit keeps of the training scenes."""

    x: np.ndarray  # behaviour features
    y: np.ndarray  # mean acceleration and yaw rate over the next `horizon` steps
    insertion_x: np.ndarray
    insertion_y: np.ndarray  # gap, speed, size, offset of vehicles as they appear
    pace_x: np.ndarray
    pace_y: np.ndarray  # each vehicle's mean speed over the scene less its speed when first seen
    policy_scene: np.ndarray  # the scene of each behaviour row
    insertion_scene: np.ndarray  # the scene of each insertion row
    pace_scene: np.ndarray  # the scene of each pace row
    entering: bool  # do vehicles enter during a scene at all (in some sources all are there from the start)?
    event_examples: dict[str, int]  # examples of each role the scenes show


def mean_acceleration(speed: np.ndarray, past: np.ndarray, steps: tuple[int, ...], dt: float) -> np.ndarray:
    """Per vehicle and look-back k in `steps`: (speed now - `past[:, j]`, its speed k steps ago) /
    (k dt); 0 where that past speed is unknown (NaN: not seen that long). Training rows and the
    rollout both go through here, so the policy reads its trend alike in both."""
    return np.nan_to_num((speed[:, None] - past) / (np.asarray(steps, dtype=float) * dt))


def speed_trend(speed: np.ndarray, history: list, steps: tuple[int, ...], dt: float) -> np.ndarray:
    """`mean_acceleration` of vehicles in a rollout, from each one's speeds so far (oldest first)."""
    past = np.array([[h[-1 - k] if len(h) > k else np.nan for k in steps] for h in history], dtype=float)
    return mean_acceleration(speed, past.reshape(len(speed), len(steps)), steps, dt)


def insertion_rows(agents: Agents, lane: np.ndarray, offset: np.ndarray, road: Road, regime: np.ndarray,
                   entering: np.ndarray, initial: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """The insertion model's (context, target) rows of one step: one per `entering` vehicle, placed
    behind the nearest vehicle ahead in its lane however far ahead that is (the downstream end
    plus `OPEN_ROAD_MARGIN` without one), as `layout` and the rollout place them."""
    rear, nose = agents.x - agents.length / 2, agents.x + agents.length / 2
    rows = []
    for k in range(len(road.centres)):
        in_lane = np.flatnonzero(lane == k)
        in_lane = in_lane[np.argsort(-agents.x[in_lane])]  # downstream first
        for position, i in enumerate(in_lane):
            if not entering[i]:
                continue
            lead = in_lane[position - 1] if position else None
            front = rear[lead] if lead is not None else road.length + OPEN_ROAD_MARGIN
            opening = Opening(k, float(agents.speed[lead]) if lead is not None else None, float(front), initial)
            rows.append((insertion_context(opening, road, regime),
                         insertion_target(front - nose[i], agents.speed[i], agents.length[i], agents.width[i],
                                          offset[i])))
    return rows


def training_rows(scenes: SceneSet, horizon: int, trend_steps: tuple[int, ...] = ()) -> TrainingRows:
    """The networks' training rows, from the smoothed real scenes. A `context_only` vehicle is a
    neighbour in others' rows but never has rows of its own."""
    derived = derive(scenes.tracks, scenes.dt, LEARNING_SMOOTHING)
    smooth = scenes.tracks.assign(x=derived["sx"].to_numpy(), y=derived["sy"].to_numpy(),
                                  speed=derived["speed_s"].to_numpy(), heading=derived["heading_s"].to_numpy(),
                                  learned=learned(scenes.tracks))
    events = detect(scenes.tracks, scenes.dt)  # roles as the metrics see them: default smoothing
    conditions = scene_conditions(scenes).set_index("scene")
    pace = smooth.groupby(["scene", "agent"])["speed"].mean()
    x_rows, y_rows, ins_x, ins_y, pace_x, pace_y, x_scene, ins_scene, pace_scene = ([] for _ in range(9))
    dt = scenes.dt
    for scene, rows in smooth.groupby("scene"):
        road = Road.from_lane_table(scenes.lane_table(scene))
        regime = conditions.loc[scene, ["density", "mean_speed"]].to_numpy(float)
        roles = {(a, e): 1.0 for a, e in events.loc[events["scene"] == scene, ["agent", "event"]].itertuples(index=False)}
        by_step = {s: part.set_index("agent") for s, part in rows.groupby("step")}
        first_seen = rows.groupby("agent")["step"].min()
        scene_pace = pace.loc[scene]
        first_speed = rows[rows["learned"]].sort_values("step").groupby("agent")["speed"].first()
        pace_x.append(pace_context(first_speed.to_numpy(float), regime))
        pace_scene.append(np.full(len(first_speed), scene))
        pace_y.append((scene_pace.reindex(first_speed.index) - first_speed).to_numpy(float)[:, None])
        for step, now in by_step.items():
            nxt, prev = by_step.get(step + horizon), by_step.get(step - horizon)
            ids, own = now.index.to_numpy(), now["learned"].to_numpy()
            role_flags = np.array([[roles.get((a, r), 0.0) for r in ROLES] for a in ids]).reshape(len(ids), len(ROLES))
            prev_speed = prev["speed"].reindex(ids).to_numpy() if prev is not None else np.full(len(ids), np.nan)
            prev_heading = prev["heading"].reindex(ids).to_numpy() if prev is not None else np.full(len(ids), np.nan)
            agents = Agents(ids, now["x"].to_numpy(), now["y"].to_numpy(), now["heading"].to_numpy(),
                            now["speed"].to_numpy(), now["length"].to_numpy(), now["width"].to_numpy(), role_flags,
                            np.nan_to_num((now["speed"].to_numpy() - prev_speed) / (horizon * dt)),
                            np.nan_to_num((now["heading"].to_numpy() - prev_heading) / (horizon * dt)))
            seen = neighbours(agents, road)
            past = np.full((len(ids), len(trend_steps)), np.nan)  # unknown before the scene or the vehicle
            for j, k in enumerate(trend_steps):
                if step - k in by_step:
                    past[:, j] = by_step[step - k]["speed"].reindex(ids).to_numpy()
            trend = mean_acceleration(agents.speed, past, trend_steps, dt)
            if nxt is not None:
                has_next = np.isin(ids, nxt.index) & own
                if has_next.any():
                    agent_pace = scene_pace.reindex(ids).to_numpy(float)
                    features = policy_features(agents, seen, regime, agent_pace, trend)[has_next]
                    later = nxt.loc[ids[has_next]]
                    accel = (later["speed"].to_numpy() - agents.speed[has_next]) / (horizon * dt)
                    yaw = np.angle(np.exp(1j * (later["heading"].to_numpy() - agents.heading[has_next]))) / (horizon * dt)
                    x_rows.append(features)
                    y_rows.append(np.column_stack([accel, yaw]))
                    x_scene.append(np.full(len(accel), scene))
            entering = (first_seen.reindex(ids).to_numpy() == step) & ((step == 0) | (agents.x < ENTRY_ZONE)) & own
            for context, target in insertion_rows(agents, seen["lane"], seen["offset"], road, regime, entering,
                                                  initial=step == 0):
                ins_x.append(context)
                ins_y.append(target)
                ins_scene.append(scene)
    first_steps = smooth.groupby(["scene", "agent"])["step"].min()
    if not x_rows or len(ins_x) < 10:
        raise InputDataError("too little motion in the scenes to learn from; give longer or busier scenes")
    stack = lambda parts: np.vstack(parts).astype(np.float32)  # noqa: E731
    return TrainingRows(stack(x_rows), stack(y_rows), stack(ins_x), stack(ins_y), stack(pace_x), stack(pace_y),
                        np.concatenate(x_scene).astype(int), np.asarray(ins_scene, dtype=int),
                        np.concatenate(pace_scene).astype(int),
                        bool((first_steps > 0).mean() > 0.01), {e: int((events["event"] == e).sum()) for e in ROLES})
