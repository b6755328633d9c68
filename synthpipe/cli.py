"""`synthpipe` command line: run pipelines, browse and pull the catalog, serve schedules."""
from __future__ import annotations

import argparse
import json
import os
import sys

from synthpipe.errors import SourceUnavailableError, SynthpipeError

EXIT_OK, EXIT_QUARANTINED, EXIT_USER_ERROR, EXIT_NOT_REPRODUCED = 0, 3, 2, 4
ALL = "all"


def _home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="DIR", default=None,
                        help="data home holding catalog/, quarantine/, models/ "
                             "(default: $SYNTHPIPE_HOME, else ./data)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synthpipe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the pipeline of a domain (or 'all') as a Prefect flow run",
                         description="Load real data, check, split, train, sample, validate, gate, then "
                                     "publish to the catalog or quarantine. Exit status: 0 published, "
                                     "3 quarantined (gate failed), 2 bad input.")
    run.add_argument("domain", help="domain name, or 'all' for every domain")
    run.add_argument("--source", metavar="KIND:LOCATION",
                     help="real data source, e.g. arch, csv:prices.csv, medmnist:pneumoniamnist, npz:FILE, "
                          "folder:DIR, dicom:DIR")
    run.add_argument("--generator", metavar="NAME", help="generator name (see `synthpipe generators`)")
    run.add_argument("--profile", default="quick", help="quick (fast default) or full (thorough)")
    run.add_argument("--seed", type=int, default=0, help="random seed (same seed, same dataset)")
    run.add_argument("--name", metavar="DOMAIN/NAME", help="dataset name in the catalog")
    run.add_argument("--regime", metavar="SPEC",
                     help="finance: publish stress scenarios of one market regime: high-vol[:LEVEL], "
                          "calm[:LEVEL] (mean VIX, or annualised volatility %% without a VIX column; default "
                          "level: the 80th / 20th percentile of the history) or drawdown:PCT (a fall of at "
                          "least PCT %% from a peak), judged against the real periods of that regime; "
                          "driving: scenes that each hold an event, cut-in, hard-braking or "
                          "cut-in+hard-braking (traffic-mdn)")
    run.add_argument("--n", type=int, dest="n_sequences", metavar="N",
                     help="how much to generate: paths (finance), images per class (healthcare) or scenes (driving)")
    _home_option(run)

    listing = sub.add_parser("list", help="list published datasets and their versions")
    _home_option(listing)

    show = sub.add_parser("show", help="show a version's manifest summary and metrics")
    show.add_argument("name", metavar="NAME[@VERSION]")
    show.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    _home_option(show)

    pull = sub.add_parser("pull", help="copy a version to a folder, verifying every hash")
    pull.add_argument("name", metavar="NAME[@VERSION]")
    pull.add_argument("--to", required=True, metavar="DIR")
    _home_option(pull)

    verify = sub.add_parser("verify", help="re-hash a published version against its manifest")
    verify.add_argument("name", metavar="NAME[@VERSION]")
    _home_option(verify)

    audit = sub.add_parser("audit", help="re-run a version's pipeline from its manifest and compare its metrics and files",
                           description="Re-run the pipeline that published a version (same source, generator, "
                                       "profile, seed and size, in a scratch data home, retraining from nothing) "
                                       "and compare: every privacy metric, every other metric, every data file by "
                                       "sha256. Exit status: 0 reproduced, 4 not reproduced, 2 bad input.")
    audit.add_argument("name", metavar="NAME[@VERSION]")
    _home_option(audit)

    sub.add_parser("generators", help="list registered generators")

    serve = sub.add_parser("serve", help="serve scheduled deployments of the domain pipelines to a Prefect server")
    serve.add_argument("--config", metavar="TOML", help="schedule file (default: built-in daily schedules)")
    _home_option(serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "catalog", None):
        os.environ["SYNTHPIPE_HOME"] = os.path.abspath(args.catalog)
    try:
        return COMMANDS[args.command](args)
    except SynthpipeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was published by the interrupted run", file=sys.stderr)
        return 130


