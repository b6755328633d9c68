"""Expectation suites on image metadata: one row per image (shape, dtype, range, label, blank or
saturated), so Great Expectations checks arrays the way it checks tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from domains.healthcare.imageset import ImageSet
from validation.expectations import Expectation as E

BLANK_STD = 2.0  # pixel standard deviation (0..255) under which an image carries no content
SATURATED_SHARE = 0.5  # an image more than half pure black or pure white is saturated


def metadata(data: ImageSet) -> pd.DataFrame:
    """Per-image facts the suites check."""
    flat = data.images.reshape(len(data), -1)
    h, w, c = data.shape
    frame = pd.DataFrame({
        "label": data.labels,
        "height": h, "width": w, "channels": c,
        "dtype": str(data.images.dtype),
        "min": flat.min(1).astype(int), "max": flat.max(1).astype(int),
        "std": flat.std(1),
        "saturated_share": ((flat == 0) | (flat == 255)).mean(1),
    })
    for index, _ in enumerate(data.class_names):
        frame[f"is_class_{index}"] = (data.labels == index).astype(float)
    return frame


def _image_rules(data: ImageSet) -> list[E]:
    h, w, c = data.shape
    classes = list(range(len(data.class_names)))
    return [
        E("ExpectColumnValuesToBeInSet", {"column": "label", "value_set": classes}),
        E("ExpectColumnValuesToBeInSet", {"column": "dtype", "value_set": ["uint8"]}),
        E("ExpectColumnValuesToBeInSet", {"column": "channels", "value_set": [1, 3]}),
        E("ExpectColumnDistinctValuesToEqualSet", {"column": "height", "value_set": [h]}),
        E("ExpectColumnDistinctValuesToEqualSet", {"column": "width", "value_set": [w]}),
        E("ExpectColumnValuesToBeBetween", {"column": "min", "min_value": 0, "max_value": 255}),
        E("ExpectColumnValuesToBeBetween", {"column": "max", "min_value": 0, "max_value": 255}),
        E("ExpectColumnValuesToNotBeNull", {"column": "label"}),
    ]


def input_suite(data: ImageSet) -> list[E]:
    """Real images: one size, valid labels, every class present, (almost) no blank or saturated
    images — a few are tolerated in real data, since scanners do produce them."""
    return _image_rules(data) + [
        E("ExpectColumnDistinctValuesToEqualSet", {"column": "label", "value_set": list(range(len(data.class_names)))}),
        E("ExpectColumnValuesToBeBetween", {"column": "std", "min_value": BLANK_STD, "mostly": 0.99}),
        E("ExpectColumnValuesToBeBetween", {"column": "saturated_share", "max_value": SATURATED_SHARE,
                                            "mostly": 0.99}),
    ]


def output_suite(data: ImageSet, requested: dict[int, int]) -> list[E]:
    """Published images: the real data's size and channels, exactly the requested class
    proportions, and no blank or saturated image at all."""
    total = sum(requested.values())
    rules = _image_rules(data) + [
        E("ExpectTableRowCountToEqual", {"value": total}),
        E("ExpectColumnValuesToBeBetween", {"column": "std", "min_value": BLANK_STD}),
        E("ExpectColumnValuesToBeBetween", {"column": "saturated_share", "max_value": SATURATED_SHARE}),
    ]
    for index, count in requested.items():
        share = count / total
        rules.append(E("ExpectColumnMeanToBeBetween", {"column": f"is_class_{index}", "min_value": share - 1e-9,
                                                       "max_value": share + 1e-9}))
    return rules


def requested_counts(labels: np.ndarray, n_classes: int) -> dict[int, int]:
    return {i: int(c) for i, c in enumerate(np.bincount(labels, minlength=n_classes))}
