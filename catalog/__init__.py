"""Versioned, verifiable store of published synthetic datasets."""
from catalog.catalog import HOME_ENV, Catalog, default_home
from catalog.refs import DatasetRef, parse_ref
from catalog.storage import LocalFolderBackend, StorageBackend

__all__ = ["Catalog", "DatasetRef", "HOME_ENV", "LocalFolderBackend", "StorageBackend", "default_home", "parse_ref"]
