"""The healthcare domain's record: a labelled set of 8-bit images, as MedMNIST stores them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from generators.images import LabelledImages


@dataclass
class ImageSet:
    """Images `(n, h, w, c)` uint8 with labels `(n,)`, class names, and per image the source's
    split (`train`/`val`/`test`, or empty) and group (e.g. a DICOM PatientID, or empty)."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    splits: np.ndarray = field(default=None)  # type: ignore[assignment]
    groups: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = len(self.images)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.class_names = tuple(self.class_names)
        self.splits = np.asarray(self.splits if self.splits is not None else [""] * n, dtype=str)
        self.groups = np.asarray(self.groups if self.groups is not None else [""] * n, dtype=str)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.images.shape[1:])  # type: ignore[return-value]

    def subset(self, mask_or_index) -> "ImageSet":
        return ImageSet(self.images[mask_or_index], self.labels[mask_or_index], self.class_names,
                        self.splits[mask_or_index], self.groups[mask_or_index])

    def where_split(self, name: str) -> "ImageSet":
        return self.subset(self.splits == name)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    def as_float(self) -> LabelledImages:
        """What image generators and metrics work on: floats in [0, 1]."""
        return LabelledImages(self.images.astype(np.float32) / 255.0, self.labels)

    @classmethod
    def from_float(cls, data: LabelledImages, class_names: tuple[str, ...]) -> "ImageSet":
        images = np.round(np.clip(data.images, 0, 1) * 255).astype(np.uint8)
        return cls(images, data.labels, class_names)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.images, self.labels, np.array(self.class_names), self.splits, self.groups):
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(str(self.images.shape).encode())
        return digest.hexdigest()
