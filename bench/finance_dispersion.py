"""How wide the finance model's days are: `mdn-gru` with Gaussian and with Student-t components.

    python bench/finance_dispersion.py                          # joint set and S&P 500, seeds 0-2
    python bench/finance_dispersion.py --datasets arch --seeds 1

For each dataset, seed and component law, the `quick` model is fitted on the training blocks, then
* the negative log-likelihood per feature of a day, on the training windows it learnt from and on
  the holdout blocks' windows (in the model's standardised units; lower is better, and a gap says
  the model is sure of days it has seen and not of new ones);
* the variance of each feature over 1,000 sampled paths of 252 days (started and primed as the
  pipeline starts them, the first 5 days left out) over the training days' variance, averaged over
  features (1.0: as wide as the data);
* the 99th percentile of the first asset's |daily log return| over the real one's.
Prints the table and writes the `finance-dispersion` section of bench/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import command_line  # noqa: E402
from results import write_section  # noqa: E402

TAILS = ("gaussian", "student-t")
SETTLE_DAYS = 5  # sampled days left out at the start of each path, where the primed history still leads


def measure(dataset: str, tails: str, seed: int) -> dict[str, float]:
    import numpy as np
    import torch

    import generators
    from domains import get_domain
    from domains.finance.domain import draw_paths
    from domains.finance.evaluation import fit_codec
    from domains.finance.windows import segments, windows_of

    finance = get_domain("finance")
    profile = finance.profile("quick")
    split = finance.split(finance.load(finance.parse_source(dataset)), profile)
    codec = fit_codec(split.train)
    model = generators.create("mdn-gru", **profile.plan("mdn-gru").params, tails=tails, random_state=seed)
    model.fit(finance.training_data(split.train, profile, "mdn-gru"))

    def nll(windows: np.ndarray) -> float:
        z = torch.as_tensor((windows - model.mean_) / model.std_, dtype=torch.float32)
        with torch.no_grad():
            return float(-model.network_.log_likelihood(z).mean()) / windows.shape[2]

    train_days = np.concatenate([codec.encode(part) for part in segments(split.train)])
    paths = draw_paths(model, split.train, codec, 1000, 252, seed + 1)[0][:, SETTLE_DAYS:]
    sampled = paths.reshape(-1, paths.shape[2])
    return {
        "nll_train": nll(windows_of(split.train, codec.encode, profile.train_window)[0]),
        "nll_holdout": nll(windows_of(split.holdout, codec.encode, profile.train_window)[0]),
        "variance_ratio": float(np.mean(sampled.var(0) / train_days.var(0))),
        "tail_ratio": float(np.quantile(np.abs(sampled[:, 0]), 0.99) / np.quantile(np.abs(train_days[:, 0]), 0.99)),
    }


def table(results: dict[tuple[str, str], list[dict[str, float]]]) -> str:
    def cell(values: list[float]) -> str:
        mean = statistics.mean(values)
        return f"{mean:.3f}" if len(values) == 1 else f"{mean:.3f} ± {statistics.stdev(values):.3f}"

    lines = ["| dataset | components | seeds | NLL / feature, training windows | NLL / feature, holdout windows | "
             "sampled variance / real | 99th pct \\|r\\| / real |", "|---|---|---:|---:|---:|---:|---:|"]
    for (dataset, tails), rows in results.items():
        lines.append(f"| `{dataset}` | {tails} | {len(rows)} | " + " | ".join(
            cell([r[key] for r in rows]) for key in ("nll_train", "nll_holdout", "variance_ratio", "tail_ratio")) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["arch", "arch:sp500"])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for dataset in args.datasets:
        for tails in TAILS:
            for seed in range(args.seeds):
                print(f"{dataset}, {tails} components, seed {seed} ...", file=sys.stderr, flush=True)
                results.setdefault((dataset, tails), []).append(measure(dataset, tails, seed))
    text = table(results)
    print(text)
    write_section("finance-dispersion", f"""## Finance model dispersion: Gaussian vs Student-t components

Produced by `{command_line(__file__)}` on {platform.machine()}, `quick` profile, mean ± standard
deviation over seeds. NLL in the model's standardised units, per feature of a day; the variance
ratio is over 1,000 sampled paths of 252 days (days {SETTLE_DAYS + 1} on), averaged over features.

{text}
""")


if __name__ == "__main__":
    main()
