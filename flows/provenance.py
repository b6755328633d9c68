"""Where a dataset came from: code version and flow run."""
from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path


def code_version() -> str:
    """Package version plus the git commit (and `-dirty`) when run from a checkout."""
    try:
        version = metadata.version("synthpipe")
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+{commit}{'-dirty' if dirty else ''}" if commit else version


def flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return flow_run.id
