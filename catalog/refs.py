"""Dataset names (`domain/name`) and version references, validated before any path is built."""
from __future__ import annotations

import re
from dataclasses import dataclass

from synthpipe.errors import CatalogError

_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VERSION = re.compile(r"^v([1-9][0-9]{0,8})$")
LATEST = "latest"


@dataclass(frozen=True)
class DatasetRef:
    """A dataset name and an optional version (`None` means `latest`)."""

    domain: str
    name: str
    version: str | None = None

    @property
    def dataset(self) -> str:
        return f"{self.domain}/{self.name}"

    def __str__(self) -> str:
        return self.dataset + (f"@{self.version}" if self.version else "")


def check_segment(segment: str, what: str) -> str:
    """Refuse anything that could escape the catalog folder (`..`, `/`, absolute paths, dots)."""
    if not _SEGMENT.match(segment):
        raise CatalogError(
            f"invalid {what} {segment!r}: use 1-64 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit (no '/', '.' or '..')"
        )
    return segment


def check_version(version: str) -> str:
    if version != LATEST and not _VERSION.match(version):
        raise CatalogError(f"invalid version {version!r}: use 'latest' or vN, e.g. v1, v12")
    return version


def version_number(version: str) -> int:
    match = _VERSION.match(version)
    if not match:
        raise CatalogError(f"invalid version {version!r}")
    return int(match.group(1))


def parse_ref(text: str, version: str | None = None) -> DatasetRef:
    """Parse `domain/name[@version]`; an explicit `version` argument wins over `@version`."""
    base, _, at_version = text.partition("@")
    parts = base.split("/")
    if len(parts) != 2:
        raise CatalogError(f"invalid dataset name {text!r}: expected domain/name[@version], e.g. finance/markets@v1")
    domain, name = (check_segment(p, "name segment") for p in parts)
    chosen = version or at_version or None
    return DatasetRef(domain, name, check_version(chosen) if chosen else None)
