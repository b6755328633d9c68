"""The healthcare domain: labelled medical images (MedMNIST, folders, DICOM) and a
class-conditional image generator."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from domains.base import Domain, SourceSpec, Split, require
from domains.healthcare import publishing
from domains.healthcare.evaluation import evaluate
from domains.healthcare.expectations import input_suite, metadata
from domains.healthcare.imageset import ImageSet
from domains.healthcare.profiles import PROFILES, HealthcareProfile
from domains.healthcare.sources import load_source
from domains.healthcare.splitting import split_images
from generators.images import LabelledImages
from synthpipe.errors import InputDataError
from validation.expectations import describe_failures, run_suite
from validation.report import Report


class HealthcareDomain(Domain):
    name = "healthcare"
    source_kinds = ("medmnist", "npz", "folder", "dicom")
    default_source = "medmnist:pneumoniamnist"
    default_generator = "ddpm"
    profiles = PROFILES
    default_schedule = "0 2 * * 0"  # weekly: imaging archives change slowly

    def default_dataset_name(self, source: SourceSpec) -> str:
        if source.kind == "medmnist":
            return f"healthcare/{(source.location or 'pneumoniamnist').lower()}"
        return super().default_dataset_name(source)

    def load(self, source: SourceSpec, home: Path | None = None) -> ImageSet:
        return load_source(source, home)

    def describe(self, data: ImageSet) -> str:
        h, w, c = data.shape
        return f"{len(data)} images of {h}x{w}x{c}, classes {data.class_counts()}"

    def fingerprint(self, data: ImageSet) -> str:
        return data.fingerprint()

    def check_input(self, data: ImageSet) -> dict:
        summary = run_suite("healthcare.input", metadata(data), input_suite(data))
        if not summary["success"]:
            raise InputDataError(f"real images failed their expectation suite: {describe_failures(summary)}")
        return summary

    def split(self, data: ImageSet, profile: HealthcareProfile) -> Split:
        return split_images(data, profile.val_fraction, profile.test_fraction)

    def training_data(self, train: ImageSet, profile: HealthcareProfile, generator: str) -> LabelledImages:
        return train.as_float()

    def sample_request(self, profile: HealthcareProfile, train: ImageSet, n: int | None,
                       generator: str | None = None) -> dict:
        """`n` (or the profile's `per_class`) images of every class, class by class."""
        per_class = profile.per_class if n is None else n
        require(per_class >= 1, f"images per class must be at least 1, got {per_class}")
        return {"labels": np.repeat(np.arange(len(train.class_names)), per_class)}

    def decode(self, synthetic: LabelledImages, train: ImageSet, seed: int) -> ImageSet:
        return ImageSet.from_float(synthetic, train.class_names)

    def evaluate(self, split: Split, synthetic: LabelledImages, published: ImageSet, profile: HealthcareProfile,
                 seed: int, regime: str | None = None) -> Report:
        if regime:
            self.parse_regime(regime)  # refuses: healthcare has no regimes
        return evaluate(split, synthetic, published, profile, seed)

    def write_published(self, published: ImageSet, synthetic: Any, split: Split, report: Report, folder: Path,
                        context: dict, profile: HealthcareProfile) -> None:
        publishing.write(published, split, report, folder, context)

    def schema(self, published: ImageSet) -> dict:
        return publishing.schema(published)

    def counts(self, published: ImageSet, synthetic: Any) -> dict:
        return {"images": len(published), **{f"class:{k}": v for k, v in published.class_counts().items()}}

    def read_published(self, folder: Path, as_: str | None = None) -> Any:
        """`as_=None`/"arrays": the MedMNIST-style dict of arrays; "torch": a torch Dataset."""
        files = sorted(folder.glob("*.npz"))
        require(len(files) == 1, f"{folder} should hold one .npz file, found {len(files)}")
        arrays = publishing.read_npz(files[0])
        if as_ in (None, "arrays"):
            return arrays
        if as_ == "torch":
            from domains.healthcare.torch_dataset import SyntheticImages

            return SyntheticImages(arrays)
        raise InputDataError(f"healthcare datasets load as 'arrays' or 'torch', not {as_!r}")
