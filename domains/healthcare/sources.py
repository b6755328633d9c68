"""Real image sources: MedMNIST (local cache or download), any MedMNIST-style `.npz`, a folder
of PNG/JPEG images with one sub-folder per class, and a folder of DICOM files.

Conversions, all documented in the README:
* 16-bit images (PNG `I;16`, DICOM) are scaled per image, minimum -> 0 and maximum -> 255;
  DICOM `MONOCHROME1` is inverted so that higher always means brighter.
* Palette and alpha images are converted to grayscale or RGB (alpha dropped).
Everything else that is odd (mixed sizes or channels, corrupt files, empty class folders, one
class only, DICOM without pixels) is refused with one error naming what to fix.
"""
from __future__ import annotations

import os
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from domains.base import SourceSpec, require
from domains.healthcare.imageset import ImageSet
from synthpipe.errors import InputDataError, SourceUnavailableError

MIN_SIDE, MAX_SIDE = 28, 256
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
# Class names of the single-label MedMNIST 2D sets (from the medmnist package's INFO table).
MEDMNIST_CLASSES = {
    "pneumoniamnist": ("normal", "pneumonia"),
    "breastmnist": ("malignant", "normal, benign"),
    "bloodmnist": ("basophil", "eosinophil", "erythroblast", "immature granulocytes", "lymphocyte",
                   "monocyte", "neutrophil", "platelet"),
    "dermamnist": ("actinic keratoses", "basal cell carcinoma", "benign keratosis-like lesions",
                   "dermatofibroma", "melanoma", "melanocytic nevi", "vascular lesions"),
    "octmnist": ("choroidal neovascularization", "diabetic macular edema", "drusen", "normal"),
    "retinamnist": ("0", "1", "2", "3", "4"),
    "organamnist": ("bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver",
                    "lung-left", "lung-right", "pancreas", "spleen"),
}
MEDMNIST_URL = "https://zenodo.org/records/10519652/files/{flag}.npz?download=1"


def load_source(source: SourceSpec, home: Path | None = None) -> ImageSet:
    loaders = {"medmnist": load_medmnist, "npz": load_npz, "folder": load_folder, "dicom": load_dicom}
    if source.kind != "medmnist":
        require(bool(source.location), f"source {source.kind!r} needs a location: --source {source.kind}:PATH")
        return loaders[source.kind](Path(source.location).expanduser())
    return load_medmnist(source.location or "pneumoniamnist", home)


# --- MedMNIST ---------------------------------------------------------------------------------

def medmnist_dirs(home: Path | None) -> list[Path]:
    """Where a MedMNIST file may already be: an explicit folder, the data home's cache, and the
    medmnist package's own default root."""
    dirs = [Path(os.environ["SYNTHPIPE_MEDMNIST_DIR"])] if os.environ.get("SYNTHPIPE_MEDMNIST_DIR") else []
    if home is not None:
        dirs.append(home / "raw" / "medmnist")
    dirs.append(Path.home() / ".medmnist")
    return dirs


def load_medmnist(flag: str, home: Path | None = None) -> ImageSet:
    """`pneumoniamnist`, or a size variant such as `pneumoniamnist_64`; downloaded when no local
    copy exists (as the medmnist package does), into the data home's raw cache."""
    flag = flag.lower()
    base = flag.split("_")[0]
    require(base in MEDMNIST_CLASSES,
            f"unknown or multi-label MedMNIST set {flag!r}; single-label 2D sets are: {', '.join(MEDMNIST_CLASSES)}")
    for folder in medmnist_dirs(home):
        if (folder / f"{flag}.npz").is_file():
            return load_npz(folder / f"{flag}.npz")
    if home is None:
        raise SourceUnavailableError(f"no local copy of {flag}.npz and no data home to download into")
    target = home / "raw" / "medmnist" / f"{flag}.npz"
    _download(MEDMNIST_URL.format(flag=flag), target)
    return load_npz(target)


