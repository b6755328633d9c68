"""A published image dataset as a torch `Dataset`, the way MedMNIST's own classes behave."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset


class SyntheticImages(Dataset):
    """Items are `(image, label)`: a float tensor (c, h, w) in [0, 1] and an int class index.

    `split` picks the published `train`, `val` or `test` part; `transform` applies to the image.
    """

    def __init__(self, arrays: dict[str, np.ndarray], split: str = "train", transform: Callable | None = None):
        if f"{split}_images" not in arrays:
            raise KeyError(f"no {split!r} part; choose train, val or test")
        images = arrays[f"{split}_images"]
        self.images = images[..., None] if images.ndim == 3 else images
        self.labels = arrays[f"{split}_labels"].reshape(-1).astype(np.int64)
        self.class_names = tuple(str(n) for n in arrays.get("label_names", ()))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(self.images[index]).permute(2, 0, 1).float().div(255)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])
