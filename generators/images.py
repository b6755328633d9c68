"""What image generators take and return, and the parts every torch image generator shares.

Image generators learn from `LabelledImages`: float images in [0, 1], channels-last
`(n, height, width, channels)` as MedMNIST stores them, and integer class labels. They sample
`LabelledImages` too, for labels the caller chooses (so the caller decides how many images of
each class it wants).
"""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from abc import abstractmethod
from pathlib import Path
from typing import Any, Callable

import numpy as np

from generators.base import Generator
from synthpipe.errors import InputDataError

Progress = Callable[[int, int, float], None]
MIN_SIZE, MAX_SIZE = 8, 256


@dataclass
class LabelledImages:
    """Images `(n, h, w, c)` float32 in [0, 1] with integer labels `(n,)`."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


def check_images(data: Any, *, min_images: int = 2) -> LabelledImages:
    """Validate image input: finite values in [0, 1], one size, labels 0..k-1 for every image."""
    if not isinstance(data, LabelledImages):
        raise InputDataError(f"image generators fit on LabelledImages(images, labels), got {type(data).__name__}")
    images, labels = np.asarray(data.images), np.asarray(data.labels)
    if images.ndim != 4:
        raise InputDataError(f"images must be 4-D (n, height, width, channels), got shape {images.shape}")
    if not np.issubdtype(images.dtype, np.number):
        raise InputDataError(f"images must be numeric, got dtype {images.dtype}")
    images = images.astype(np.float32)
    if not np.isfinite(images).all():
        raise InputDataError(f"images hold {int((~np.isfinite(images)).sum())} NaN or infinite values")
    if images.min() < 0 or images.max() > 1:
        raise InputDataError(f"image values must lie in [0, 1] (divide uint8 by 255), got "
                             f"[{images.min():.3g}, {images.max():.3g}]")
    n, h, w, c = images.shape
    if not (MIN_SIZE <= min(h, w) and max(h, w) <= MAX_SIZE) or c not in (1, 3):
        raise InputDataError(f"images must be {MIN_SIZE}..{MAX_SIZE} pixels a side with 1 or 3 channels, "
                             f"got {h}x{w}x{c}")
    if n < min_images:
        raise InputDataError(f"too little data: {n} images; need at least {min_images}")
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise InputDataError(f"labels must be {n} non-negative integers, one per image, got shape {labels.shape}")
    return LabelledImages(images, labels.astype(np.int64))


def labels_for(n: int | None, labels: Any, class_prior: np.ndarray, seed: int) -> np.ndarray:
    """The labels to sample: the caller's, or `n` drawn from the training class proportions."""
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        if labels.ndim != 1 or len(labels) < 1 or labels.min() < 0 or labels.max() >= len(class_prior):
            raise InputDataError(f"labels to sample must be a non-empty list of classes 0..{len(class_prior) - 1}")
        return labels
    if n is None or int(n) < 1:
        raise InputDataError(f"number of images to sample must be at least 1, got {n}")
    return np.random.default_rng(seed).choice(len(class_prior), size=int(n), p=class_prior)


class TorchImageGenerator(Generator):
    """Shared plumbing: input checks, seeding, batching, device, and one-file save/load.

    Subclasses set `network_` in `_fit` and implement `_generate(labels, generator)`.
    """

    modality = "image"
    sample_batch_size = 256  # images denoised at once: bounds memory for 256x256 inputs

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "network_", None) is not None

    def fit(self, data: LabelledImages, progress: Progress | None = None) -> "TorchImageGenerator":
        data = check_images(data)
        self.image_shape_ = tuple(int(s) for s in data.images.shape[1:])
        self.n_classes_ = int(data.labels.max()) + 1
        counts = np.bincount(data.labels, minlength=self.n_classes_)
        self.class_prior_ = counts / counts.sum()
        self._fit(data, progress)
        return self

    def sample(self, n: int | None = None, *, seed: int, length: int | None = None,
               labels: Any = None) -> LabelledImages:
        """Draw images for `labels` (or `n` labels from the class prior), reproducibly per seed.

        `length` belongs to sequence generators and must be None here.
        """
        import torch

        self._require_fitted()
        if length is not None:
            raise InputDataError("image generators have no sequence length; pass n or labels")
        labels = labels_for(n, labels, self.class_prior_, seed)
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        out = []
        for start in range(0, len(labels), self.sample_batch_size):
            out.append(self._generate(labels[start : start + self.sample_batch_size], generator))
        images = np.concatenate(out).clip(0, 1).astype(np.float32)
        return LabelledImages(images, labels)

    @abstractmethod
    def _fit(self, data: LabelledImages, progress: Progress | None) -> None:
        """Train a network on checked data and set `network_`."""

    @abstractmethod
    def _generate(self, labels: np.ndarray, generator) -> np.ndarray:
        """Images (channels-last, [0, 1]) for one batch of labels, drawing noise from `generator`."""

    @abstractmethod
    def _build(self):
        """A fresh network for `image_shape_` and `n_classes_`."""

    def _epoch_batches(self, x_all, y_all, rng: np.random.Generator):
        """One epoch of shuffled, full batches of `batch_size`, moved to the model's device."""
        import torch

        order = torch.from_numpy(rng.permutation(len(x_all)))
        for b in range(self._steps_per_epoch(len(x_all))):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield x_all[idx].to(self.device_), y_all[idx].to(self.device_)

    def _steps_per_epoch(self, n: int) -> int:
        return max(1, n // self.batch_size)

    def save(self, path: Path | str) -> None:
        import torch

        self._require_fitted()
        state = {"params": self.get_params(), "image_shape": self.image_shape_, "n_classes": self.n_classes_,
                 "class_prior": self.class_prior_.tolist(),
                 "weights": {k: v.detach().cpu() for k, v in self.network_.state_dict().items()}}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        Path(path).write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path | str) -> "TorchImageGenerator":
        import torch

        try:
            state = torch.load(io.BytesIO(Path(path).read_bytes()), map_location="cpu", weights_only=True)
            model = cls(**state["params"])
            model.image_shape_ = tuple(state["image_shape"])
            model.n_classes_ = int(state["n_classes"])
            model.class_prior_ = np.asarray(state["class_prior"])
            network = model._build()
            network.load_state_dict(state["weights"])
        except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise InputDataError(f"cannot read generator file {path}: {exc}") from None
        model.network_ = network.to(model.device_).eval()
        return model

    @property
    def device_(self) -> str:
        from generators.seeding import best_device

        return best_device()

    def to_tensor(self, images: np.ndarray):
        """Channels-last [0, 1] numpy -> channels-first [-1, 1] torch, as the networks use."""
        import torch

        return torch.from_numpy(images).permute(0, 3, 1, 2).mul(2).sub(1)

    @staticmethod
    def to_numpy(x) -> np.ndarray:
        return x.float().add(1).div(2).permute(0, 2, 3, 1).cpu().numpy()
