"""Train / val / test without leakage: the source's own split where it has one (MedMNIST),
else a stratified random split, or one by patient when images carry a PatientID (DICOM)."""
from __future__ import annotations

import numpy as np

from domains.base import Split, require
from domains.healthcare.imageset import ImageSet

SEED = 20_240_101  # the split is part of the data, not of a run: it never changes with --seed


def split_images(data: ImageSet, val_fraction: float, test_fraction: float) -> Split:
    splits = data.splits.copy()
    if (splits == "").all():
        splits = _assign(data, val_fraction, test_fraction)
        how = "by PatientID" if (data.groups != "").all() else "stratified by class"
        description = f"random {how}: "
    else:
        description = "the source's own splits"
        # A source with only train (and maybe test) gets val (and test) carved out of train.
        for name, fraction in (("test", test_fraction), ("val", val_fraction)):
            if not (splits == name).any():
                carve = _assign(data.subset(splits == "train"), *((fraction, 0.0) if name == "val" else (0.0, fraction)))
                train_idx = np.flatnonzero(splits == "train")
                splits[train_idx[carve != "train"]] = name
                description += f" (+{name} carved from train)"
        description += ": "
    tagged = ImageSet(data.images, data.labels, data.class_names, splits, data.groups)
    train, holdout = tagged.where_split("train"), tagged.subset(splits != "train")
    for name in ("val", "test"):
        require((splits == name).sum() >= 2, f"too few images for a {name} split; provide more images per class")
    require(len(np.unique(train.labels)) == len(data.class_names),
            "every class needs images in the training split; add images to the smallest class")
    counts = {name: int((splits == name).sum()) for name in ("train", "val", "test")}
    return Split(train, holdout, description + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _assign(data: ImageSet, val_fraction: float, test_fraction: float) -> np.ndarray:
    """Split tags for every image: per patient when every image has a group, else per class."""
    rng = np.random.default_rng(SEED)
    out = np.full(len(data), "train", dtype=object)
    if (data.groups != "").all():
        patients = rng.permutation(np.unique(data.groups))
        n_test, n_val = _sizes(len(patients), val_fraction, test_fraction)
        out[np.isin(data.groups, patients[:n_test])] = "test"
        out[np.isin(data.groups, patients[n_test : n_test + n_val])] = "val"
        return out.astype(str)
    for label in np.unique(data.labels):
        idx = rng.permutation(np.flatnonzero(data.labels == label))
        n_test, n_val = _sizes(len(idx), val_fraction, test_fraction)
        out[idx[:n_test]] = "test"
        out[idx[n_test : n_test + n_val]] = "val"
    return out.astype(str)


def _sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """At least one unit on each side asked for, when there are enough to spare."""
    n_test = max(int(test_fraction > 0), int(round(n * test_fraction)))
    n_val = max(int(val_fraction > 0), int(round(n * val_fraction)))
    return (n_test, n_val) if n_test + n_val < n else (0, 0)