def _download(url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as exc:  # offline, DNS, refused, timeout: the source is unavailable, not wrong
        partial.unlink(missing_ok=True)
        raise SourceUnavailableError(
            f"{target.name} is not in the local cache and could not be downloaded ({exc}); "
            f"put a copy in {target.parent} or set SYNTHPIPE_MEDMNIST_DIR") from None
    partial.replace(target)


# --- npz ----------------------------------------------------------------------------------------

def load_npz(path: Path) -> ImageSet:
    """A MedMNIST-style archive: `{train,val,test}_images` and `_labels` (train required)."""
    require(path.is_file(), f"no such file: {path}")
    try:
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputDataError(f"{path} is not a readable .npz archive ({exc}); re-download or re-export it") from None
    require("train_images" in arrays and "train_labels" in arrays,
            f"{path} lacks train_images/train_labels; found {sorted(arrays)}")
    images, labels, splits = [], [], []
    for split in ("train", "val", "test"):
        if f"{split}_images" not in arrays:
            continue
        require(f"{split}_labels" in arrays, f"{path} has {split}_images but no {split}_labels")
        x, y = _as_uint8_stack(arrays[f"{split}_images"], f"{path.name}:{split}_images"), arrays[f"{split}_labels"]
        y = np.asarray(y)
        require(y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1),
                f"{path.name}:{split}_labels has shape {y.shape}; only single-label sets are supported")
        require(len(y) == len(x), f"{path.name}: {len(x)} {split} images but {len(y)} labels")
        require(np.issubdtype(y.dtype, np.integer), f"{path.name}:{split}_labels must be integers, got {y.dtype}")
        images.append(x)
        labels.append(y.reshape(-1))
        splits += [split] * len(x)
    stacked = _same_shape(images, path.name)
    labels_all = np.concatenate(labels)
    require(labels_all.min() >= 0, f"{path.name}: labels must be non-negative class indices")
    base = path.stem.split("_")[0].lower()
    n_classes = int(labels_all.max()) + 1
    names = MEDMNIST_CLASSES.get(base, ())
    if len(names) != n_classes:
        names = tuple(f"class_{i}" for i in range(n_classes))
    return _checked(ImageSet(stacked, labels_all, names, splits=np.array(splits)), str(path))


def _as_uint8_stack(array: np.ndarray, what: str) -> np.ndarray:
    """(n, h, w) or (n, h, w, 1|3) of any integer or [0, 1] float type -> uint8 (n, h, w, c)."""
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    require(array.ndim == 4 and array.shape[-1] in (1, 3),
            f"{what} has shape {array.shape}; expected (n, height, width) or (n, height, width, 1 or 3)")
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        require(bool(np.isfinite(array).all()), f"{what} holds NaN or infinite pixel values")
        require(array.min() >= 0 and array.max() <= 1, f"{what}: float images must lie in [0, 1]")
        return np.round(array * 255).astype(np.uint8)
    require(np.issubdtype(array.dtype, np.integer), f"{what} has unsupported pixel type {array.dtype}")
    return np.stack([_scale_to_uint8(image) for image in array])


def _scale_to_uint8(image: np.ndarray) -> np.ndarray:
    """Wider-than-8-bit pixels, scaled per image: minimum -> 0, maximum -> 255."""
    image = image.astype(np.float64)
    low, high = image.min(), image.max()
    if high <= low:
        return np.zeros(image.shape, np.uint8)
    return np.round((image - low) / (high - low) * 255).astype(np.uint8)


def _same_shape(images: list[np.ndarray], what: str) -> np.ndarray:
    shapes = Counter(tuple(x.shape[1:]) for x in images)
    require(len(shapes) == 1, f"{what}: images have different sizes or channels {sorted(shapes)}; "
                              "resize them to one size first")
    return np.concatenate(images)


