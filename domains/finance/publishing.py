"""Published files of a finance dataset: Parquet paths, plots and the data card."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from catalog.card import render_card
from domains.base import Split
from domains.finance.evaluation import fit_codec, metric_windows, return_indices
from domains.finance.priming import PRIME_DAYS
from domains.finance.stylized_facts import pooled_corr
from validation.report import Report

DATA_FILE = "data.parquet"


def write(published: pd.DataFrame, synthetic: np.ndarray, split: Split, report: Report, folder: Path,
          context: dict, window: int, conditions: str = "") -> None:
    published.to_parquet(folder / DATA_FILE, index=False)
    (folder / "plots").mkdir()
    figures = _plots(published, synthetic, split, folder / "plots", window)
    n_seq, length = synthetic.shape[:2]
    data_section = (
        f"- `{DATA_FILE}`: {n_seq} synthetic paths of {length} trading days ({len(published)} rows). "
        "Columns: `sequence_id`, `step` (1..length), the source's own columns in their own units, and "
        "`logret_<column>` = log(close_t / close_(t-1)) for every price series; at step 1 the return is "
        "relative to the path's (unpublished) starting level, which is a real training day's level (a day from "
        "which a real stretch of as many days runs, where the training blocks are that long); "
        f"a generator that reads history first continued up to {PRIME_DAYS} real days leading to that day, "
        "which are not published either.\n"
        "- `plots/`: real vs synthetic return distributions, ACF of |r|, sample paths.\n"
        "- `manifest.json`: sha256 and size of every file, schema, metrics, provenance.\n\n"
        "Load with `synthpipe.load(\"" + context["dataset"] + "\")` or `pandas.read_parquet`."
    )
    card = render_card(
        title=f"{context['dataset']} — synthetic daily market paths",
        summary=("Synthetic multi-asset daily market data generated from real data and published only "
                 "because it passed the fidelity and privacy gate below."),
        context=context, report=report, data_section=data_section, figures=figures,
        limitations=[
            "Not a forecast: paths are plausible scenarios, not predictions of any future market.",
            "Not for back-testing a strategy's real historical performance: dates are absent on purpose.",
            "Not evidence about a real firm, person or trade; prices start from real index levels only.",
            "Tail events rarer than those in the training period are under-represented.",
        ],
        conditions=conditions,
    )
    (folder / "README.md").write_text(card)


def regime_section(regime, table: pd.DataFrame) -> str:
    """The card's account of a regime run: what was asked and how the scenarios compare with the
    real periods of that regime (the gate's fidelity metrics were judged against those periods)."""
    rows = "\n".join(f"| {name} | " + " | ".join(f"{v:.4g}" for v in values) + " |" for name, values in table.iterrows())
    return f"""
## Regime
Scenarios of **{regime.describe()}**, measured on each whole path. Each path starts from the
levels of a real training day on which a real period of this regime began, generators that read
history continue the {PRIME_DAYS} days before it, and only paths that meet the regime were kept. The
fidelity metrics above judge them against the real days of this regime's periods, on both sides of
the split; the privacy metrics against every real day, as every training day is protected.

| measure | {' | '.join(table.columns)} |
|---|{'---:|' * len(table.columns)}
{rows}
"""


def schema(published: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in published.dtypes.items()}


def _plots(published: pd.DataFrame, synthetic: np.ndarray, split: Split, folder: Path, window: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    codec = fit_codec(split.train)
    train_w, holdout_w, synth_w = metric_windows(codec, split, synthetic, window)
    idx = return_indices(codec)
    names = codec.return_columns
    figures = []

    fig, axes = plt.subplots(1, len(idx), figsize=(3.2 * len(idx), 3), squeeze=False)
    for ax, i, name in zip(axes[0], idx, names):
        real, fake = train_w[:, 0, i], synth_w[..., i].ravel()
        bins = np.linspace(np.quantile(real, 0.001), np.quantile(real, 0.999), 60)
        ax.hist(real, bins=bins, density=True, alpha=0.5, label="real train")
        ax.hist(fake, bins=bins, density=True, alpha=0.5, label="synthetic")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
    axes[0][0].legend(fontsize=7)
    figures.append(_save(fig, folder / "return_distributions.png", "Daily log-return distributions (log scale)"))

    lags = np.arange(1, min(window, 21))
    fig, axes = plt.subplots(1, len(idx), figsize=(3.2 * len(idx), 3), squeeze=False)
    for ax, i, name in zip(axes[0], idx, names):
        for data, label in ((train_w, "real train"), (holdout_w, "real holdout"), (synth_w, "synthetic")):
            r = np.abs(data[..., i])
            ax.plot(lags, [pooled_corr(r, r, k) for k in lags], label=label)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(f"ACF |r| {name}", fontsize=9)
    axes[0][0].legend(fontsize=7)
    figures.append(_save(fig, folder / "acf_abs_returns.png", "Volatility clustering: ACF of absolute returns"))

    first = names[0]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for sequence_id in range(min(12, published["sequence_id"].nunique())):
        path = published.loc[published["sequence_id"] == sequence_id, first].to_numpy()
        ax.plot(path / path[0], lw=0.8)
    ax.set_title(f"Synthetic paths of {first}, normalised to 1 at step 1", fontsize=9)
    figures.append(_save(fig, folder / "sample_paths.png", "Sample synthetic paths"))
    return figures


def _save(fig, path: Path, caption: str) -> tuple[str, str]:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f"plots/{path.name}", caption
