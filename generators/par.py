"""SDV's PARSynthesizer behind the generator contract: the anchor most users already know."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd

from generators.base import Generator, check_sequences
from generators.seeding import global_seed
from synthpipe.errors import InputDataError

_TABLE = "windows"


def _to_long(x: np.ndarray) -> pd.DataFrame:
    n, length, f = x.shape
    frame = pd.DataFrame(x.reshape(-1, f).astype(np.float64), columns=[f"f{i}" for i in range(f)])
    frame.insert(0, "step", np.tile(np.arange(length), n))
    frame.insert(0, "sequence_id", np.repeat(np.arange(n), length))
    return frame


def _metadata(n_features: int):
    from sdv.metadata import Metadata

    columns = {"sequence_id": {"sdtype": "id"}, "step": {"sdtype": "numerical"}}
    columns.update({f"f{i}": {"sdtype": "numerical"} for i in range(n_features)})
    return Metadata.load_from_dict({
        "METADATA_SPEC_VERSION": "V1",
        "tables": {_TABLE: {"columns": columns, "sequence_key": "sequence_id", "sequence_index": "step"}},
    })


class PARGenerator(Generator):
    """SDV `PARSynthesizer` (probabilistic autoregressive model) over fixed-length windows."""

    name = "par"
    modality = "sequence"

    def __init__(self, epochs: int = 128, sample_size: int = 1, random_state: int = 0):
        self.epochs = epochs
        self.sample_size = sample_size
        self.random_state = random_state
        self.n_features_: int | None = None

    def fit(self, data: np.ndarray, progress=None) -> "PARGenerator":
        import torch
        from sdv.sequential import PARSynthesizer

        x = check_sequences(data)
        self.n_features_, self.train_length_ = x.shape[2], x.shape[1]
        synthesizer = PARSynthesizer(_metadata(self.n_features_), epochs=self.epochs,
                                     sample_size=self.sample_size, cuda=torch.cuda.is_available())
        with global_seed(self.random_state), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("sdv").setLevel(logging.ERROR)
            synthesizer.fit({_TABLE: _to_long(x)})
        self.synthesizer_ = synthesizer
        if progress:
            progress(self.epochs, self.epochs, float("nan"))
        return self

    def sample(self, n: int, *, seed: int, length: int | None = None) -> np.ndarray:
        length = self._sequence_length(n, length)
        # SDV's transformers keep their own random state that advances with every call: rewind it
        # so that the seed alone decides the sample.
        self.synthesizer_._data_processor.reset_sampling()
        self.synthesizer_._context_synthesizer.reset_sampling()
        with global_seed(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = self.synthesizer_.sample_sequences(n, sequence_length=length)[_TABLE]
        frame = frame.sort_values(["sequence_id", "step"], kind="stable")
        values = frame[[f"f{i}" for i in range(self.n_features_)]].to_numpy(np.float32)
        return values.reshape(n, length, self.n_features_)

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        with open(path, "wb") as handle:
            cloudpickle.dump({"params": self.get_params(), "n_features": self.n_features_,
                              "train_length": self.train_length_, "synthesizer": self.synthesizer_}, handle)

    @classmethod
    def load(cls, path: Path | str) -> "PARGenerator":
        try:
            with open(path, "rb") as handle:
                state = cloudpickle.load(handle)
        except Exception as exc:  # unpickling raises many types for a bad file
            raise InputDataError(f"cannot read generator file {path}: {exc}") from None
        model = cls(**state["params"])
        model.n_features_, model.train_length_ = state["n_features"], state["train_length"]
        model.synthesizer_ = state["synthesizer"]
        return model
