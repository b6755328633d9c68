"""The healthcare report: fidelity in a real-trained encoder's space, classifier utility on the
real test split, memorization and membership inference, and the output suite.

Which real images play which part:
* train — what the generator saw; the encoder and the reference classifier learn from it;
* test — the fidelity and utility reference (real train vs real test is every baseline);
* val — real images the generator never saw, drawn like train: the privacy calibration.
"""
from __future__ import annotations

import numpy as np

from domains.base import Split
from domains.healthcare.expectations import metadata, output_suite, requested_counts
from domains.healthcare.imageset import ImageSet
from domains.healthcare.profiles import HealthcareProfile
from generators.images import LabelledImages
from validation.expectations import run_suite
from validation.feature_fidelity import frechet_distance, histogram_distance, prdc
from validation.image_features import ImageClassifier, auc_and_accuracy, prepare
from validation.privacy import membership_auc, memorization, memorization_limit
from validation.report import Metric, Report

PRIVACY_MAX_SIDE = 64  # pixel-space privacy checks compare images downsampled to at most this


def privacy_pixels(images: np.ndarray) -> np.ndarray:
    """Flattened pixels at a bounded size: memory stays small for 256x256 images, and a copied
    image stays a copy."""
    return prepare(images, PRIVACY_MAX_SIDE).flatten(1).numpy().astype(np.float64)


def _at_proportions(label_sets: list[np.ndarray], reference: np.ndarray, n: int,
                    rng: np.random.Generator) -> list[np.ndarray]:
    """For each label array, indices of one common number (at most `n`) of items whose class
    shares match those of `reference`."""
    classes = np.unique(reference)
    shares = np.array([(reference == c).mean() for c in classes])
    total = n
    for labels in label_sets:  # the largest total the scarcest class (relative to its share) allows
        available = np.array([(labels == c).sum() for c in classes])
        total = min(total, int(np.floor(np.min(available / shares))))
    return [np.concatenate([rng.choice(np.flatnonzero(labels == c), int(round(total * share)), replace=False)
                            for c, share in zip(classes, shares)]) for labels in label_sets]


