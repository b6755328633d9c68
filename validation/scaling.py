"""Min-max scaling fitted on real training data, as in the TimeGAN evaluation protocol."""
from __future__ import annotations

import numpy as np


class MinMax:
    def __init__(self, reference: np.ndarray):
        flat = reference.reshape(-1, reference.shape[-1])
        self.low = flat.min(0)
        self.span = np.maximum(flat.max(0) - self.low, 1e-12)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.low) / self.span).astype(np.float32)
