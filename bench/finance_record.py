"""The finance record: our generator beside the alternatives users have, on the issue's measures.

    python bench/finance_record.py                       # everything, 5 seeds (hours on 2 cores)
    python bench/finance_record.py --configs mdn-gru-quick garch-t block-bootstrap --seeds 5

For each dataset (`arch:sp500`, the S&P 500 OHLCV as in the TimeGAN stock data, and `arch`, the
joint S&P 500 / NASDAQ / VIX / WTI set), each configuration and each seed, in a fresh process:
fit on the training blocks, then
* TimeGAN protocol (domains/finance/record.py): as many 24-day synthetic windows as real
  training windows, decoded to price levels, min-max scaled; discriminative score against the
  real training windows, predictive score (train on synthetic, test on real holdout) beside the
  real-on-real one; the discriminative score also as the mean over `--classifier-runs` runs of
  the classifier, as TimeGAN's code reports it;
* long paths: `--long-paths` paths of `--long-length` days; distances of their stylized facts to
  the real history (1- and 20-day return EMD, ACF of r, |r|, r^2 to lag 100, leverage, tail index);
* privacy on every 24-day stretch of the long paths;
* cost: fit seconds, seconds to sample `--cost-paths` paths of 252 days, peak RSS.
Beside the generators, real data as references: real moves restarted in another training block
(the discriminative scores a generator that does not retrace the history can hardly beat) and real
training blocks set aside (the privacy attacks' scores for fresh market days).
Prints the tables and writes the `finance-record` section of bench/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import command_line  # noqa: E402
from results import write_section  # noqa: E402

# name -> (generator, profile, parameter overrides, at most this many paths sampled at once)
CONFIGS = {
    "mdn-gru-quick": ("mdn-gru", "quick", {}, None),
    "mdn-gru-full": ("mdn-gru", "full", {}, None),
    "mdn-gru-mapped-quick": ("mdn-gru", "quick", {"match_marginals": True}, None),
    "mdn-gru-mapped-full": ("mdn-gru", "full", {"match_marginals": True}, None),
    "mdn-gru-student-t-quick": ("mdn-gru", "quick", {"tails": "student-t"}, None),
    "mdn-gru-student-t-full": ("mdn-gru", "full", {"tails": "student-t"}, None),
    "mdn-gru-levels-quick": ("mdn-gru-levels", "quick", {}, None),
    "mdn-gru-levels-full": ("mdn-gru-levels", "full", {}, None),
    "par": ("par", "quick", {"epochs": 128}, 300),  # SDV's defaults; it samples row by row in Python
    "par-512": ("par", "quick", {"epochs": 512}, 300),
    "garch-t": ("garch-t", "quick", {}, None),
    "block-bootstrap": ("block-bootstrap", "quick", {}, None),
}
DATASETS = ("arch:sp500", "arch")
FACTS = ("emd_1d", "emd_20d", "acf_r", "acf_abs_r", "acf_r2", "leverage", "tail_index")


def one(dataset: str, config: str, seed: int, long_paths: int, long_length: int, cost_paths: int,
        fold: int | None = None, only: str | None = None, classifier_runs: int = 1) -> dict:
    """One row: every figure, or with `only` just the TimeGAN scores (`"timegan"`), just the
    discriminative score over `classifier_runs` runs (`"runs"`) or just what is measured on the
    long paths (`"paths"`: their stylized facts and privacy)."""
    import torch

    import generators
    from domains import get_domain
    from domains.finance.domain import draw_paths
    from domains.finance.evaluation import fit_codec
    from domains.finance.record import (ScoredWindows, discriminative_runs, long_path_scores, privacy_scores,
                                        timegan_scores)
    from domains.finance.windows import days, segments

    name, profile_name, overrides, cap = CONFIGS[config]
    finance = get_domain("finance")
    profile = finance.profile(profile_name).with_overrides(holdout_fold=fold)
    data = finance.load(finance.parse_source(dataset))
    split = finance.split(data, profile)
    codec = fit_codec(split.train)
    train = finance.training_data(split.train, profile, name)
    params = {**profile.plan(name).params, **overrides}
    model = generators.create(name, **params, random_state=seed)
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start

    if only != "paths":
        n_windows = sum(max(len(part) - profile.window + 1, 0) for part in segments(split.train))
        n_windows = min(n_windows, cap or n_windows)
        _, windows = finance.sample(model, split, {"n": n_windows, "length": profile.window}, seed)
        scored = ScoredWindows.of(split, windows, profile.window, seed)
        measured_runs = discriminative_runs(scored, seed, classifier_runs)
        runs = {"timegan_runs": measured_runs} if classifier_runs > 1 else {}
        if only == "runs":
            return runs
        scores = timegan_scores(scored, seed, measured_runs)
        if only == "timegan":
            return {"timegan": scores}

    # The long paths are the first of the paths the cost is timed on, so they are drawn the same way.
    n_cost = min(cost_paths, cap or cost_paths)
    start = time.perf_counter()
    paths = draw_paths(model, split.train, codec, n_cost, 252, seed + 1)[0]
    sample_s = time.perf_counter() - start
    n_long = min(long_paths, cap or long_paths)
    long = paths[:n_long] if long_length == 252 else draw_paths(model, split.train, codec, n_long, long_length,
                                                                seed + 2)[0]
    measured = {"long": long_path_scores(long, days(data), codec),
                "privacy": privacy_scores(split, long, codec, profile.window, seed)}
    if only == "paths":
        return measured
    return {
        "dataset": dataset, "config": config, "seed": seed, **({"fold": fold} if fold is not None else {}),
        "params": params, "train_windows": list(train.shape),
        "fit_s": fit_s, "sample_s": sample_s, "sampled": n_cost, "timegan": scores, **runs,
        **measured, "long_paths": [n_long, long_length],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_threads": torch.get_num_threads(),
    }


def fold_count() -> int:
    """Folds of the finance profiles' blocked split (every how many-th block is held out)."""
    from domains import get_domain
    from domains.finance.windows import holdout_folds

    return holdout_folds(get_domain("finance").profile("quick").holdout_fraction)


