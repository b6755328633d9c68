"""Seeding helpers for libraries that draw from global random state (SDV, numpy, torch)."""
from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np


@contextlib.contextmanager
def global_seed(seed: int) -> Iterator[None]:
    """Seed python, numpy and torch globally for a block, then restore their previous state."""
    import torch

    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)


def best_device() -> str:
    """`cuda` when present, else `cpu`: every torch generator is device-agnostic."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
