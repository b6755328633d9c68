"""The finance issue's cost targets: the `full` profile trains in under 20 minutes on 2 CPU cores,
and 10,000 paths of 252 days sample in under 30 seconds on CPU.

    python bench/finance_cost.py
    python bench/finance_cost.py --datasets arch --generators mdn-gru --profiles full --seeds 3

For each dataset, generator, profile and seed, in a fresh process (so peak memory is its own): fit
on the training blocks, then sample `--paths` paths of `--days` days the way the record does (start
days, and the start levels and history a generator that reads them), timing each. Prints a table
and writes the `finance-cost` section of bench/BENCHMARKS.md. The record (bench/finance_record.py) times the
same sampling beside its scores; this script measures cost alone, in minutes rather than hours.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from finance_record import spread  # noqa: E402
from harness import command_line, run_isolated  # noqa: E402
from results import write_section  # noqa: E402

FIT_TARGET_S = 20 * 60  # `full`, on 2 CPU cores
SAMPLE_TARGET_S = 30.0  # 10,000 paths of 252 days


def one(dataset: str, generator: str, profile_name: str, seed: int, paths: int, days: int) -> dict:
    """Fit one generator and time one sampling of `paths` x `days`."""
    import torch

    import generators
    from domains import get_domain
    from domains.finance.domain import draw_paths
    from domains.finance.evaluation import fit_codec

    finance = get_domain("finance")
    profile = finance.profile(profile_name)
    split = finance.split(finance.load(finance.parse_source(dataset)), profile)
    train = finance.training_data(split.train, profile, generator)
    model = generators.create(generator, **profile.plan(generator).params, random_state=seed)
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    codec = fit_codec(split.train)
    start = time.perf_counter()
    sampled = draw_paths(model, split.train, codec, paths, days, seed + 1)[0]
    sample_s = time.perf_counter() - start
    return {"dataset": dataset, "generator": generator, "profile": profile_name, "seed": seed,
            "features": int(sampled.shape[-1]), "fit_s": fit_s, "sample_s": sample_s, "paths": paths, "days": days,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "torch_threads": torch.get_num_threads()}


def table(rows: list[dict]) -> str:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["generator"], r["profile"]), []).append(r)
    lines = ["| dataset | generator | profile | seeds | features | fit s | sample s (paths x days) | peak RSS MB | "
             "torch threads | targets met |", "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for (dataset, generator, profile), g in groups.items():
        fit, sample = [r["fit_s"] for r in g], [r["sample_s"] for r in g]
        scaled = g[0]["paths"] == 10_000 and g[0]["days"] == 252
        met = [f"fit {'yes' if max(fit) < FIT_TARGET_S else 'no'}" if profile == "full" else None,
               f"sampling {'yes' if max(sample) < SAMPLE_TARGET_S else 'no'}" if scaled else None]
        lines.append(f"| `{dataset}` | {generator} | {profile} | {len(g)} | {g[0]['features']} | {spread(fit, 1)} | "
                     f"{spread(sample, 2)} ({g[0]['paths']}x{g[0]['days']}) | {max(r['peak_rss_mb'] for r in g):.0f} | "
                     f"{g[0]['torch_threads']} | {', '.join(m for m in met if m) or '—'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["arch:sp500", "arch"])
    parser.add_argument("--generators", nargs="+", default=["mdn-gru", "mdn-gru-levels"])
    parser.add_argument("--profiles", nargs="+", default=["quick", "full"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)  # of one --one run
    parser.add_argument("--one", nargs=2, metavar=("GENERATOR", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.dataset, *args.one, args.seed, args.paths, args.days)))
        return

    rows = [row for dataset in args.datasets for seed in range(args.seed, args.seed + args.seeds)
            for row in run_isolated(__file__, args.generators, args.profiles,
                                    ["--dataset", dataset, "--seed", str(seed), "--paths", str(args.paths),
                                     "--days", str(args.days)])]
    text = table(rows)
    print(text)
    write_section("finance-cost", f"""## Finance cost: fit and sampling time

Produced by `{command_line(__file__)}` on {os.cpu_count()} CPU cores
({platform.machine()}), seeds {', '.join(map(str, range(args.seed, args.seed + args.seeds)))}.
Targets (finance issue): the `full` profile fits in under 20 minutes on 2 CPU cores; 10,000 paths of
252 days sample in under 30 s on CPU. Mean ± standard deviation over seeds; "targets met" needs every seed.

{text}
""")


if __name__ == "__main__":
    main()
