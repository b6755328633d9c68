import json
from pathlib import Path

import pytest

from catalog import Catalog, LocalFolderBackend, parse_ref
from synthpipe.errors import CatalogError, UnknownNameError

BACKENDS = [LocalFolderBackend]


def write_two_files(folder: Path) -> None:
    (folder / "data.txt").write_text("hello")
    (folder / "sub").mkdir()
    (folder / "sub" / "more.txt").write_text("world")


@pytest.fixture(params=BACKENDS, ids=lambda b: b.__name__)
def catalog(request, tmp_path) -> Catalog:
    """Every storage backend must pass the same catalog behaviour."""
    return Catalog(tmp_path, backend=request.param(tmp_path / "catalog"))


def test_publish_creates_immutable_numbered_versions_and_latest(catalog):
    first = catalog.publish("finance/demo", write_two_files, {"note": "a"})
    second = catalog.publish("finance/demo", write_two_files, {"note": "b"})
    assert (first.version, second.version) == ("v1", "v2")
    assert catalog.datasets() == ["finance/demo"]
    assert catalog.versions("finance/demo") == ["v1", "v2"]
    assert catalog.resolve("finance/demo").version == "v2"
    assert catalog.resolve("finance/demo@v1").version == "v1"
    manifest = catalog.manifest("finance/demo@v1")
    assert manifest["note"] == "a" and set(manifest["files"]) == {"data.txt", "sub/more.txt"}
    assert manifest["files"]["data.txt"]["size"] == 5


def test_failed_write_leaves_catalog_unchanged(catalog):
    catalog.publish("finance/demo", write_two_files, {})

    def half_written(folder: Path) -> None:
        (folder / "data.txt").write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        catalog.publish("finance/demo", half_written, {})
    assert catalog.versions("finance/demo") == ["v1"]
    assert catalog.resolve("finance/demo").version == "v1"
    assert not any((catalog.home / "catalog" / ".staging").iterdir())


@pytest.mark.parametrize("bad", ["../etc", "finance/../../x", "finance/a/b", "/abs/path", "finance/.hidden",
                                 "Finance/UPPER", "finance/", "finance/x@1", "finance/x@../v1"])
def test_names_that_could_escape_the_catalog_are_refused(catalog, bad):
    with pytest.raises(CatalogError):
        parse_ref(bad)
    with pytest.raises(CatalogError):
        catalog.publish(bad, write_two_files, {})
    assert catalog.datasets() == []


def test_unknown_dataset_and_version_say_what_exists(catalog):
    catalog.publish("finance/demo", write_two_files, {})
    with pytest.raises(UnknownNameError, match="finance/demo"):
        catalog.resolve("finance/other")
    with pytest.raises(UnknownNameError, match="v1"):
        catalog.resolve("finance/demo@v7")


def test_pull_copies_and_verifies(catalog, tmp_path):
    catalog.publish("finance/demo", write_two_files, {})
    target = catalog.pull("finance/demo", tmp_path / "out")
    assert target == (tmp_path / "out" / "finance" / "demo" / "v1").resolve()
    assert (target / "sub" / "more.txt").read_text() == "world"
    assert json.loads((target / "manifest.json").read_text())["version"] == "v1"


def test_tampered_file_fails_verification_and_pull(catalog, tmp_path):
    ref = catalog.publish("finance/demo", write_two_files, {})
    (catalog.path(ref) / "data.txt").write_text("HELLO")
    with pytest.raises(CatalogError, match="sha256 mismatch"):
        catalog.verify(ref)
    with pytest.raises(CatalogError):
        catalog.pull(ref, tmp_path / "out")
    assert not (tmp_path / "out" / "finance" / "demo" / "v1").exists()


def test_corrupt_manifest_is_reported(catalog):
    ref = catalog.publish("finance/demo", write_two_files, {})
    (catalog.path(ref) / "manifest.json").write_text("{not json")
    with pytest.raises(CatalogError, match="corrupt"):
        catalog.manifest(ref)