def run_all(args) -> list[dict]:
    rows = []
    folds = fold_count() if args.rotate_holdout else None
    for dataset in args.datasets:
        for config in args.configs:
            for seed in range(args.seed, args.seed + args.seeds):
                fold = seed % folds if folds else None
                print(f"running {config} on {dataset}, seed {seed}" + (f", holdout fold {fold}" if fold is not None
                      else "") + " ...", file=sys.stderr, flush=True)
                command = [sys.executable, __file__, "--one", dataset, config, "--seed", str(seed),
                           "--long-paths", str(args.long_paths), "--long-length", str(args.long_length),
                           "--cost-paths", str(args.cost_paths), "--classifier-runs", str(args.classifier_runs)] \
                    + (["--fold", str(fold)] if fold is not None else [])
                out = subprocess.run(command, capture_output=True, text=True)
                if out.returncode != 0:
                    print(out.stderr[-3000:], file=sys.stderr)
                    continue
                rows.append(dict(json.loads(out.stdout.strip().splitlines()[-1]), run=command_line(__file__)))
                with open(args.rows, "a") as handle:  # a long run keeps what it has if stopped
                    handle.write(json.dumps(rows[-1]) + "\n")
    return rows


def row_key(row: dict) -> tuple:
    return row["dataset"], row["config"], row["seed"], row.get("fold")


RESCORED = {"timegan": ("rescored", "TimeGAN scores measured again"),
            "runs": ("rescored_runs", "TimeGAN's discriminative score measured over several classifier runs"),
            "paths": ("rescored_paths", "long-path facts and privacy measured again")}


