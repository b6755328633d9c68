"""How tasks hand data to each other: files under the run's work folder, passed as paths."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from domains.base import Split


def save_frame(frame: pd.DataFrame, path: Path) -> str:
    frame.to_parquet(path)
    return str(path)


def load_frame(path: str) -> pd.DataFrame:
    return pd.read_parquet(path)


def save_array(array: np.ndarray, path: Path) -> str:
    np.save(path, array)
    return str(path)


def load_array(path: str) -> np.ndarray:
    return np.load(path)


def save_split(split: Split, folder: Path) -> dict:
    return {"train": save_frame(split.train, folder / "train.parquet"),
            "holdout": save_frame(split.holdout, folder / "holdout.parquet"),
            "description": split.description}


def load_split(paths: dict) -> Split:
    return Split(load_frame(paths["train"]), load_frame(paths["holdout"]), paths["description"])


def save_json(data: dict, path: Path) -> str:
    path.write_text(json.dumps(data, indent=2, default=str))
    return str(path)


def load_json(path: str) -> dict:
    return json.loads(Path(path).read_text())
