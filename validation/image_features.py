"""A small CNN trained only on real training images: the classifier of the utility test, and
(its penultimate layer) the encoder whose feature space the Fréchet distance, precision/recall
and the encoder-space privacy checks use. No downloaded weights: an ImageNet Inception would be
the wrong space for 28x28 X-rays anyway, and the task forbids network access at run time.

Images larger than `max_side` are downsampled (area-averaged) first, so evaluation cost stays
bounded for 256x256 inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassifierConfig:
    widths: tuple[int, int, int] = (16, 32, 64)
    epochs: int = 12
    batch_size: int = 128
    learning_rate: float = 2e-3
    max_side: int = 64


def _network(channels: int, n_classes: int, widths: tuple[int, int, int]):
    from torch import nn

    def block(c_in: int, c_out: int) -> list:
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

    a, b, c = widths
    features = nn.Sequential(*block(channels, a), *block(a, a), nn.MaxPool2d(2),
                             *block(a, b), *block(b, b), nn.MaxPool2d(2),
                             *block(b, c), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return features, nn.Sequential(nn.Dropout(0.2), nn.Linear(c, n_classes))


def prepare(images: np.ndarray, max_side: int):
    """Channels-last [0, 1] numpy -> channels-first torch, downsampled to at most `max_side`."""
    import torch
    from torch.nn import functional as F

    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    h, w = x.shape[-2:]
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        x = F.interpolate(x, size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="area")
    return (x - 0.5) / 0.5


class ImageClassifier:
    """Fit on labelled images; predict class probabilities; embed images as features."""

    def __init__(self, config: ClassifierConfig = ClassifierConfig(), seed: int = 0):
        self.config = config
        self.seed = seed

    def fit(self, images: np.ndarray, labels: np.ndarray, n_classes: int) -> "ImageClassifier":
        import torch
        from torch import nn

        from generators.seeding import best_device

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.device = best_device()
        features, head = _network(images.shape[-1], n_classes, self.config.widths)
        self.model = nn.Sequential(features, head).to(self.device)
        x, y = prepare(images, self.config.max_side), torch.from_numpy(np.asarray(labels, dtype=np.int64))
        # Balanced loss: the synthetic and real training sets have different class proportions,
        # and the comparison should not hinge on that.
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        weight = torch.tensor(counts.sum() / np.maximum(counts, 1) / n_classes, dtype=torch.float32)
        loss_fn = nn.CrossEntropyLoss(weight=weight.to(self.device))
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.config.learning_rate, weight_decay=1e-4)
        steps = max(1, int(np.ceil(len(x) / self.config.batch_size)))
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, self.config.learning_rate,
                                                       total_steps=steps * self.config.epochs)
        self.model.train()
        for _ in range(self.config.epochs):
            order = torch.from_numpy(rng.permutation(len(x)))
            for b in range(steps):
                idx = order[b * self.config.batch_size : (b + 1) * self.config.batch_size]
                if len(idx) < 2:  # BatchNorm needs two images
                    continue
                loss = loss_fn(self.model(x[idx].to(self.device)), y[idx].to(self.device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
        self.model.eval()
        return self

    def _batched(self, images: np.ndarray, fn) -> np.ndarray:
        import torch

        x = prepare(images, self.config.max_side)
        with torch.no_grad():
            return np.concatenate([fn(x[i : i + 512].to(self.device)).float().cpu().numpy()
                                   for i in range(0, len(x), 512)])

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        return self._batched(images, lambda x: self.model(x).softmax(1))

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Penultimate-layer features (the encoder of the fidelity metrics)."""
        return self._batched(images, self.model[0]).astype(np.float64)


def auc_and_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """ROC AUC (binary, or macro one-vs-rest as in MedMNIST) and accuracy."""
    from sklearn.metrics import roc_auc_score

    accuracy = float((probabilities.argmax(1) == labels).mean())
    if probabilities.shape[1] == 2:
        return float(roc_auc_score(labels, probabilities[:, 1])), accuracy
    present = np.unique(labels)
    if len(present) < 2:
        return float("nan"), accuracy
    return float(roc_auc_score(labels, probabilities, multi_class="ovr", average="macro",
                               labels=np.arange(probabilities.shape[1]))), accuracy