def evaluate(split: Split, synthetic: LabelledImages, published: ImageSet, profile: HealthcareProfile,
             seed: int) -> Report:
    t = profile.thresholds
    rng = np.random.default_rng(seed)
    train, holdout = split.train, split.holdout
    val, test = holdout.where_split("val"), holdout.where_split("test")
    tr, te, va, sy = train.as_float(), test.as_float(), val.as_float(), published.as_float()
    k = len(train.class_names)
    report = Report()

    # Utility, and the encoder: both come from classifiers that see no test or val image.
    real_clf = ImageClassifier(profile.classifier, seed).fit(tr.images, tr.labels, k)
    syn_clf = ImageClassifier(profile.classifier, seed).fit(sy.images, sy.labels, k)
    real_auc, real_acc = auc_and_accuracy(real_clf.predict_proba(te.images), te.labels)
    syn_auc, syn_acc = auc_and_accuracy(syn_clf.predict_proba(te.images), te.labels)
    report.add(Metric("classifier_auc", syn_auc, "utility", ">=", t.utility_factor * real_auc, real_auc,
                      "ROC AUC on the real test split of a CNN trained only on synthetic images "
                      "(baseline: the same CNN trained on the real train split)"))
    report.add(Metric("classifier_accuracy", syn_acc, "utility", baseline=real_acc,
                      description="accuracy of the synthetic-trained CNN on the real test split"))

    # Fidelity: synthetic vs test beside train vs test, at equal sample sizes and at the test
    # split's class proportions. The class mix of synthetic data is the user's choice (`--n` per
    # class), and a Fréchet distance between different mixtures measures the mix, not the images.
    f_syn, f_train_all, f_test = real_clf.embed(sy.images), real_clf.embed(tr.images), real_clf.embed(te.images)
    n = min(len(sy.images), len(tr.images))
    syn_idx, train_idx = _at_proportions([sy.labels, tr.labels], te.labels, n, rng)
    f_syn_n, f_train_n = f_syn[syn_idx], f_train_all[train_idx]
    fd, fd_base = frechet_distance(f_syn_n, f_test), frechet_distance(f_train_n, f_test)
    report.add(Metric("frechet_distance", fd, "fidelity", "<=", t.frechet_factor * fd_base, fd_base,
                      "Fréchet distance to the real test split in the real-trained encoder's feature space, "
                      "both sides drawn at the test split's class proportions"))
    as_requested = rng.choice(len(f_syn), n, replace=False)
    report.add(Metric("frechet_distance_as_requested", frechet_distance(f_syn[as_requested], f_test), "fidelity",
                      baseline=frechet_distance(f_train_all[rng.choice(len(f_train_all), n, replace=False)], f_test),
                      description="the same at the requested and the training class proportions (informational)"))
    syn_prdc, base_prdc = prdc(f_test, f_syn_n), prdc(f_test, f_train_n)
    for name in ("precision", "recall", "density"):
        report.add(Metric(name, syn_prdc[name], "fidelity", baseline=base_prdc[name],
                          description=f"{name} (Naeem et al., 2020; k=5) against the real test split"))
    report.add(Metric("coverage", syn_prdc["coverage"], "fidelity", ">=", t.coverage_factor * base_prdc["coverage"],
                      base_prdc["coverage"], "share of real test images with a synthetic image inside their 5-NN ball"))
    for index, name in enumerate(train.class_names):
        s, b, q = f_syn[sy.labels == index], f_train_all[tr.labels == index], f_test[te.labels == index]
        if min(len(s), len(b), len(q)) < 10:
            continue
        m = min(len(s), len(b))
        report.add(Metric(f"frechet_distance[{name}]", frechet_distance(s[:m], q), "fidelity",
                          baseline=frechet_distance(b[rng.choice(len(b), m, replace=False)], q),
                          description=f"Fréchet distance within class {name!r}"))
    report.add(Metric("pixel_histogram_js", histogram_distance(sy.images[syn_idx], te.images), "fidelity",
                      baseline=histogram_distance(tr.images[train_idx], te.images),
                      description="Jensen-Shannon distance of pixel-intensity histograms to the real test split"))

    # Privacy: closeness to training images, calibrated on val (unseen, drawn like train).
    px_train, px_val, px_syn = privacy_pixels(tr.images), privacy_pixels(va.images), privacy_pixels(sy.images)
    for space, (s, r, h) in {"pixel": (px_syn, px_train, px_val),
                             "encoder": (f_syn, f_train_all, real_clf.embed(va.images))}.items():
        result = memorization(s, r, h, t.memorization_rate)
        report.add(Metric(f"memorization_share_{space}", result["share"], "privacy", "<=",
                          memorization_limit(t.memorization_rate, t.memorization_z, len(s), len(h)), None,
                          f"share of synthetic images nearer a training image ({space} space) than the "
                          f"95th-percentile similarity of unseen real images ({result['threshold']:.4g}); "
                          f"{t.memorization_rate:.0%} expected by chance"))
    queries = min(profile.max_privacy_queries, len(px_val))
    members = rng.choice(len(px_train), min(len(px_train), 4 * queries), replace=False)
    mia = membership_auc(px_syn, px_train[members], px_val[rng.choice(len(px_val), queries, replace=False)],
                         seed=seed, member_times=np.arange(len(members)),
                         non_member_times=np.arange(queries) + len(members) + 1, min_gap=1)
    report.add(Metric("membership_inference_auc", mia, "privacy", "<=", t.membership_auc_max, None,
                      "AUC of a calibrated distance attack telling train from unseen images (0.5 ideal): "
                      "distance to the nearest synthetic image over distance to the nearest other train image"))

    suite = run_suite("healthcare.output", metadata(published),
                      output_suite(published, requested_counts(synthetic.labels, k)))
    report.add(Metric("output_expectations_failed", float(len(suite["failed"])), "expectations", "<=", 0.0, None,
                      f"failed expectations of {suite['evaluated']} in the published-images suite"))
    return report
