"""The one exception type users can cause, and its few refinements.

Every message says what was wrong *and* what to do about it; the CLI prints it
without a traceback and exits non-zero.
"""
from __future__ import annotations


class SynthpipeError(Exception):
    """A problem the user can fix: bad input, unknown name, missing file."""


class InputDataError(SynthpipeError):
    """Real input data that cannot be used as it is."""


class UnknownNameError(SynthpipeError):
    """An unknown domain, generator, source kind, profile, dataset or version."""


class SourceUnavailableError(SynthpipeError):
    """A default source that cannot be reached right now (offline, no local copy); `run all`
    reports the domain as skipped instead of failing the others."""


class CatalogError(SynthpipeError):
    """A catalog operation that cannot be carried out (bad name, corrupt version)."""


def unknown(kind: str, name: str, known: list[str] | tuple[str, ...]) -> UnknownNameError:
    """Build the standard 'unknown X' error listing the valid choices."""
    choices = ", ".join(sorted(known)) or "(none)"
    return UnknownNameError(f"unknown {kind} {name!r}; choose one of: {choices}")
