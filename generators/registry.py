"""Generators discovered by name (as in synthcity), so flows and the CLI never import them by hand.

Built-ins are listed as import strings: looking a name up does not import torch or SDV until
the generator is actually used.
"""
from __future__ import annotations

import importlib

from generators.base import Generator
from synthpipe.errors import UnknownNameError, unknown

_BUILTIN: dict[str, str] = {
    "mdn-gru": "generators.mdn_gru:MixtureDensityGRU",
    "mdn-gru-levels": "generators.mdn_gru:LevelAwareMixtureDensityGRU",
    "par": "generators.par:PARGenerator",
    "garch-t": "generators.garch:GARCHT",
    "block-bootstrap": "generators.block_bootstrap:StationaryBlockBootstrap",
    "ddpm": "generators.diffusion:ClassConditionalDiffusion",
    "cvae": "generators.vae:VAEGenerator",
    "traffic-mdn": "generators.traffic_mdn:TrafficMDN",
    "sdv-idm": "generators.sdv_idm:SDVIDMGenerator",
}
_REGISTERED: dict[str, type[Generator]] = {}


def register(cls: type[Generator]) -> type[Generator]:
    """Class decorator adding a generator under its `name` (for plug-ins outside this package)."""
    _REGISTERED[cls.name] = cls
    return cls


def names() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTERED})


def get_generator_class(name: str) -> type[Generator]:
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _BUILTIN:
        raise unknown("generator", name, names())
    module_name, _, class_name = _BUILTIN[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def create(name: str, **params) -> Generator:
    """Instantiate a generator by name; unknown parameters are an error, not ignored."""
    cls = get_generator_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise UnknownNameError(f"bad parameters for generator {name!r}: {exc}") from None


def load(name: str, path) -> Generator:
    return get_generator_class(name).load(path)
