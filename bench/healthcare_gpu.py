"""Training throughput and time to target of the `full` diffusion profile on a GPU.

    python bench/healthcare_gpu.py --npz PATH/pneumoniamnist.npz --epochs 10 20 40 60

For each epoch budget it trains the full profile's `ddpm` from scratch, then measures the
synthetic-trained classifier's AUC on the real test split and the Fréchet-distance and coverage
ratios (as the pipeline's report does). Time to target is the training time of the smallest budget
that reaches AUC ≥ 0.92 with FD ratio ≤ 1.5 and coverage ratio ≥ 0.8. Needs only torch, numpy,
scipy and scikit-learn (no Prefect or Great Expectations), so it runs on a bare GPU machine that
has the repository and a copy of the data. Prints a JSON line per budget and a table; with
`--write`, also writes its section of bench/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

AUC_TARGET, FD_RATIO_MAX, COVERAGE_RATIO_MIN = 0.92, 1.5, 0.8


def run_budget(epochs: int, data, classifier_config, per_class: int, seed: int) -> dict:
    import torch

    import generators
    from domains.healthcare.evaluation import _at_proportions
    from domains.healthcare.profiles import PROFILES
    from validation.feature_fidelity import frechet_distance, prdc
    from validation.image_features import ImageClassifier, auc_and_accuracy

    tr, te = data
    params = dict(PROFILES["full"].plan("ddpm").params, epochs=epochs, random_state=seed)
    model = generators.create("ddpm", **params)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.fit(tr)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    sy = model.sample(seed=seed, labels=np.repeat(np.arange(2), per_class))
    sample_s = time.perf_counter() - start
    sy_images = np.round(sy.images * 255) / 255  # as published: uint8
    real = ImageClassifier(classifier_config, seed).fit(tr.images, tr.labels, 2)
    synthetic = ImageClassifier(classifier_config, seed).fit(sy_images, sy.labels, 2)
    real_auc = auc_and_accuracy(real.predict_proba(te.images), te.labels)[0]
    auc = auc_and_accuracy(synthetic.predict_proba(te.images), te.labels)[0]
    f_sy, f_tr, f_te = real.embed(sy_images), real.embed(tr.images), real.embed(te.images)
    rng = np.random.default_rng(seed)
    si, ti = _at_proportions([sy.labels, tr.labels], te.labels, min(len(f_sy), len(f_tr)), rng)
    fd_ratio = frechet_distance(f_sy[si], f_te) / frechet_distance(f_tr[ti], f_te)
    coverage_ratio = prdc(f_te, f_sy[si])["coverage"] / prdc(f_te, f_tr[ti])["coverage"]
    return {"epochs": epochs, "device": model.device_, "fit_s": fit_s, "images_per_s": len(tr.images) * epochs / fit_s,
            "sample_s": sample_s, "sampled": len(sy_images), "auc": auc, "real_auc": real_auc,
            "fd_ratio": fd_ratio, "coverage_ratio": coverage_ratio,
            "on_target": auc >= AUC_TARGET and fd_ratio <= FD_RATIO_MAX and coverage_ratio >= COVERAGE_RATIO_MIN}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--npz", required=True, help="a PneumoniaMNIST .npz (MedMNIST layout)")
    parser.add_argument("--epochs", nargs="+", type=int, default=[10, 20, 40, 60])
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classifier-epochs", type=int, default=None, help="override (for a quick check of the script)")
    parser.add_argument("--write", action="store_true", help="write the healthcare-gpu section of BENCHMARKS.md")
    args = parser.parse_args()

    from domains.healthcare.profiles import PROFILES
    from domains.healthcare.sources import load_npz

    real = load_npz(Path(args.npz))
    data = (real.where_split("train").as_float(), real.where_split("test").as_float())
    classifier = PROFILES["full"].classifier
    if args.classifier_epochs:
        classifier = dataclasses.replace(classifier, epochs=args.classifier_epochs)
    rows = []
    for epochs in sorted(args.epochs):
        rows.append(run_budget(epochs, data, classifier, args.per_class, args.seed))
        print(json.dumps(rows[-1]), flush=True)
    lines = ["| epochs | device | fit s | train images/s | sample s (images) | AUC (real-trained) | FD ratio | "
             "coverage ratio | on target |", "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['epochs']} | {r['device']} | {r['fit_s']:.0f} | {r['images_per_s']:.0f} | "
                     f"{r['sample_s']:.1f} ({r['sampled']}) | {r['auc']:.3f} ({r['real_auc']:.3f}) | "
                     f"{r['fd_ratio']:.2f} | {r['coverage_ratio']:.2f} | {'yes' if r['on_target'] else 'no'} |")
    reached = [r for r in rows if r["on_target"]]
    verdict = (f"Time to target: {reached[0]['fit_s']:.0f} s of training ({reached[0]['epochs']} epochs)."
               if reached else "No budget reached the target.")
    table = "\n".join(lines)
    print(table, verdict, sep="\n")
    if args.write:
        from results import write_section

        command = "python bench/healthcare_gpu.py " + " ".join(sys.argv[1:])
        write_section("healthcare-gpu", f"## Healthcare `full` diffusion on a GPU: throughput and time to target\n\n"
                                        f"Produced by `{command}`, seed {args.seed}.\n\n{table}\n\n{verdict}\n")


if __name__ == "__main__":
    main()
