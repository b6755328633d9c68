"""Benchmark image generators on PneumoniaMNIST 28x28: utility, fidelity, privacy and cost.

    python bench/healthcare_generators.py --profiles quick --generators ddpm cvae --pipeline

Each (generator, profile) pair runs in a fresh process so its peak memory is its own. The data is
the default source (`medmnist:pneumoniamnist`, read from the local cache or
$SYNTHPIPE_MEDMNIST_DIR) unless `--source` says otherwise. With `--pipeline`, also times one whole
`synthpipe run healthcare` (quick) in a fresh data home. Prints a table and writes its section of
bench/BENCHMARKS.md. Targets (issue: healthcare images) are printed beside the figures.
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


def one(generator: str, profile_name: str, seed: int, source: str | None) -> dict:
    """Fit, sample and score one generator under one profile."""
    import torch

    import generators
    from domains import get_domain
    from domains.healthcare.evaluation import evaluate

    healthcare = get_domain("healthcare")
    profile = healthcare.profile(profile_name)
    home = Path(os.environ.get("SYNTHPIPE_HOME", "data"))
    data = healthcare.load(healthcare.parse_source(source), home=home)
    split = healthcare.split(data, profile)
    train = healthcare.training_data(split.train, profile, generator)
    model = generators.create(generator, **profile.plan(generator).params, random_state=seed)
    epochs = getattr(model, "epochs", 0)
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    request = healthcare.sample_request(profile, split.train, None)
    start = time.perf_counter()
    synthetic = model.sample(seed=seed, **request)
    sample_s = time.perf_counter() - start
    published = healthcare.decode(synthetic, split.train, seed)
    start = time.perf_counter()
    report = evaluate(split, synthetic, published, profile, seed)
    eval_s = time.perf_counter() - start
    m = {x.name: x for x in report.metrics}
    return {
        "generator": generator, "profile": profile_name, "seed": seed, "epochs": epochs,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "train_images": len(train), "fit_s": fit_s,
        "train_images_per_s": len(train) * epochs / fit_s if epochs else None,
        "sampled": len(published), "sample_s": sample_s, "eval_s": eval_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "auc": (m["classifier_auc"].value, m["classifier_auc"].baseline),
        "accuracy": (m["classifier_accuracy"].value, m["classifier_accuracy"].baseline),
        "fd": (m["frechet_distance"].value, m["frechet_distance"].baseline),
        "coverage": (m["coverage"].value, m["coverage"].baseline),
        "precision": (m["precision"].value, m["precision"].baseline),
        "recall": (m["recall"].value, m["recall"].baseline),
        "memorization_pixel": m["memorization_share_pixel"].value,
        "memorization_encoder": m["memorization_share_encoder"].value,
        "mia_auc": m["membership_inference_auc"].value,
        "verdict": report.verdict, "failures": [x.name for x in report.failures],
    }


def merge_runs(rows: list[dict], pipeline: dict | None) -> tuple[list[dict], dict | None]:
    """Keep the newest row per (generator, profile, seed), and the newest pipeline timing, across
    runs, so profiles and seeds can be benchmarked separately (the full profile takes long on a CPU)."""
    store = HERE / "healthcare_runs.json"
    saved = json.loads(store.read_text()) if store.is_file() else {"rows": [], "pipeline": None}
    key = lambda r: (r["generator"], r["profile"], r.get("seed", 0))  # noqa: E731 (rows before seeds: 0)
    kept = {key(r): r for r in saved["rows"]}
    kept.update({key(r): r for r in rows})
    order = {"quick": 0, "full": 1}
    merged = sorted(kept.values(), key=lambda r: (order.get(r["profile"], 2), r["generator"] != "ddpm",
                                                  r.get("seed", 0)))
    pipeline = pipeline or saved["pipeline"]
    store.write_text(json.dumps({"rows": merged, "pipeline": pipeline}, indent=1))
    return merged, pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["quick"])
    parser.add_argument("--generators", nargs="+", default=["ddpm", "cvae"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", default=None, help="image source (default: the domain's default)")
    parser.add_argument("--pipeline", action="store_true", help="also time one whole quick pipeline run")
    parser.add_argument("--one", nargs=2, metavar=("GENERATOR", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.seed, args.source)))
        return

    command = command_line(__file__)
    extra = ["--seed", str(args.seed)] + (["--source", args.source] if args.source else [])
    rows = [dict(row, command=command) for row in run_isolated(__file__, args.generators, args.profiles, extra)]
    timing = None
    if args.pipeline:
        seconds, last = time_pipeline("healthcare", ["--source", args.source] if args.source else [])
        timing = {"seconds": seconds, "printed": last, "command": command}
    rows, timing = merge_runs(rows, timing)
    header = ("| generator | profile | seed | epochs | device | fit s (train img/s) | sample s (images) | eval s | "
              "peak RSS MB | "
              "synthetic-trained AUC (real-trained) | FD (train vs test) | FD ratio | coverage (baseline) | "
              "memorization pixel / encoder | MIA AUC | gate |\n"
              "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    lines = [header]
    for r in rows:
        gate = r["verdict"] + (f" ({', '.join(r['failures'])})" if r["failures"] else "")
        speed = f" ({r['train_images_per_s']:.0f})" if r["train_images_per_s"] else ""
        lines.append(
            f"| {r['generator']} | {r['profile']} | {r.get('seed', 0)} | {r['epochs']} | {r['device']} | "
            f"{r['fit_s']:.0f}{speed} | "
            f"{r['sample_s']:.1f} ({r['sampled']}) | {r['eval_s']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['auc'][0]:.3f} ({r['auc'][1]:.3f}) | {r['fd'][0]:.3f} ({r['fd'][1]:.3f}) | "
            f"{r['fd'][0] / r['fd'][1]:.2f} | {r['coverage'][0]:.3f} ({r['coverage'][1]:.3f}) | "
            f"{r['memorization_pixel']:.3f} / {r['memorization_encoder']:.3f} | {r['mia_auc']:.3f} | {gate} |")
    table = "\n".join(lines)
    pipeline = "" if timing is None else (
        f"\nWhole `synthpipe run healthcare` (quick profile, fresh data home, Prefect local mode): "
        f"{timing['seconds']:.0f} s wall; it printed `{timing['printed']}` (from `{timing['command']}`).\n")
    print(table)
    print(pipeline)
    commands = "\n".join(f"- `{c}`" for c in dict.fromkeys(r["command"] for r in rows))
    write_section("healthcare", f"""## Healthcare image generators on PneumoniaMNIST (28x28, 4,708 train / 524 val / 624 test)

Rows produced on {os.cpu_count()} CPU cores ({platform.machine()}) by:
{commands}

Utility: a small CNN trained only on the synthetic images, ROC AUC on the real test split (in
brackets: the same CNN trained on the real train split). FD: Fréchet distance to the real test split
in the feature space of that real-trained CNN (in brackets: real train vs real test at the same
sample size); coverage likewise. Memorization: share of synthetic images nearer a training image
than the 95th-percentile similarity of unseen real (val) images. Targets: AUC ≥ 0.85 (quick) /
0.92 (full), FD ratio ≤ 1.5, coverage ≥ 0.8 x baseline, memorization ≤ 0.05, MIA AUC ≤ 0.55.

{table}
{pipeline}""")


if __name__ == "__main__":
    main()
