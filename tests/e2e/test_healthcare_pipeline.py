"""End to end: real Prefect flow runs of the healthcare pipeline on the shared PneumoniaMNIST copy,
real torch training, a real catalog on disk.

The runs use a `smoke` profile (a tiny diffusion model trained for two epochs, lenient fidelity
and utility limits, the real privacy limits) so the plumbing is checked in under a minute; the
quick profile's figures come from `bench/healthcare_generators.py`.
"""
import json
import urllib.request

import numpy as np
import pandas as pd
import pytest

import generators
import synthpipe
from catalog import Catalog
from domains.healthcare import HealthcareDomain
from domains.healthcare.profiles import Thresholds
from flows.pipeline import pipeline
from generators.base import Generator
from generators.images import LabelledImages, check_images
from synthpipe import cli
from synthpipe.errors import InputDataError
from tests.domains.healthcare.conftest import PNEUMONIA_NPZ, write_png_folder
from validation.image_features import ClassifierConfig

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_harness")]

DATASET = "healthcare/pneumoniamnist"


@pytest.fixture(scope="module", autouse=True)
def smoke_profile():
    base = HealthcareDomain.profiles["quick"]
    smoke = base.with_overrides(
        name="smoke", per_class=60, classifier=ClassifierConfig(epochs=3),
        thresholds=Thresholds(frechet_factor=1e9, coverage_factor=0.0, utility_factor=0.0),
        generators={"ddpm": base.plan("ddpm").__class__({"widths": (8, 16, 16), "epochs": 2, "sample_steps": 8})})
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(HealthcareDomain.profiles, "smoke", smoke)
        patch.setenv("SYNTHPIPE_MEDMNIST_DIR", str(PNEUMONIA_NPZ.parent))
        yield


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    home = tmp_path_factory.mktemp("home")
    result = pipeline(domain="healthcare", profile="smoke", home=str(home))
    return {"home": home, "result": result}


def test_default_source_publishes_a_medmnist_style_version(published):
    assert published["result"] == {"status": "published", "dataset": DATASET, "version": "v1"}
    catalog = Catalog(published["home"])
    manifest = catalog.manifest(f"{DATASET}@v1")
    assert manifest["row_counts"] == {"images": 120, "class:normal": 60, "class:pneumonia": 60}
    assert manifest["schema"]["images"]["shape"] == [120, 28, 28, 1]
    assert {"pneumoniamnist.npz", "README.md", "plots/preview_normal.png", "plots/preview_pneumonia.png",
            "plots/nearest_neighbours.png", "plots/intensity_histogram.png",
            "privacy_nearest_training.csv"} <= set(manifest["files"])
    audit = pd.read_csv(catalog.path(DATASET) / "privacy_nearest_training.csv")
    assert len(audit) == 120 and audit["pixel_distance"].gt(0).all()
    share = {m["name"]: m["value"] for m in manifest["report"]["metrics"]}["memorization_share_pixel"]
    assert audit["closer_than_unseen_real"].mean() == pytest.approx(share)
    names = {m["name"] for m in manifest["report"]["metrics"]}
    assert {"classifier_auc", "frechet_distance", "coverage", "memorization_share_pixel",
            "memorization_share_encoder", "membership_inference_auc", "output_expectations_failed"} <= names
    catalog.verify(f"{DATASET}@v1")
    card = (catalog.path(DATASET) / "README.md").read_text()
    assert "Privacy record" in card and "plots/nearest_neighbours.png" in card


def test_load_gives_medmnist_arrays_and_a_torch_dataset(published):
    arrays = synthpipe.load(DATASET, home=published["home"])
    assert arrays["train_images"].shape[1:] == (28, 28) and arrays["train_images"].dtype == np.uint8
    assert arrays["train_labels"].shape[1] == 1
    assert sum(len(arrays[f"{s}_labels"]) for s in ("train", "val", "test")) == 120
    assert list(arrays["label_names"]) == ["normal", "pneumonia"]
    dataset = synthpipe.load(DATASET, home=published["home"], as_="torch")
    image, label = dataset[0]
    assert tuple(image.shape) == (1, 28, 28) and 0 <= float(image.min()) <= float(image.max()) <= 1
    assert label in (0, 1) and len(dataset) == len(arrays["train_labels"])


class CopyingImages(Generator):
    """Publishes training images as 'synthetic': the privacy gate's positive control."""

    name = "copy-training-images"
    modality = "image"

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "data_")

    def fit(self, data, progress=None):
        self.data_ = check_images(data)
        return self

    def sample(self, n=None, *, seed, length=None, labels=None):
        picks = [np.random.default_rng(seed + i).choice(np.flatnonzero(self.data_.labels == y)) for i, y in
                 enumerate(labels)]
        return LabelledImages(self.data_.images[picks], np.asarray(labels))

    def save(self, path):
        with open(path, "wb") as handle:
            np.savez(handle, images=self.data_.images, labels=self.data_.labels)

    @classmethod
    def load(cls, path):
        with np.load(path) as archive:
            return cls().fit(LabelledImages(archive["images"], archive["labels"]))


def test_publishing_training_images_fails_the_gate(published, monkeypatch):
    monkeypatch.setitem(generators.registry._REGISTERED, CopyingImages.name, CopyingImages)
    result = pipeline(domain="healthcare", profile="smoke", generator=CopyingImages.name,
                      home=str(published["home"]))
    assert result["status"] == "quarantined"
    assert {"memorization_share_pixel", "memorization_share_encoder"} <= set(result["failures"])
    assert Catalog(published["home"]).versions(DATASET) == ["v1"]


def test_bad_images_fail_the_run_and_publish_nothing(published, tmp_path):
    root = write_png_folder(tmp_path / "imgs")
    (root / "cat_b" / "2.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(InputDataError, match="cannot read image"):
        pipeline(domain="healthcare", profile="smoke", source=f"folder:{root}", home=str(published["home"]),
                 dataset=DATASET)
    assert Catalog(published["home"]).versions(DATASET) == ["v1"]
    assert cli.main(["run", "healthcare", "--profile", "smoke", "--source", f"folder:{root}",
                     "--catalog", str(published["home"])]) == cli.EXIT_USER_ERROR


def test_run_all_offline_skips_healthcare_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SYNTHPIPE_MEDMNIST_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    monkeypatch.setattr("domains.names", lambda: ["healthcare"])  # the other domains have their own tests
    assert cli.main(["run", "all", "--catalog", str(tmp_path / "home")]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "skipped healthcare" in out and "could not be downloaded" in out
    assert json.dumps(Catalog(tmp_path / "home").datasets()) == "[]"
