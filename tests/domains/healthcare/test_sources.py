"""Image sources: MedMNIST npz, image folders and DICOM, and their refusal of bad input."""
import urllib.request

import numpy as np
import pytest

from domains import get_domain
from synthpipe.errors import InputDataError, SourceUnavailableError
from tests.domains.healthcare.conftest import PNEUMONIA_NPZ, write_dicom, write_png_folder

healthcare = get_domain("healthcare")


def load(text: str, home=None):
    return healthcare.load(healthcare.parse_source(text), home=home)


def test_pneumoniamnist_npz_keeps_its_splits_and_class_names(pneumonia):
    assert pneumonia.shape == (28, 28, 1) and pneumonia.images.dtype == np.uint8
    assert pneumonia.class_names == ("normal", "pneumonia")
    assert {s: int((pneumonia.splits == s).sum()) for s in ("train", "val", "test")} == \
        {"train": 4708, "val": 524, "test": 624}


def test_medmnist_reads_a_local_copy_before_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHPIPE_MEDMNIST_DIR", str(PNEUMONIA_NPZ.parent))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("must not download"))
    assert len(load("medmnist:pneumoniamnist", home=tmp_path)) == 5856


def test_medmnist_offline_without_copy_is_unavailable_not_broken(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNTHPIPE_MEDMNIST_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(SourceUnavailableError, match="could not be downloaded"):
        load("medmnist:pneumoniamnist", home=tmp_path)
    assert not list((tmp_path / "raw" / "medmnist").iterdir())  # no partial file left behind


def test_unknown_or_multilabel_medmnist_set_is_refused(tmp_path):
    with pytest.raises(InputDataError, match="single-label 2D sets"):
        load("medmnist:chestmnist", home=tmp_path)


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("arrays, message", [
    ({"test_images": np.zeros((4, 28, 28), np.uint8)}, "lacks train_images"),
    ({"train_images": np.zeros((4, 20, 20), np.uint8), "train_labels": np.array([0, 1, 0, 1])}, "supported sizes"),
    ({"train_images": np.zeros((4, 300, 300), np.uint8), "train_labels": np.array([0, 1, 0, 1])}, "supported sizes"),
    ({"train_images": np.full((4, 28, 28), np.nan), "train_labels": np.array([0, 1, 0, 1])}, "NaN"),
    ({"train_images": np.zeros((4, 28, 28), np.uint8), "train_labels": np.zeros((4, 3), int)}, "single-label"),
    ({"train_images": np.zeros((4, 28, 28), np.uint8), "train_labels": np.array([0, 0, 0, 0])}, "only one class"),
    ({"train_images": np.zeros((4, 28, 28), np.uint8), "train_labels": np.array([0, 1, 0])}, "4 train images but 3"),
    ({"train_images": np.zeros((4, 28, 28), np.uint8), "train_labels": np.array([0, 1, 0, 1]),
      "test_images": np.zeros((2, 32, 32), np.uint8), "test_labels": np.array([0, 1])}, "different sizes"),
])
def test_bad_npz_is_refused_with_what_to_fix(tmp_path, arrays, message):
    with pytest.raises(InputDataError, match=message):
        load(f"npz:{_npz(tmp_path / 'bad.npz', **arrays)}")


def test_truncated_npz_is_refused(tmp_path):
    data = PNEUMONIA_NPZ.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputDataError, match="not a readable .npz"):
        load(f"npz:{tmp_path / 'cut.npz'}")


def test_16_bit_npz_is_scaled_per_image(tmp_path):
    images = np.zeros((4, 28, 28), np.uint16)
    images[:, :, 14:] = 4095
    data = load(f"npz:{_npz(tmp_path / 'wide.npz', train_images=images, train_labels=np.array([0, 1, 0, 1]))}")
    assert data.images.dtype == np.uint8 and data.images.max() == 255 and data.images.min() == 0


def test_png_folder_gives_one_class_per_subfolder(tmp_path):
    data = load(f"folder:{write_png_folder(tmp_path / 'imgs', per_class=5)}")
    assert data.class_names == ("cat_a", "cat_b") and data.shape == (32, 32, 1)
    assert np.bincount(data.labels).tolist() == [5, 5]


def test_rgb_and_16_bit_pngs(tmp_path):
    from PIL import Image

    assert load(f"folder:{write_png_folder(tmp_path / 'rgb', mode='RGB')}").shape == (32, 32, 3)
    root = write_png_folder(tmp_path / "deep")
    Image.fromarray(np.full((32, 32), 60000, np.uint16)).save(root / "cat_a" / "0.png")
    assert load(f"folder:{root}").images.dtype == np.uint8


@pytest.mark.parametrize("damage, message", [
    ("corrupt", "cannot read image"),
    ("truncated", "cannot read image"),
    ("empty_class", "has no PNG or JPEG"),
    ("one_class", "at least two"),
    ("mixed_sizes", "differ in size or channels"),
    ("mixed_channels", "differ in size or channels"),
])
def test_bad_image_folders_are_refused(tmp_path, damage, message):
    from PIL import Image

    root = write_png_folder(tmp_path / "imgs")
    if damage == "corrupt":
        (root / "cat_a" / "0.png").write_bytes(b"not a png at all")
    elif damage == "truncated":
        png = (root / "cat_a" / "1.png").read_bytes()
        (root / "cat_a" / "1.png").write_bytes(png[: len(png) // 2])
    elif damage == "empty_class":
        (root / "cat_c").mkdir()
    elif damage == "one_class":
        for f in (root / "cat_b").iterdir():
            f.unlink()
        (root / "cat_b").rmdir()
    elif damage == "mixed_sizes":
        Image.fromarray(np.zeros((40, 40), np.uint8)).save(root / "cat_b" / "0.png")
    elif damage == "mixed_channels":
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(root / "cat_b" / "0.png")
    with pytest.raises(InputDataError, match=message):
        load(f"folder:{root}")


def _dicom_folder(root, patients_per_class=4, images_per_patient=2):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("healthy", "sick")):
        for p in range(patients_per_class):
            for i in range(images_per_patient):
                write_dicom(root / name / f"p{p}_{i}.dcm", f"{name}-{p}", rng.integers(0, 4096, (32, 32)))
    return root


def test_dicom_folder_keeps_patient_ids_and_splits_by_patient(tmp_path):
    data = load(f"dicom:{_dicom_folder(tmp_path / 'dcm')}")
    assert data.shape == (32, 32, 1) and data.images.max() == 255  # 12-bit scaled to 8
    assert set(data.groups) == {f"{c}-{p}" for c in ("healthy", "sick") for p in range(4)}
    split = healthcare.split(data, healthcare.profile("quick"))
    val_test = set(split.holdout.groups)
    assert not val_test & set(split.train.groups), "a patient is on both sides of the split"


def test_dicom_without_pixel_data_is_refused(tmp_path):
    root = _dicom_folder(tmp_path / "dcm")
    write_dicom(root / "sick" / "empty.dcm", "sick-9", None)
    with pytest.raises(InputDataError, match="has no pixel data"):
        load(f"dicom:{root}")


def test_non_dicom_file_in_dicom_folder_is_refused(tmp_path):
    root = _dicom_folder(tmp_path / "dcm")
    (root / "sick" / "notes.txt").write_text("not an image")
    with pytest.raises(InputDataError, match="cannot read DICOM file"):
        load(f"dicom:{root}")


def test_missing_location_and_paths(tmp_path):
    with pytest.raises(InputDataError, match="needs a location"):
        load("folder")
    with pytest.raises(InputDataError, match="no such folder"):
        load(f"folder:{tmp_path / 'nowhere'}")
