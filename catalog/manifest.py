"""Manifests: the sha256 and size of every file in a version, and their verification."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from synthpipe.errors import CatalogError

MANIFEST = "manifest.json"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_table(folder: Path) -> dict[str, dict]:
    """`{relative path: {sha256, size}}` for every file below `folder` except the manifest."""
    table = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            rel = path.relative_to(folder).as_posix()
            table[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return table


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CatalogError(f"{folder} has no {MANIFEST}; it is not a published version") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path} is corrupt ({exc}); re-publish the version or restore it from backup") from None


def verify(folder: Path, manifest: dict | None = None) -> None:
    """Raise CatalogError unless every listed file exists with its recorded size and hash."""
    manifest = manifest or read_manifest(folder)
    problems = []
    for rel, expected in manifest["files"].items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != expected["size"]:
            problems.append(f"{rel}: size {path.stat().st_size} != {expected['size']}")
        elif sha256_file(path) != expected["sha256"]:
            problems.append(f"{rel}: sha256 mismatch")
    if problems:
        raise CatalogError(
            f"{folder} failed verification ({'; '.join(problems)}); do not use it — re-pull or re-publish"
        )
