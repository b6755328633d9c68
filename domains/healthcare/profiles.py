"""Typed configuration of the healthcare pipeline: a CPU-sized `quick` profile and a `full` one."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from domains.finance.profiles import GeneratorPlan
from validation.image_features import ClassifierConfig


@dataclass(frozen=True)
class Thresholds:
    """Gate limits: fidelity and utility relative to the real-vs-real baseline, privacy absolute."""

    frechet_factor: float = 1.5  # synthetic-vs-test distance at most this times train-vs-test
    coverage_factor: float = 0.8  # coverage at least this times train-vs-test coverage
    utility_factor: float = 0.9  # synthetic-trained AUC at least this times the real-trained AUC
    memorization_rate: float = 0.05  # the calibration's false-positive rate (95th-percentile similarity)
    # An ideal generator's share is the rate give or take chance (finite synthetic and holdout
    # samples); the limit adds this many standard errors, so an honest model fails ~1 % of runs.
    memorization_z: float = 2.33
    membership_auc_max: float = 0.55


@dataclass(frozen=True)
class HealthcareProfile:
    name: str
    per_class: int = 500  # synthetic images per class (the user's `--n`)
    val_fraction: float = 0.1  # for sources without their own val/test splits
    test_fraction: float = 0.2
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    max_privacy_queries: int = 1000  # real images per side of the membership attack
    generators: dict[str, GeneratorPlan] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def plan(self, generator: str) -> GeneratorPlan:
        return self.generators.get(generator, GeneratorPlan())

    def with_overrides(self, **overrides) -> "HealthcareProfile":
        return replace(self, **overrides)


PROFILES = {
    "quick": HealthcareProfile(
        name="quick",
        generators={
            "ddpm": GeneratorPlan({"widths": (16, 32, 32), "epochs": 15, "batch_size": 64}),
            "cvae": GeneratorPlan({"epochs": 20}),
        },
    ),
    "full": HealthcareProfile(
        name="full",
        per_class=1000,
        classifier=ClassifierConfig(widths=(32, 64, 128), epochs=20),
        generators={
            # 20 epochs: on an H200, 10, 20 and 60 epochs all reached the fidelity and utility
            # targets (bench/BENCHMARKS.md, healthcare-gpu), and on 2 CPU cores 20 epochs (about
            # 5 minutes) gave a lower Fréchet ratio and higher coverage than 60 did (healthcare).
            # No classifier-free guidance (1.0): this model draws each class faithfully without it,
            # and guidance pulled samples towards typical training images. One fit (seed 0) sampled
            # both ways: with guidance 1.5, 5.5 % of the images were nearer a training image
            # (encoder space) than unseen images are, Fréchet ratio 0.66, coverage 0.87 of the
            # baseline, utility AUC 0.952; without, 1.9 %, 0.12, 0.94 and 0.948, in a third of the
            # sampling time.
            "ddpm": GeneratorPlan({"widths": (32, 64, 64), "epochs": 20, "batch_size": 64,
                                   "ema_decay": 0.999, "sample_steps": 30, "guidance": 1.0}),
            "cvae": GeneratorPlan({"epochs": 60, "latent_dim": 64, "width": 64}),
        },
    ),
}
