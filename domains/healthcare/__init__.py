"""Healthcare images: MedMNIST, image folders and DICOM, with a class-conditional generator."""
from domains.healthcare.domain import HealthcareDomain

__all__ = ["HealthcareDomain"]