def _checked(data: ImageSet, where: str) -> ImageSet:
    h, w, c = data.shape
    require(MIN_SIDE <= min(h, w) and max(h, w) <= MAX_SIDE,
            f"{where}: images are {h}x{w}; supported sizes are {MIN_SIDE} to {MAX_SIDE} pixels a side")
    present = np.unique(data.labels)
    require(len(present) >= 2, f"{where}: only one class ({data.class_names[present[0]]!r}) has images; "
                               "a class-conditional generator needs at least two")
    return data


# --- folders of PNG/JPEG and of DICOM -------------------------------------------------------------

def _class_folders(root: Path) -> list[Path]:
    require(root.is_dir(), f"no such folder: {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    require(len(folders) >= 2, f"{root} must hold one sub-folder per class (at least two); found {len(folders)}")
    return folders


def load_folder(root: Path) -> ImageSet:
    """`root/<class>/*.png|jpg|jpeg`; class indices follow the sorted sub-folder names."""
    from PIL import Image, UnidentifiedImageError

    images, labels = [], []
    folders = _class_folders(root)
    for index, folder in enumerate(folders):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        require(bool(files), f"class folder {folder} has no PNG or JPEG images")
        for file in files:
            try:
                with Image.open(file) as image:
                    image.load()
                    images.append(_pil_to_array(image))
            except (UnidentifiedImageError, OSError, SyntaxError) as exc:
                raise InputDataError(f"cannot read image {file} ({exc}); remove or replace it") from None
            labels.append(index)
    return _checked(ImageSet(_stack_files(images, root), labels, tuple(f.name for f in folders)), str(root))


def _pil_to_array(image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return _scale_to_uint8(np.asarray(image))[..., None]
    if image.mode in ("1", "L", "LA"):
        return np.asarray(image.convert("L"))[..., None]
    return np.asarray(image.convert("RGB"))  # RGB, RGBA, palette, CMYK: alpha dropped


def _stack_files(arrays: list[np.ndarray], root: Path) -> np.ndarray:
    kinds = Counter(a.shape for a in arrays)
    if len(kinds) > 1:
        listing = ", ".join(f"{n} of {'x'.join(map(str, s))}" for s, n in kinds.most_common(4))
        raise InputDataError(f"{root}: images differ in size or channels ({listing}); "
                             "convert them to one size and one colour mode first")
    return np.stack(arrays)


def load_dicom(root: Path) -> ImageSet:
    """`root/<class>/*` DICOM files; each image's group is its PatientID (for the split)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    images, labels, patients = [], [], []
    folders = _class_folders(root)
    for index, folder in enumerate(folders):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        require(bool(files), f"class folder {folder} has no DICOM files")
        for file in files:
            try:
                ds = pydicom.dcmread(file)
            except (InvalidDicomError, OSError, EOFError, ValueError) as exc:
                raise InputDataError(f"cannot read DICOM file {file} ({exc}); remove or replace it") from None
            require("PixelData" in ds, f"DICOM file {file} has no pixel data; remove it from the folder")
            try:
                pixels = ds.pixel_array
            except Exception as exc:  # compressed transfer syntax without a decoder, truncated data
                raise InputDataError(f"cannot decode the pixels of {file} ({exc})") from None
            require(pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[-1] == 3),
                    f"{file}: only single-frame grayscale or RGB images are supported, got shape {pixels.shape}")
            if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
                pixels = pixels.max() - pixels
            array = pixels if pixels.dtype == np.uint8 else _scale_to_uint8(pixels)
            images.append(array[..., None] if array.ndim == 2 else array)
            labels.append(index)
            patients.append(str(getattr(ds, "PatientID", "") or ""))
    require(all(patients), f"{root}: every DICOM file needs a PatientID (the split keeps each patient on one side)")
    return _checked(ImageSet(_stack_files(images, root), labels, tuple(f.name for f in folders),
                             groups=np.array(patients)), str(root))
