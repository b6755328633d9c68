"""How tasks hand data to each other: files under the run's work folder, passed as paths.

DataFrames travel as Parquet and arrays as `.npy`; any other domain record (e.g. a set of
labelled images) as a pickle, which never leaves the run's own work folder.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from domains.base import Split


def save(data: Any, folder: Path, stem: str) -> str:
    """Write `data` as `folder/stem.<format>` and return the path."""
    if isinstance(data, pd.DataFrame):
        path = folder / f"{stem}.parquet"
        data.to_parquet(path)
    elif isinstance(data, np.ndarray):
        path = folder / f"{stem}.npy"
        np.save(path, data)
    else:
        path = folder / f"{stem}.pkl"
        path.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return str(path)


def load(path: str) -> Any:
    suffix = Path(path).suffix
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".npy":
        return np.load(path)
    return pickle.loads(Path(path).read_bytes())


def save_split(split: Split, folder: Path) -> dict:
    return {"train": save(split.train, folder, "train"), "holdout": save(split.holdout, folder, "holdout"),
            "description": split.description}


def load_split(paths: dict) -> Split:
    return Split(load(paths["train"]), load(paths["holdout"]), paths["description"])


def save_json(data: dict, path: Path) -> str:
    path.write_text(json.dumps(data, indent=2, default=str))
    return str(path)


def load_json(path: str) -> dict:
    return json.loads(Path(path).read_text())
