"""Published files of a healthcare dataset: a MedMNIST-style `.npz`, preview grids, nearest
training neighbours for an auditor, an intensity histogram and the data card."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from catalog.card import render_card
from domains.base import Split
from domains.healthcare.evaluation import privacy_pixels
from domains.healthcare.imageset import ImageSet
from validation.privacy import memorization
from validation.report import Report

PUBLISHED_SPLITS = (("train", 0.8), ("val", 0.1), ("test", 0.1))
N_PAIRS = 8


def data_file(dataset: str, shape: tuple[int, int, int]) -> str:
    """`<name>.npz`, or `<name>_<size>.npz` for square sizes other than 28, as MedMNIST names them."""
    name = dataset.split("/")[-1].split("_")[0]
    h, w, _ = shape
    return f"{name}.npz" if (h, w) == (28, 28) or h != w else f"{name}_{h}.npz"


def published_splits(labels: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Indices of the published train/val/test parts (80/10/10 within every class)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list] = {name: [] for name, _ in PUBLISHED_SPLITS}
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_train, n_val = int(len(idx) * 0.8), int(len(idx) * 0.1)
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train : n_train + n_val])
        parts["test"].append(idx[n_train + n_val :])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def write_npz(published: ImageSet, path: Path, seed: int) -> None:
    """MedMNIST layout: `{split}_images` (n, h, w) for grayscale or (n, h, w, 3), and
    `{split}_labels` (n, 1) uint8; plus `label_names`, which MedMNIST code ignores."""
    images = published.images[..., 0] if published.shape[2] == 1 else published.images
    arrays = {"label_names": np.array(published.class_names)}
    for name, idx in published_splits(published.labels, seed).items():
        arrays[f"{name}_images"] = images[idx]
        arrays[f"{name}_labels"] = published.labels[idx].astype(np.uint8)[:, None]
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def write(published: ImageSet, split: Split, report: Report, folder: Path, context: dict) -> None:
    filename = data_file(context["dataset"], published.shape)
    write_npz(published, folder / filename, context["seed"])
    (folder / "plots").mkdir()
    figures = [_preview(published, index, folder / "plots") for index in range(len(published.class_names))]
    # One pixel-space memorization check feeds both the auditors' table and the pairs figure.
    check = memorization(privacy_pixels(published.as_float().images), privacy_pixels(split.train.as_float().images),
                         privacy_pixels(split.holdout.where_split("val").as_float().images))
    figures.append(_neighbours(published, split.train, check, folder / "plots"))
    figures.append(_histogram(published, split, folder / "plots"))
    _nearest_table(published, check, context["seed"], folder / "privacy_nearest_training.csv")
    h, w, c = published.shape
    counts = ", ".join(f"{name}: {n}" for name, n in published.class_counts().items())
    data_section = (
        f"- `{filename}`: {len(published)} synthetic images of {h}x{w} pixels, "
        f"{'grayscale' if c == 1 else 'RGB'}, uint8, in MedMNIST's layout (`train_images`, `train_labels`, "
        f"`val_…`, `test_…`; an 80/10/10 split of the synthetic images within each class) and "
        f"`label_names`. Per class: {counts}.\n"
        "- `privacy_nearest_training.csv`: for every synthetic image (by published split and index), its "
        "nearest training image (index in the source's train split), the pixel distance, and whether it is "
        "closer than the 95th-percentile similarity of unseen real images — the memorization check, per image.\n"
        "- `plots/`: a preview grid per class, the synthetic images most similar to a training image beside "
        "that training image, and pixel-intensity histograms.\n"
        "- `manifest.json`: sha256 and size of every file, schema, metrics, provenance.\n\n"
        f"Load with `synthpipe.load(\"{context['dataset']}\")` (arrays) or "
        f"`synthpipe.load(\"{context['dataset']}\", as_=\"torch\")` (a torch Dataset), or with numpy / "
        "the medmnist package pointed at this folder. Final claims about a model trained on these "
        "images should be measured on real test images."
    )
    card = render_card(
        title=f"{context['dataset']} — synthetic labelled medical images",
        summary=("Class-conditional synthetic images generated from real images and published only because "
                 "they passed the fidelity, utility and privacy gate below."),
        context=context, report=report, data_section=data_section, figures=figures,
        limitations=[
            "Not for diagnosis, and not a substitute for real images when validating a clinical model.",
            "Labels are the classes the generator was asked for, not a radiologist's reading of each image.",
            "Findings rarer than the training data's (or absent from it) are missing or under-represented.",
            "The nearest-neighbour figure shows real training images on purpose, for auditors; "
            "drop `plots/nearest_neighbours.png` before sharing beyond those allowed to see the source.",
        ],
    )
    (folder / "README.md").write_text(card)


def schema(published: ImageSet) -> dict:
    h, w, c = published.shape
    return {"images": {"shape": [len(published), h, w, c], "dtype": str(published.images.dtype),
                       "value_range": [0, 255]},
            "labels": {"classes": dict(enumerate(published.class_names)), "counts": published.class_counts()}}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "class"


def _grid(images: np.ndarray, columns: int) -> np.ndarray:
    """Tile (n, h, w, c) uint8 images into one (rows*h, columns*w, c) image with 1-pixel gaps."""
    n, h, w, c = images.shape
    rows = int(np.ceil(n / columns))
    canvas = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        canvas[r * (h + 1) : r * (h + 1) + h, col * (w + 1) : col * (w + 1) + w] = image
    return canvas


def _save_png(canvas: np.ndarray, path: Path, scale: int) -> None:
    from PIL import Image

    image = Image.fromarray(canvas[..., 0] if canvas.shape[2] == 1 else canvas)
    image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST).save(path)


def _scale_for(shape: tuple[int, int, int]) -> int:
    return max(1, 96 // shape[0])


def _preview(published: ImageSet, index: int, folder: Path) -> tuple[str, str]:
    name = published.class_names[index]
    images = published.images[published.labels == index][:64]
    path = folder / f"preview_{_slug(name)}.png"
    _save_png(_grid(images, 8), path, _scale_for(published.shape))
    return f"plots/{path.name}", f"Synthetic images of class {name!r} (first {len(images)})"


def _neighbours(published: ImageSet, train: ImageSet, check: dict, folder: Path) -> tuple[str, str]:
    """The synthetic images nearest to any training image (pixel space), each above its neighbour."""
    distance, index = check["distance"], check["index"]
    closest = np.argsort(distance)[:N_PAIRS]
    pairs = np.concatenate([published.images[closest], train.images[index[closest]]])
    path = folder / "nearest_neighbours.png"
    _save_png(_grid(pairs, len(closest)), path, _scale_for(published.shape))
    caption = (f"Top row: the {len(closest)} synthetic images closest to a training image; bottom row: that "
               f"training image (pixel distances {', '.join(f'{d:.2f}' for d in distance[closest])})")
    return f"plots/{path.name}", caption


def _histogram(published: ImageSet, split: Split, folder: Path) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    bins = np.arange(0, 257, 8)
    for images, label in ((split.train.images, "real train"), (split.holdout.where_split("test").images, "real test"),
                          (published.images, "synthetic")):
        ax.hist(images.ravel(), bins=bins, density=True, histtype="step", label=label)
    ax.set_xlabel("pixel intensity")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = folder / "intensity_histogram.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return f"plots/{path.name}", "Pixel-intensity histograms"


def _nearest_table(published: ImageSet, check: dict, seed: int, path: Path) -> None:
    """The pixel-space memorization check, one row per synthetic image, for auditors to re-check."""
    import pandas as pd

    part, position = np.empty(len(published), dtype=object), np.empty(len(published), dtype=np.int64)
    for name, idx in published_splits(published.labels, seed).items():
        part[idx], position[idx] = name, np.arange(len(idx))
    pd.DataFrame({
        "published_split": part, "published_index": position, "label": published.labels,
        "nearest_train_index": check["index"], "pixel_distance": check["distance"].round(6),
        "closer_than_unseen_real": check["distance"] < check["threshold"],
    }).to_csv(path, index=False)
