"""The Python face of synthpipe: run a pipeline, load or pull a published dataset, audit a version."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.audit import AuditResult


def load(name: str, version: str = "latest", *, home: str | Path | None = None, as_: str | None = None) -> Any:
    """A published dataset in its field's usual form, hash-verified: a pandas DataFrame for
    finance; for healthcare MedMNIST-style arrays, or a torch Dataset with `as_="torch"`."""
    from catalog import Catalog, parse_ref
    from domains import get_domain

    catalog = Catalog(home)
    ref = catalog.verify(parse_ref(name, None if version == "latest" else version))
    return get_domain(ref.domain).read_published(catalog.path(ref), as_)


def pull(name: str, to: str | Path, version: str = "latest", *, home: str | Path | None = None) -> Path:
    """Copy a published version (data, card, manifest, plots) to `to/`, verifying every hash."""
    from catalog import Catalog, parse_ref

    return Catalog(home).pull(parse_ref(name, None if version == "latest" else version), to)


def run(domain: str = "finance", **options) -> dict:
    """Run one Prefect flow run of a domain pipeline; returns its status and dataset version."""
    from flows.pipeline import pipeline

    return pipeline(domain=domain, **options)


def audit(name: str, version: str = "latest", *, home: str | Path | None = None) -> "AuditResult":
    """Re-run the pipeline that published a version, from its manifest alone, and compare every
    metric (privacy first) and every file; `.reproduced` says whether all agree, `.to_text()`
    shows how (flows/audit.py)."""
    from catalog import parse_ref
    from flows.audit import audit as run_audit

    return run_audit(str(parse_ref(name, None if version == "latest" else version)), home)