def rescore(args) -> None:
    """`--rescore [timegan|runs|paths]`: measure some figures of stored rows again. Each row's
    model is fitted again with its seed; then only its 24-day windows are drawn and given the
    TimeGAN scores (`timegan`) or the discriminative score over `--classifier-runs` runs
    (`runs`), or only its long paths are drawn, as many as the row drew, and given their
    stylized facts and privacy (`paths`). Its other figures stay as they were run, so use
    it only after a change that leaves those alone. Each new figure is written back under a lock
    on the rows file, so runs over different configurations may share it; with `--resume`, rows
    this same command measured before it was stopped are left as they are."""
    import fcntl

    key, _ = RESCORED[args.rescore]
    command = command_line(__file__, [a for a in sys.argv[1:] if a != "--resume"])
    todo = rows_to_rescore(read_rows(Path(args.rows)), args, command if args.resume else None)
    for row in todo:
        fold = ["--fold", str(row["fold"])] if "fold" in row else []
        sizes = ["--long-paths", str(row["long_paths"][0]), "--long-length", str(row["long_paths"][1]),
                 "--cost-paths", str(row["sampled"])]
        print(f"rescoring {row['config']} on {row['dataset']}, seed {row['seed']} ...", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, __file__, "--one", row["dataset"], row["config"], "--seed",
                              str(row["seed"]), "--only", args.rescore, "--classifier-runs", str(args.classifier_runs),
                              *sizes, *fold], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            continue
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        if "long" in measured and not all(math.isclose(measured["long"][k], v, rel_tol=1e-4, abs_tol=1e-9)
                                          for k, v in row["long"].items()):
            # The long-path facts depend on nothing the privacy measures changed: a difference
            # (beyond float noise, e.g. of the GARCH optimiser) means the model did not fit or
            # sample the same as when the row was run.
            print(f"  its long-path facts differ from the stored ones: {row['long']} -> {measured['long']}",
                  file=sys.stderr)
        if "timegan_runs" in measured and "timegan" in row and not math.isclose(
                measured["timegan_runs"]["discriminative"][0], row["timegan"]["discriminative"], abs_tol=1e-9):
            # Run 0 is the single run the row stored (same windows, same classifier seed).
            print(f"  its first classifier run differs from the stored score: {row['timegan']['discriminative']} -> "
                  f"{measured['timegan_runs']['discriminative'][0]}", file=sys.stderr)
        with open(args.rows, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            rows = parse_rows(handle.read())
            for stored in rows:
                if row_key(stored) == row_key(row):
                    stored.update(measured, **{key: command})
            handle.seek(0)
            handle.write("".join(json.dumps(r) + "\n" for r in rows))
            handle.truncate()


def rows_to_rescore(rows: list[dict], args, resumed: str | None = None) -> list[dict]:
    """The stored rows `--rescore` measures again: those of the chosen datasets and configurations
    (rotating-holdout rows only with `--rotate-holdout`), less, when `resumed` names a rescore
    command, the rows that command already measured."""
    key, _ = RESCORED[args.rescore]
    return [r for r in rows if r["dataset"] in args.datasets and r["config"] in args.configs
            and ("fold" in r) == args.rotate_holdout and (resumed is None or r.get(key) != resumed)]


def read_rows(path: Path) -> list[dict]:
    return parse_rows(path.read_text())


def parse_rows(text: str) -> list[dict]:
    """The rows of a rows file's text: one JSON object per non-blank line."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def spread(values: list[float], digits: int = 3) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


ROTATING = ", holdout rotating over the folds"


def label(row: dict) -> str:
    """The table a row belongs in: its dataset, apart for runs that rotate the holdout."""
    return row["dataset"] + (ROTATING if "fold" in row else "")


def real_references(rows: list[dict], rounds: int = 20, discriminative_rounds: int = 5
                    ) -> dict[str, dict[str, list[float]]]:
    """Per table, what real data scores (the split is the same under every profile): the privacy
    attacks on real windows no side holds, what a generator drawing fresh market days would score,
    and on the two yardsticks of `privacy_yardsticks`;
    the discriminative scores of real moves restarted in another block, what a generator that
    moves exactly as the market does, without retracing its history, would score. Over rotating
    holdouts, the rounds are shared among the folds the rows used."""
    from domains import get_domain
    from domains.finance.evaluation import fit_codec
    from domains.finance.record import privacy_yardsticks, real_discriminative_reference, real_privacy_reference

    finance = get_domain("finance")
    references = {}
    for table in dict.fromkeys(label(r) for r in rows):
        dataset = next(r["dataset"] for r in rows if label(r) == table)
        folds = sorted({r["fold"] for r in rows if label(r) == table and "fold" in r}) or [None]
        data = finance.load(finance.parse_source(dataset))
        scores: dict[str, list[float]] = {}
        for fold in folds:
            profile = finance.profile("quick").with_overrides(holdout_fold=fold)
            split = finance.split(data, profile)
            codec, privacy_rounds = fit_codec(split.train), max(1, rounds // len(folds))
            reference = real_privacy_reference(split, codec, profile.window, seed=0, rounds=privacy_rounds)
            reference |= privacy_yardsticks(split, codec, profile.window, seed=0, rounds=privacy_rounds)
            reference |= real_discriminative_reference(split, profile.window, seed=0,
                                                       rounds=max(1, discriminative_rounds // len(folds)))
            for key, values in reference.items():
                scores.setdefault(key, []).extend(values)
        references[table] = scores
    return references


def tables(rows: list[dict], references: dict[str, dict[str, list[float]]] | None = None) -> str:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((label(r), r["config"]), []).append(r)
    mean = lambda group, get: statistics.mean(get(r) for r in group)  # noqa: E731
    out = []
    for dataset in dict.fromkeys(label(r) for r in rows):
        configs = [(c, g) for (d, c), g in groups.items() if d == dataset]
        garch = groups.get((dataset, "garch-t"))
        heading = f"`{dataset.removesuffix(ROTATING)}`" + (ROTATING if dataset.endswith(ROTATING) else "")
        out.append(f"\n### {heading}\n")
        out.append("| generator | seeds | discriminative (real holdout) | discriminative, blocked (real holdout) | "
                   "predictive (real-on-real) | fit s | sample s (paths x 252 d) | peak RSS MB |\n"
                   "|---|---:|---:|---:|---:|---:|---:|---:|")
        if references and "discriminative" in references.get(dataset, {}):
            ref = references[dataset]
            out.append(f"| real moves, restarted in another block (reference, {len(ref['discriminative'])} draws) | "
                       f"— | {spread(ref['discriminative'])} | {spread(ref['discriminative_blocked'])} | — | — | — | — |")
        for config, g in configs:
            t = lambda key: [r["timegan"][key] for r in g]  # noqa: E731
            out.append(f"| {config} | {len(g)} | {spread(t('discriminative'))} ({spread(t('discriminative_real'))}) | "
                       f"{spread(t('discriminative_blocked'))} ({spread(t('discriminative_blocked_real'))}) | "
                       f"{spread(t('predictive'), 4)} ({spread(t('predictive_real'), 4)}) | "
                       f"{spread([r['fit_s'] for r in g], 1)} | {spread([r['sample_s'] for r in g], 2)} "
                       f"({g[0]['sampled']}) | {max(r['peak_rss_mb'] for r in g):.0f} |")
        out.extend(classifier_runs_table(configs))
        out.append("\nLong paths: distance of each stylized fact to the real history (lower is better; "
                   "mean over seeds), and on how many facts the mean beats `garch-t`'s.\n")
        out.append(f"| generator | paths x days | {' | '.join(FACTS)} | closer than garch-t |\n"
                   f"|---|---|{'---:|' * len(FACTS)}---:|")
        for config, g in configs:
            values = [mean(g, lambda r, f=f: r["long"][f]) for f in FACTS]
            beats = "—" if garch is None or config == "garch-t" else \
                f"{sum(v < mean(garch, lambda r, f=f: r['long'][f]) for v, f in zip(values, FACTS))} of {len(FACTS)}"
            out.append(f"| {config} | {g[0]['long_paths'][0]}x{g[0]['long_paths'][1]} | "
                       f"{' | '.join(f'{v:.4f}' for v in values)} | {beats} |")
        out.append("\nPrivacy on every 24-day stretch of the long paths (targets: closer-to-train ≤ 0.55, "
                   "membership AUC ≤ 0.55; memorized ≈ 0.05 for a generator that copies nothing; copied = "
                   "share of stretches that repeat 24 training days exactly). The reference row scores real "
                   "windows instead: as many training blocks as the holdout has, set aside in turn and compared "
                   "with the other training blocks and the holdout (domains/finance/record.py, "
                   "`real_privacy_reference`); its spread is the attacks' own noise on this split. Four yardsticks "
                   "follow (`privacy_yardsticks`): real training days drawn in random order, what a generator that "
                   "reproduced the joint distribution of a training day's features exactly would score; the same "
                   "days with each path drawing all its days from one volatility quintile, so volatility clusters "
                   "but no stretch of history is copied (what it adds to the first is what clustering alone "
                   "costs); the average training day repeated, which tells nothing about any record, so what the "
                   "attacks give it they read into how typical a window is, not into what it discloses; and every "
                   "training window published as it is.\n")
        out.append("| generator | closer-to-train | membership AUC | memorized | copied |\n|---|---:|---:|---:|---:|")
        if references and dataset in references:
            ref = references[dataset]
            out.append(f"| real, unseen training blocks (reference, {len(ref['closer_to_train'])} draws) | "
                       f"{spread(ref['closer_to_train'])} | {spread(ref['membership_auc'])} | — | — |")
            for name, text in (("shuffled", "real training days in random order"),
                               ("clustered", "real training days in random order, one volatility quintile a path"),
                               ("average", "the average training day, every day"),
                               ("published", "the training windows themselves")):
                closer, mia = ref[f"{name}_closer_to_train"], ref[f"{name}_membership_auc"]
                out.append(f"| {text} (yardstick, {len(closer)} draws) | {spread(closer)} | {spread(mia)} | — | — |")
        for config, g in configs:
            p = lambda key: [r["privacy"][key] for r in g]  # noqa: E731
            out.append(f"| {config} | {spread(p('closer_to_train'))} | {spread(p('membership_auc'))} | "
                       f"{spread(p('memorized'))} | {spread(p('copied'))} |")
    return "\n".join(out)


def classifier_runs_table(configs: list[tuple[str, list[dict]]]) -> list[str]:
    """TimeGAN's discriminative score as its code reports it, the mean over several classifier
    runs, for the configurations whose every row has it; and how far one run strays."""
    measured = [(c, g) for c, g in configs if all("timegan_runs" in r for r in g)]
    if not measured:
        return []
    out = ["\nThe discriminative score as TimeGAN's code reports it: the mean over classifier runs "
           "(`--classifier-runs`) on each seed's windows, then mean ± sd over seeds; beside it, the sd of "
           "one run about its seed's mean (root mean square over seeds), the part of a single-run score that "
           "is the classifier's own noise. Real holdout in brackets.\n",
           "| generator | seeds x runs | discriminative, mean of runs (real holdout) | "
           "sd of one run (real holdout) |\n|---|---:|---:|---:|"]
    for config, g in measured:
        runs = {key: [r["timegan_runs"][key] for r in g] for key in ("discriminative", "discriminative_real")}
        means = {key: [statistics.mean(v) for v in values] for key, values in runs.items()}
        noise = {key: math.sqrt(statistics.mean(statistics.variance(v) for v in values))
                 for key, values in runs.items()}
        out.append(f"| {config} | {len(g)} x {len(runs['discriminative'][0])} | {spread(means['discriminative'])} "
                   f"({spread(means['discriminative_real'])}) | {noise['discriminative']:.3f} "
                   f"({noise['discriminative_real']:.3f}) |")
    return out


def main() -> None:
    from domains.finance.record import CLASSIFIER_RUNS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--long-paths", type=int, default=2000, help="paths for the stylized facts and privacy")
    parser.add_argument("--long-length", type=int, default=252, help="days per long path (at least 252)")
    parser.add_argument("--cost-paths", type=int, default=10_000, help="paths of 252 days in the sampling cost")
    parser.add_argument("--rows", default=str(HERE / "finance_record_rows.jsonl"),
                        help="every finished run is appended here as one JSON line")
    parser.add_argument("--from-rows", action="store_true", help="only tabulate the rows file")
    parser.add_argument("--append", action="store_true",
                        help="keep the rows file's earlier runs and tabulate them with the new ones")
    parser.add_argument("--rotate-holdout", action="store_true",
                        help="seed s holds out fold s mod k of the blocked split (k = 5): over k seeds every "
                             "block is held out once, a blocked k-fold cross-validation; tabulated apart")
    parser.add_argument("--classifier-runs", type=int, default=CLASSIFIER_RUNS,
                        help="runs of TimeGAN's discriminator over which the record also averages the "
                             "discriminative score, as TimeGAN's code does (1: only the single run)")
    parser.add_argument("--rescore", nargs="?", const="timegan", choices=list(RESCORED),
                        help="measure the TimeGAN scores (timegan, the default), the discriminative score over "
                             "--classifier-runs runs (runs) or the long-path facts and privacy (paths) of the "
                             "stored rows of --datasets and --configs again (with --rotate-holdout, of the "
                             "rotating rows), keeping their other figures")
    parser.add_argument("--resume", action="store_true",
                        help="with --rescore: skip the rows this same --rescore command already measured, "
                             "e.g. to go on after it was stopped")
    parser.add_argument("--only", choices=list(RESCORED), help=argparse.SUPPRESS)
    parser.add_argument("--one", nargs=2, metavar=("DATASET", "CONFIG"), help=argparse.SUPPRESS)
    parser.add_argument("--fold", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.classifier_runs < 1 or (args.rescore == "runs" and args.classifier_runs < 2):
        parser.error("--classifier-runs must be at least 1, and at least 2 with --rescore runs")
    if args.resume and not args.rescore:
        parser.error("--resume goes with --rescore")
    if args.one:
        print(json.dumps(one(*args.one, args.seed, args.long_paths, args.long_length, args.cost_paths, args.fold,
                             args.only, args.classifier_runs)))
        return
    if not (args.from_rows or args.append or args.rescore):
        Path(args.rows).unlink(missing_ok=True)
    if args.rescore:
        rescore(args)
    elif not args.from_rows:
        run_all(args)
    rows = read_rows(Path(args.rows))
    text = tables(rows, real_references(rows))
    print(text)
    # A row may carry a note on how it ran (e.g. that another job shared the cores).
    runs = "\n".join(f"- `{run}`" + (f" ({note})" if note else "")
                      for run, note in dict.fromkeys((r.get("run", "not recorded"), r.get("run_note")) for r in rows))
    rescores = "".join(f"- `{run}` ({what})\n" for key, what in RESCORED.values()
                       for run in dict.fromkeys(r[key] for r in rows if key in r))
    write_section("finance-record", f"""## The finance record: TimeGAN protocol, long paths, privacy, cost

Produced on {os.cpu_count()} CPU cores ({platform.machine()}) by these runs, each row of
`{Path(args.rows).name}` naming its own:
{runs}
{rescores}
Mean ± standard deviation over training seeds. Discriminative and predictive scores follow the TimeGAN paper's
protocol and settings on 24-day windows of price levels (domains/finance/record.py); "blocked"
tests the discriminator on real windows of training blocks it did not learn from. Published
on the TimeGAN stock data, discriminative: TimeGAN 0.102, TimeVAE 0.145, Diffusion-TS 0.067.
Targets (issue): discriminative ≤ 0.05 (`full`), ≤ 0.10 (`quick`); predictive within 5 % of
real-on-real; every long-path fact closer than GARCH(1,1)-t; sampling 10,000 x 252 days < 30 s.
SDV PAR samples row by row, so it samples at most 300 paths or windows. A table whose heading says
the holdout rotates comes from `--rotate-holdout`: seed s holds out every fifth block from block
s mod 5 on, so over five seeds every block is held out once (blocked 5-fold cross-validation) and
its figures do not rest on which blocks one split happened to hold out. Synthetic windows start
on the days real 24-day windows leave from (`start_positions` in domains/finance/domain.py), as
the real restarted windows below do, not in a block's last 24 days, from which no real window runs.
Rows run before that rule had their TimeGAN scores measured again with `--rescore` (listed above):
their long paths of 252 days start on any training day, as before, and are unchanged.
The closer-to-train share is the mean over 20 random subsamples of the training windows (as many
as the holdout has), and the membership attack takes every real window as a query
(domains/finance/evaluation.py, `distance_attacks`); rows run before had their long paths drawn
again and measured with `--rescore paths` (listed above), which found their stylized facts as run
(to float precision). The discriminative score over classifier runs was added to stored rows with
`--rescore runs` (listed above): for `mdn-gru`, `block-bootstrap` and SDV PAR the first run
reproduces the row's single run exactly; the windows of `garch-t`'s refitted models did not come
out the same as when its rows were run, so its first run differs from the stored single run (by up
to 0.05 on the joint set) and its runs describe the refitted models.

The first row of each TimeGAN table is real data: every training window keeps its first day and
then moves as a window of another training block did (`restarted_windows`). Its moves and how the
columns move together are the market's own; only the history after the first day is not, and the
moves need not suit the day they start from (a calm stretch may follow a turbulent day). TimeGAN's
classifier is tested on windows that overlap those it learnt from, so besides how prices move it
learns where the one history went, and on many columns that alone tells such windows apart. A
generator that continues each start day's own state can score below this row without retracing
the history; its privacy rows say whether it retraces it.
{text}
""")


if __name__ == "__main__":
    main()
