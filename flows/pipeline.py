"""The pipeline flow: load -> check -> split -> train -> sample -> validate -> gate -> publish."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from prefect import flow, get_run_logger

import generators
from catalog import default_home, parse_ref
from domains import get_domain
from flows import tasks
from flows.provenance import code_version, flow_run_id


@flow(name="synthpipe-pipeline", flow_run_name="{domain}-{profile}-seed{seed}", log_prints=True)
def pipeline(domain: str = "finance", source: str | None = None, generator: str | None = None,
             profile: str = "quick", seed: int = 0, home: str | None = None, dataset: str | None = None,
             n_sequences: int | None = None, regime: str | None = None) -> dict:
    """Train a generator on real data and publish its synthetic dataset if it passes the gate.

    With `regime` (its own dataset, `<name>-<regime>`): finance asks the generator (trained on
    all the data) for scenarios of that market regime only, judged against the real periods of
    that regime; driving asks for the regime's events in every scene (`DrivingDomain.sample`)."""
    spec = get_domain(domain)
    source_spec = spec.parse_source(source)
    generator = generator or spec.default_generator
    plan = spec.profile(profile).plan(generator)
    generators.get_generator_class(generator)  # an unknown name fails before any work
    if regime:
        spec.check_regime(regime, generator)  # so does a regime the domain or the generator cannot make
    params = dict(plan.params, random_state=seed)
    if not dataset:
        dataset = spec.default_dataset_name(source_spec)
        if regime:  # scenarios of a regime are their own dataset, not a version of the plain one
            dataset += "-" + re.sub(r"[^a-z0-9]+", "-", regime.lower()).strip("-")
    dataset = parse_ref(dataset).dataset
    home_path = Path(home).resolve() if home else default_home()
    run_id = flow_run_id() or "local"
    work = home_path / "work" / run_id
    work.mkdir(parents=True, exist_ok=True)
    logger = get_run_logger()
    try:
        real = tasks.load_real(domain, str(source_spec), str(work), str(home_path))
        tasks.check_real(domain, real["path"])
        split_paths = tasks.split_real(domain, real["path"], profile, str(work))
        train_args = (domain, split_paths, real["fingerprint"], generator, params, profile, seed,
                      str(home_path / "models"))
        model = tasks.train_generator(*train_args)
        if not Path(model).is_file():  # a cached result whose model file was deleted since
            model = tasks.train_generator.with_options(refresh_cache=True)(*train_args)
        samples = tasks.sample_synthetic(domain, generator, model, split_paths, profile, seed, str(work), n_sequences,
                                         regime)
        report_path = tasks.validate(domain, split_paths, samples, profile, seed, str(work), regime)
        context = {
            "source": str(source_spec), "source_fingerprint": real["fingerprint"], "split": split_paths["description"],
            "generator": generator, "generator_params": params, "profile": profile, "seed": seed,
            "n_sequences": n_sequences,  # None: the profile's; `synthpipe audit` re-runs with it
            "code_version": code_version(), "flow_run_id": None if run_id == "local" else run_id,
        }
        if regime:
            context["regime"] = regime
        if tasks.gate(report_path):
            result = tasks.publish(domain, dataset, split_paths, samples, report_path, context, str(home_path))
        else:
            result = tasks.quarantine(domain, dataset, samples, report_path, context, str(home_path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("%s: %s", dataset, result["status"])
    return result
