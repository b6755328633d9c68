"""Typed configuration of the driving pipeline: a CPU-sized `quick` profile and a `full` one."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from domains.finance.profiles import GeneratorPlan


@dataclass(frozen=True)
class Thresholds:
    """Gate limits. Realism is relative to the real-train-vs-real-holdout baseline with a floor
    (a distance measured on a few thousand correlated agent-steps has a noise level of its own);
    validity is relative to the real holdout; privacy is absolute."""

    realism_factor: float = 1.5  # each distance at most this times its real-vs-real baseline
    realism_floor: float = 0.05  # ...but never a limit stricter than this (Jensen-Shannon distance)
    # Real recordings are not perfectly clean (annotation boxes touch); synthetic scenes may show
    # the holdout's rate plus this many percentage points of agents before the gate fails.
    validity_slack: float = 0.005
    max_infeasible_share: float = 0.0  # kinematically infeasible tracks: none
    event_hit_rate: float = 0.95  # scenes that asked for an event and show it
    utility_factor: float = 1.15  # synthetic-trained minADE at most this times the real-trained one
    memorization_rate: float = 0.05  # calibration false-positive rate (5th-percentile ADE)
    memorization_z: float = 2.33  # standard errors of chance allowed on top (see healthcare)
    membership_auc_max: float = 0.55


@dataclass(frozen=True)
class PredictorConfig:
    """The small K-mode motion predictor of the utility check."""

    history: int = 10  # steps seen (1 s at 10 Hz)
    horizon: int = 30  # steps predicted (3 s)
    modes: int = 6
    hidden: int = 128
    epochs: int = 40
    # Share of the loss spread over the modes that did not win (relaxed winner-takes-all): keeps
    # every mode learning, which makes one training's minADE far less a matter of its seed.
    wta_relaxation: float = 0.05
    max_samples: int = 20_000  # training samples per side (synthetic / real), equal on both
    seeds: int = 3  # trainings per side, each with its own seed; the check compares their mean minADE


@dataclass(frozen=True)
class DrivingProfile:
    name: str
    steps: int = 80  # scene length (8 s at 10 Hz)
    stride: int = 20  # steps between the starts of consecutive scenes of one recording
    min_agent_steps: int = 10  # an agent joins a scene when seen at least this long
    holdout_fraction: float = 0.25
    # Share of each training recording's vehicles kept out of what generators learn (they stay in
    # the scenes as traffic): the non-members of the membership attack (see privacy.py).
    control_fraction: float = 0.25
    n_scenes: int = 40  # synthetic scenes (the user's `--n`)
    # Share of the synthetic scenes that request each safety-critical event (generators that
    # take event requests only); a scene asks for at most one event.
    event_shares: dict[str, float] = field(default_factory=lambda: {"cut_in": 0.2, "hard_braking": 0.1})
    max_eval_tracks: int = 3000  # tracks per side in the privacy checks
    predictor: PredictorConfig = field(default_factory=PredictorConfig)
    previews: int = 24  # scenes with a bird's-eye-view picture
    animations: int = 3  # scenes with a GIF
    generators: dict[str, GeneratorPlan] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def plan(self, generator: str) -> GeneratorPlan:
        return self.generators.get(generator, GeneratorPlan())

    def with_overrides(self, **overrides) -> "DrivingProfile":
        return replace(self, **overrides)


PROFILES = {
    "quick": DrivingProfile(
        name="quick",
        # The networks keep an epoch chosen on held-back recordings (traffic_mdn.EarlyStopped), so
        # a longer run only widens the choice. The simulated default needs the room: after 12
        # epochs its accelerations were still broader than the simulated drivers'.
        generators={"traffic-mdn": GeneratorPlan({"epochs": 40}), "sdv-idm": GeneratorPlan({})},
    ),
    "full": DrivingProfile(
        name="full",
        stride=10,
        n_scenes=200,
        max_eval_tracks=8000,
        predictor=PredictorConfig(epochs=80, max_samples=60_000),
        previews=60,
        animations=6,
        # The policy keeps quick's width: trained on full's scenes, a 192-wide one drove US-101
        # (seed 0) with a jerk distance 1.93x the real-vs-real one, a 128-wide one 1.19x.
        generators={"traffic-mdn": GeneratorPlan({"epochs": 40}), "sdv-idm": GeneratorPlan({})},
    ),
}
