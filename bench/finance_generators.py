"""Benchmark finance generators on the default data: fit/sample time, peak memory, TimeGAN scores.

    python bench/finance_generators.py --profiles quick full --generators mdn-gru par

Each (generator, profile) pair runs in a fresh process so its peak memory is its own. With
`--pipeline`, also times one whole `synthpipe run finance` (quick) in a fresh data home.
Prints a table and writes bench/BENCHMARKS.md.
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
from harness import command_line, run_isolated, time_pipeline  # noqa: E402
from results import write_section  # noqa: E402


def one(generator: str, profile_name: str, seed: int, par_max_sequences: int) -> dict:
    """Fit, sample and score one generator under one profile (SDV PAR at its default settings)."""
    import generators
    from domains import get_domain
    from domains.finance.evaluation import evaluate

    finance = get_domain("finance")
    profile = finance.profile(profile_name)
    data = finance.load(finance.parse_source("arch"))
    split = finance.split(data, profile)
    train = finance.training_data(split.train, profile, generator)
    params = {} if generator == "par" else dict(profile.plan(generator).params)  # PAR: SDV defaults
    model = generators.create(generator, **params, random_state=seed)
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    request = finance.sample_request(profile, split.train, None)
    n, length = request["n"], request["length"]
    if generator == "par":  # PAR samples step by step in Python: cap its count to keep the run finite
        n = min(n, par_max_sequences)
    start = time.perf_counter()
    synthetic, published = finance.sample(model, split, {"n": n, "length": length}, seed)
    sample_s = time.perf_counter() - start  # includes decoding to prices
    report = evaluate(split, synthetic, published, profile, seed)
    metrics = {m.name: (m.value, m.baseline) for m in report.metrics}
    return {
        "generator": generator, "profile": profile_name, "params": params, "train_windows": list(train.shape),
        "samples": [n, length], "fit_s": fit_s, "sample_s": sample_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "discriminative": metrics["discriminative_score"], "predictive": metrics["predictive_score"],
        "closer_to_train": metrics["closer_to_train_share"][0], "mia_auc": metrics["membership_inference_auc"][0],
        "verdict": report.verdict, "failures": [m.name for m in report.failures],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["quick"])
    parser.add_argument("--generators", nargs="+", default=["mdn-gru", "par"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pipeline", action="store_true", help="also time one whole quick pipeline run")
    parser.add_argument("--par-max-sequences", type=int, default=500,
                        help="sample at most this many paths from SDV PAR (its sampling is slow)")
    parser.add_argument("--one", nargs=2, metavar=("GENERATOR", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.seed, args.par_max_sequences)))
        return

    rows = run_isolated(__file__, args.generators, args.profiles,
                        ["--seed", str(args.seed), "--par-max-sequences", str(args.par_max_sequences)])
    header = ("| generator | profile | train windows | fit s | sample s (paths x days) | peak RSS MB | "
              "discriminative (baseline) | predictive (baseline) | closer-to-train | MIA AUC | gate |\n"
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    gate = lambda r: r["verdict"] + (f" ({', '.join(r['failures'])})" if r.get("failures") else "")
    lines = [header]
    for r in rows:
        lines.append(
            f"| {r['generator']} | {r['profile']} | {r['train_windows'][0]}x{r['train_windows'][1]} | {r['fit_s']:.1f} | "
            f"{r['sample_s']:.2f} ({r['samples'][0]}x{r['samples'][1]}) | {r['peak_rss_mb']:.0f} | "
            f"{r['discriminative'][0]:.3f} ({r['discriminative'][1]:.3f}) | {r['predictive'][0]:.4f} "
            f"({r['predictive'][1]:.4f}) | {r['closer_to_train']:.3f} | {r['mia_auc']:.3f} | {gate(r)} |")
    table = "\n".join(lines)
    pipeline = f"\nWhole `synthpipe run finance` (quick profile, fresh data home, Prefect local mode): " \
               f"{time_pipeline('finance')[0]:.0f} s wall.\n" if args.pipeline else ""
    print(table)
    print(pipeline)
    text = f"""## Finance generators on the default data (S&P 500 + NASDAQ OHLCV, VIX, WTI; common days 2014-2018)

Produced by `{command_line(__file__)}` on {os.cpu_count()} CPU cores ({platform.machine()}), seed {args.seed}.
SDV PAR runs with its default settings (128 epochs) on the profile's training windows, sampling at most
{args.par_max_sequences} paths; `mdn-gru` uses the profile's parameters and sample count.
Scores are on 24-step windows, min-max scaled on real train; the baseline is real holdout vs real train
(discriminative) or a forecaster trained on real train (predictive). Lower is better for both.

{table}
{pipeline}"""
    write_section("finance", text)


if __name__ == "__main__":
    main()