def cmd_run(args) -> int:
    from domains import get_domain, names

    domains = names() if args.domain == ALL else [get_domain(args.domain).name]
    if args.domain == ALL and (args.source or args.name or args.regime):
        raise SynthpipeError("--source, --name and --regime apply to one domain; run each domain on its own")
    from flows.pipeline import pipeline

    worst = EXIT_OK
    for domain in domains:
        try:
            result = pipeline(domain=domain, source=args.source, generator=args.generator, profile=args.profile,
                              seed=args.seed, home=args.catalog, dataset=args.name, n_sequences=args.n_sequences,
                              regime=args.regime)
        except SourceUnavailableError as exc:
            if args.domain != ALL:
                raise
            print(f"skipped {domain}: {exc}")  # e.g. offline with no local copy: the others still run
            continue
        if result["status"] == "published":
            print(f"published {result['dataset']}@{result['version']}")
        else:
            print(f"quarantined {result['dataset']}: gate failed on {', '.join(result['failures'])}; "
                  f"report in {result['folder']}")
            worst = EXIT_QUARANTINED
    return worst


def cmd_list(args) -> int:
    from catalog import Catalog

    catalog = Catalog(args.catalog)
    datasets = catalog.datasets()
    if not datasets:
        print(f"no datasets published in {catalog.home}")
    for dataset in datasets:
        versions = catalog.versions(dataset)
        latest = catalog.resolve(dataset).version
        print(f"{dataset}  versions: {', '.join(versions)}  (latest: {latest})")
    return EXIT_OK


def cmd_show(args) -> int:
    from catalog import Catalog

    catalog = Catalog(args.catalog)
    ref = catalog.resolve(args.name)
    manifest = catalog.manifest(ref)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return EXIT_OK
    from validation.report import Report

    report = Report.from_dict(manifest["report"])
    print(f"{ref}  published {manifest['published_at']}  gate: {report.verdict}")
    print(f"  source {manifest['source']} ({manifest['source_fingerprint'][:12]}), generator {manifest['generator']} "
          f"{manifest['generator_params']}, profile {manifest['profile']}, seed {manifest['seed']}")
    print(f"  code {manifest['code_version']}, flow run {manifest.get('flow_run_id')}")
    print(f"  rows {manifest['row_counts']}, files {len(manifest['files'])}, path {catalog.path(ref)}")
    for m in report.metrics:
        row = m.as_row()
        baseline = "—" if m.baseline is None else f"{m.baseline:.4g}"
        print(f"  {m.group:<12} {m.name:<32} {m.value:>10.4g}  baseline {baseline:>9}  "
              f"{row['threshold'] or '':<12} {m.verdict}")
    return EXIT_OK


def cmd_pull(args) -> int:
    from catalog import Catalog

    target = Catalog(args.catalog).pull(args.name, args.to)
    print(f"pulled {args.name} to {target} (all hashes verified)")
    return EXIT_OK


def cmd_verify(args) -> int:
    from catalog import Catalog

    ref = Catalog(args.catalog).verify(args.name)
    print(f"{ref}: every file matches its manifest")
    return EXIT_OK


def cmd_audit(args) -> int:
    from flows.audit import audit

    result = audit(args.name, args.catalog)
    print(result.to_text())
    return EXIT_OK if result.reproduced else EXIT_NOT_REPRODUCED


def cmd_generators(args) -> int:
    import generators

    names = generators.names()
    width = max(map(len, names))
    for name in names:
        cls = generators.get_generator_class(name)
        summary = next(iter((cls.__doc__ or "").strip().splitlines()), "")
        print(f"{name:<{width}}  {cls.modality:<9} {summary}")
    return EXIT_OK


def cmd_serve(args) -> int:
    from flows.serve import serve

    serve(args.config)
    return EXIT_OK


COMMANDS = {"run": cmd_run, "list": cmd_list, "show": cmd_show, "pull": cmd_pull, "verify": cmd_verify,
            "audit": cmd_audit, "generators": cmd_generators, "serve": cmd_serve}


if __name__ == "__main__":
    sys.exit(main())
