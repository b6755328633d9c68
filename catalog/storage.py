"""Storage backends for the catalog: where immutable versions live.

One interface, several transports (as in httpx): the local folder now, object stores later.
A backend only has to offer an atomic `commit` of a fully written staging folder; everything
else in the catalog (naming, manifests, verification) is backend-independent.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from catalog.refs import LATEST, version_number

STAGING = ".staging"


class StorageBackend(ABC):
    """Where the catalog's versions are kept."""

    @abstractmethod
    def datasets(self) -> list[str]:
        """All `domain/name` with at least one visible version."""

    @abstractmethod
    def versions(self, dataset: str) -> list[str]:
        """Visible versions of a dataset, oldest first."""

    @abstractmethod
    def alias(self, dataset: str, alias: str = LATEST) -> str | None:
        """The version an alias points to, or None."""

    @abstractmethod
    def local_path(self, dataset: str, version: str) -> Path:
        """A readable local folder holding the version's files."""

    @abstractmethod
    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A private folder to write a new version into; removed if not committed."""

    @abstractmethod
    def commit(self, dataset: str, staged: Path, finalize) -> str:
        """Atomically make `staged` the next version of `dataset` and point `latest` at it.

        `finalize(staged, version)` runs under the catalog lock once the version number is
        known, so it can write the manifest; until the commit returns, nothing is visible.
        """


class LocalFolderBackend(StorageBackend):
    """Versions as folders `root/domain/name/vN`, published by an atomic rename."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def datasets(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for domain_dir in sorted(self.root.iterdir()):
            if not domain_dir.is_dir() or domain_dir.name.startswith("."):
                continue
            for name_dir in sorted(domain_dir.iterdir()):
                dataset = f"{domain_dir.name}/{name_dir.name}"
                if name_dir.is_dir() and self.versions(dataset):
                    found.append(dataset)
        return found

    def versions(self, dataset: str) -> list[str]:
        folder = self.root / dataset
        if not folder.is_dir():
            return []
        visible = [p.name for p in folder.iterdir() if p.name.startswith("v") and (p / "manifest.json").is_file()]
        return sorted(visible, key=version_number)

    def alias(self, dataset: str, alias: str = LATEST) -> str | None:
        path = self.root / dataset / alias
        return path.read_text().strip() if path.is_file() else None

    def local_path(self, dataset: str, version: str) -> Path:
        return self.root / dataset / version

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        # Staging lives inside the catalog root so the final rename never crosses filesystems.
        parent = self.root / STAGING
        parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix="stage-", dir=parent))
        try:
            yield staged
        finally:
            shutil.rmtree(staged, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def commit(self, dataset: str, staged: Path, finalize) -> str:
        target_parent = self.root / dataset
        target_parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            existing = [p.name for p in target_parent.iterdir() if p.name.startswith("v") and p.is_dir()]
            number = max((version_number(v) for v in existing), default=0) + 1
            version = f"v{number}"
            finalize(staged, version)
            _fsync_tree(staged)
            os.rename(staged, target_parent / version)  # the moment the version becomes visible
            _fsync_dir(target_parent)
            _atomic_write_text(target_parent / LATEST, version + "\n")
        return version


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
