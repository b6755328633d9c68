"""The catalog: list, show, publish, pull and verify immutable dataset versions."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from catalog.manifest import file_table, read_manifest, verify, write_manifest
from catalog.refs import LATEST, DatasetRef, check_segment, parse_ref
from catalog.storage import LocalFolderBackend, StorageBackend
from synthpipe.errors import CatalogError, UnknownNameError

HOME_ENV = "SYNTHPIPE_HOME"


def default_home() -> Path:
    """The data home: `$SYNTHPIPE_HOME`, else `data/` under the working directory."""
    return Path(os.environ.get(HOME_ENV) or "data").resolve()


class Catalog:
    """Versioned datasets under `<home>/catalog`, stored by a backend (local folders by default)."""

    def __init__(self, home: Path | str | None = None, backend: StorageBackend | None = None):
        self.home = Path(home).resolve() if home else default_home()
        self.backend = backend or LocalFolderBackend(self.home / "catalog")

    # -- reading ---------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        return self.backend.datasets()

    def versions(self, dataset: str) -> list[str]:
        ref = parse_ref(dataset)
        return self.backend.versions(ref.dataset)

    def resolve(self, ref: DatasetRef | str) -> DatasetRef:
        """Turn a name with an optional version or alias into a concrete, existing version."""
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        versions = self.backend.versions(ref.dataset)
        if not versions:
            known = ", ".join(self.datasets()) or "(the catalog is empty)"
            raise UnknownNameError(f"no dataset {ref.dataset!r} in {self.home}; published: {known}")
        version = ref.version or LATEST
        if version == LATEST:
            version = self.backend.alias(ref.dataset) or versions[-1]
        if version not in versions:
            raise UnknownNameError(f"{ref.dataset} has no version {version!r}; versions: {', '.join(versions)}")
        return DatasetRef(ref.domain, ref.name, version)

    def path(self, ref: DatasetRef | str) -> Path:
        ref = self.resolve(ref)
        return self.backend.local_path(ref.dataset, ref.version)

    def manifest(self, ref: DatasetRef | str) -> dict:
        return read_manifest(self.path(ref))

    def verify(self, ref: DatasetRef | str) -> DatasetRef:
        ref = self.resolve(ref)
        verify(self.backend.local_path(ref.dataset, ref.version))
        return ref

    # -- writing ---------------------------------------------------------------------------
    def publish(self, dataset: str, write_files: Callable[[Path], None], manifest: dict) -> DatasetRef:
        """Write a new version atomically: files, then manifest, then one rename.

        `write_files(folder)` writes the dataset's files into a private staging folder. If it
        raises, or the process dies, nothing becomes visible and earlier versions are untouched.
        """
        ref = parse_ref(dataset)
        if ref.version:
            raise CatalogError(f"publish takes a dataset name without a version, got {dataset!r}")

        def finalize(staged: Path, version: str) -> None:
            full = dict(manifest)
            full.update(
                dataset=ref.dataset,
                version=version,
                published_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                files=file_table(staged),
            )
            write_manifest(staged, full)

        with self.backend.staging() as staged:
            write_files(staged)
            version = self.backend.commit(ref.dataset, staged, finalize)
        return DatasetRef(ref.domain, ref.name, version)

    def pull(self, ref: DatasetRef | str, to: Path | str) -> Path:
        """Copy a version to `to/<domain>/<name>/<version>`, verifying every hash first and after."""
        ref = self.verify(ref)
        source = self.backend.local_path(ref.dataset, ref.version)
        target = Path(to).resolve() / ref.domain / ref.name / ref.version
        if target.exists():
            verify(target)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".pull-", dir=target.parent))
        try:
            shutil.copytree(source, tmp, dirs_exist_ok=True)
            verify(tmp)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    # -- quarantine -----------------------------------------------------------------------
    def quarantine_dir(self, dataset: str, run_id: str) -> Path:
        ref = parse_ref(dataset)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        folder = self.home / "quarantine" / ref.domain / ref.name / f"{stamp}-{check_segment(run_id[:8] or 'local', 'run id')}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
