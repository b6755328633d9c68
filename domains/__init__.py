"""Domain subpackages, looked up by name."""
from __future__ import annotations

import importlib

from domains.base import Domain, SourceSpec, Split
from synthpipe.errors import unknown

_DOMAINS = {
    "driving": "domains.driving:DrivingDomain",
    "finance": "domains.finance:FinanceDomain",
    "healthcare": "domains.healthcare:HealthcareDomain",
}


def names() -> list[str]:
    return sorted(_DOMAINS)


def get_domain(name: str) -> Domain:
    if name not in _DOMAINS:
        raise unknown("domain", name, names())
    module_name, _, class_name = _DOMAINS[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)()


__all__ = ["Domain", "SourceSpec", "Split", "get_domain", "names"]
