"""Fixtures for the healthcare domain: the shared PneumoniaMNIST copy and small image folders."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_DATA

PNEUMONIA_NPZ = SHARED_DATA / "medmnist" / "pneumoniamnist.npz"


@pytest.fixture(scope="session")
def pneumonia():
    from domains import get_domain

    healthcare = get_domain("healthcare")
    return healthcare.load(healthcare.parse_source(f"npz:{PNEUMONIA_NPZ}"))


def write_png_folder(root: Path, per_class: int = 6, size: int = 32, classes=("cat_a", "cat_b"),
                     mode: str = "L") -> Path:
    """One sub-folder per class of small PNG images."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, size=(size, size) + (() if mode == "L" else (3,)), dtype=np.uint8)
            Image.fromarray(pixels, mode=mode).save(root / name / f"{i}.png")
    return root


def write_dicom(path: Path, patient: str, pixels: np.ndarray | None) -> Path:
    """A minimal valid DICOM file (Secondary Capture), with or without pixel data."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientID = patient
    ds.Modality = "OT"
    if pixels is not None:
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelRepresentation = 0
        ds.PixelData = pixels.astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
