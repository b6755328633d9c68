"""Splits without leakage, the expectation suites, and whether the report can tell copies of
training images from fresh images of the same distribution."""
import dataclasses

import numpy as np
import pytest

from domains import get_domain
from domains.healthcare.evaluation import evaluate
from domains.healthcare.expectations import metadata, output_suite
from domains.healthcare.imageset import ImageSet
from domains.healthcare.splitting import split_images
from generators.images import LabelledImages
from validation.expectations import run_suite
from validation.image_features import ClassifierConfig

healthcare = get_domain("healthcare")


def test_medmnist_split_is_the_sources_own(pneumonia):
    split = healthcare.split(pneumonia, healthcare.profile("quick"))
    assert len(split.train) == 4708 and set(split.train.splits) == {"train"}
    assert len(split.holdout.where_split("val")) == 524 and len(split.holdout.where_split("test")) == 624


def test_a_source_without_splits_is_split_stratified_and_reproducibly(pneumonia):
    data = pneumonia.subset(np.arange(1000))
    unsplit = ImageSet(data.images, data.labels, data.class_names)
    first, second = split_images(unsplit, 0.1, 0.2), split_images(unsplit, 0.1, 0.2)
    assert np.array_equal(first.train.images, second.train.images)
    shares = [np.mean(part.labels) for part in (first.train, first.holdout.where_split("test"))]
    assert abs(shares[0] - shares[1]) < 0.03
    assert len(first.holdout.where_split("test")) == pytest.approx(200, abs=2)


def test_train_only_npz_gets_val_and_test_carved_from_train(pneumonia):
    data = pneumonia.where_split("train").subset(np.arange(500))
    split = split_images(data, 0.1, 0.2)
    assert "carved" in split.description
    assert len(split.train) + len(split.holdout) == 500 and len(split.holdout.where_split("val")) > 0


def test_input_suite_passes_on_real_images_and_output_suite_catches_blank_ones(pneumonia):
    assert healthcare.check_input(pneumonia)["success"]
    sample = pneumonia.subset(np.arange(40))
    requested = {0: int((sample.labels == 0).sum()), 1: int((sample.labels == 1).sum())}
    assert run_suite("ok", metadata(sample), output_suite(sample, requested))["success"]
    blank = sample.subset(np.arange(40))
    blank.images = blank.images.copy()
    blank.images[3] = 128
    failed = run_suite("blank", metadata(blank), output_suite(blank, requested))["failed"]
    assert [f["kwargs"]["column"] for f in failed] == ["std"]


@pytest.fixture(scope="module")
def small_split(pneumonia):
    """A reduced split so the report runs in seconds (1,200 train images, all val and test), and
    400 other train-split images the generator would never have seen."""
    split = healthcare.split(pneumonia, healthcare.profile("quick"))
    order = np.random.default_rng(0).permutation(len(split.train))
    unseen = split.train.subset(np.sort(order[1200:1600]))
    return dataclasses.replace(split, train=split.train.subset(np.sort(order[:1200]))), unseen


def _report(split, published: ImageSet):
    profile = healthcare.profile("quick").with_overrides(classifier=ClassifierConfig(epochs=8))
    return {m.name: m for m in evaluate(split, LabelledImages(published.images / 255.0, published.labels),
                                        published, profile, 0).metrics}


def test_copies_of_training_images_fail_privacy(small_split):
    split, _ = small_split
    metrics = _report(split, split.train.subset(np.arange(400)))
    assert metrics["memorization_share_pixel"].value > 0.95 and not metrics["memorization_share_pixel"].passed
    assert metrics["memorization_share_encoder"].value > 0.5 and not metrics["memorization_share_encoder"].passed


def test_unseen_real_images_pass_privacy_and_utility(small_split):
    """Real images the generator never saw stand in for a perfect generator."""
    split, unseen = small_split
    metrics = _report(split, unseen)
    assert metrics["memorization_share_pixel"].passed and metrics["memorization_share_encoder"].value < 0.1
    assert metrics["membership_inference_auc"].value < 0.6
    assert metrics["classifier_auc"].passed and metrics["classifier_auc"].value > 0.85
    assert metrics["output_expectations_failed"].value == 0


def test_larger_colour_images_go_through_report_and_publishing(pneumonia, tmp_path):
    """64x64 RGB (as MedMNIST+ sizes and user folders give): the report and the published files
    follow the data's size; the file is named as MedMNIST names its 64-pixel sets."""
    import torch

    from domains.healthcare import publishing
    from validation.report import Report

    picks = np.concatenate([np.flatnonzero(pneumonia.splits == s)[:n] for s, n in
                            (("train", 200), ("val", 60), ("test", 60))])
    small = pneumonia.subset(picks)
    big = torch.nn.functional.interpolate(torch.from_numpy(small.images).permute(0, 3, 1, 2).float(),
                                          size=(64, 64), mode="bilinear")
    rgb = big.repeat(1, 3, 1, 1).permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()
    data = ImageSet(rgb, small.labels, small.class_names, small.splits)
    split = healthcare.split(data, healthcare.profile("quick"))
    fake = split.holdout.where_split("test")
    profile = healthcare.profile("quick").with_overrides(classifier=ClassifierConfig(epochs=1))
    report = evaluate(split, LabelledImages(fake.images / 255.0, fake.labels), fake, profile, 0)
    assert {m.name for m in report.metrics} >= {"frechet_distance", "memorization_share_pixel"}
    context = {"dataset": "healthcare/pneumoniamnist", "seed": 0, "source": "npz:x", "source_fingerprint": "0" * 64,
               "split": split.description, "generator": "ddpm", "generator_params": {}, "profile": "quick",
               "code_version": "test", "flow_run_id": None}
    publishing.write(fake, split, Report(report.metrics), tmp_path, context)
    arrays = healthcare.read_published(tmp_path)
    assert (tmp_path / "pneumoniamnist_64.npz").is_file()
    assert arrays["train_images"].shape[1:] == (64, 64, 3)
    assert (tmp_path / "plots" / "preview_pneumonia.png").is_file()
