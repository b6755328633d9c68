"""Prefect tasks of the pipeline: thin wrappers that call the domain, generator, validation and
catalog packages and pass paths between each other."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

import generators
from catalog import Catalog
from domains import get_domain
from flows import store
from synthpipe.errors import SynthpipeError
from validation.report import Report


def _retry_unless_user_error(task, task_run, state) -> bool:
    """Retry transient faults (I/O, network); a user's bad input will not get better."""
    try:
        state.result()
    except SynthpipeError:
        return False
    except Exception:
        return True
    return True


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=_retry_unless_user_error, cache_policy=NO_CACHE)
def load_real(domain_name: str, source: str, work: str, home: str) -> dict:
    domain = get_domain(domain_name)
    data = domain.load(domain.parse_source(source), home=Path(home))
    get_run_logger().info("loaded %s: %s", source, domain.describe(data))
    return {"path": store.save(data, Path(work), "real"), "fingerprint": domain.fingerprint(data)}


@task(cache_policy=NO_CACHE)
def check_real(domain_name: str, real_path: str) -> dict:
    summary = get_domain(domain_name).check_input(store.load(real_path))
    get_run_logger().info("input suite %s: %d expectations passed", summary["suite"], summary["evaluated"])
    return {"suite": summary["suite"], "evaluated": summary["evaluated"], "success": summary["success"]}


@task(cache_policy=NO_CACHE)
def split_real(domain_name: str, real_path: str, profile: str, work: str) -> dict:
    domain = get_domain(domain_name)
    split = domain.split(store.load(real_path), domain.profile(profile))
    get_run_logger().info("split %s", split.description)
    return store.save_split(split, Path(work))


def training_key(domain: str, fingerprint: str, generator: str, params: dict, profile: str, seed: int,
                 models_dir: str) -> str:
    blob = json.dumps([domain, fingerprint, generator, params, profile, seed, models_dir], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _training_cache_key(context, parameters) -> str:
    p = parameters
    return "train-" + training_key(p["domain_name"], p["fingerprint"], p["generator"], p["params"],
                                   p["profile"], p["seed"], p["models_dir"])


@task(cache_key_fn=_training_cache_key, persist_result=True)
def train_generator(domain_name: str, split_paths: dict, fingerprint: str, generator: str, params: dict,
                    profile: str, seed: int, models_dir: str) -> str:
    """Fit the generator; cached on source fingerprint, generator, parameters, profile and seed."""
    logger = get_run_logger()
    domain = get_domain(domain_name)
    data = domain.training_data(store.load_split(split_paths).train, domain.profile(profile), generator)
    model = generators.create(generator, **params)
    logger.info("training %s on %s with %s", generator, getattr(data, "shape", f"{len(data)} records"), params)

    def progress(epoch: int, epochs: int, loss: float) -> None:
        if epoch == epochs or epoch % max(1, epochs // 10) == 0:
            logger.info("epoch %d/%d loss %.4f", epoch, epochs, loss)

    model.fit(data, progress=progress)
    path = Path(models_dir) / f"{training_key(domain_name, fingerprint, generator, params, profile, seed, models_dir)}.model"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    model.save(tmp)
    tmp.replace(path)
    return str(path)


@task(cache_policy=NO_CACHE)
def sample_synthetic(domain_name: str, generator: str, model_path: str, split_paths: dict, profile: str,
                     seed: int, work: str, n_sequences: int | None = None, regime: str | None = None) -> dict:
    domain = get_domain(domain_name)
    split = store.load_split(split_paths)
    logger = get_run_logger()
    request = domain.sample_request(domain.profile(profile), split.train, n_sequences, generator)

    def progress(done: int, wanted: int, drawn: int) -> None:  # paths kept (finance), scenes made (driving)
        logger.info("regime %s: %d of %d done, %d drawn", regime, done, wanted, drawn)

    synthetic, published = domain.sample(generators.load(generator, model_path), split, request, seed, regime,
                                         progress)
    logger.info("sampled %s", domain.describe(published))
    return {"synthetic": store.save(synthetic, Path(work), "synthetic"),
            "published": store.save(published, Path(work), "published")}


@task(cache_policy=NO_CACHE)
def validate(domain_name: str, split_paths: dict, sample_paths: dict, profile: str, seed: int, work: str,
             regime: str | None = None) -> str:
    domain = get_domain(domain_name)
    split = store.load_split(split_paths)
    report = domain.evaluate(split, store.load(sample_paths["synthetic"]), store.load(sample_paths["published"]),
                             domain.profile(profile), seed, regime)
    create_table_artifact(
        table=[m.as_row() for m in report.metrics],
        key=f"{domain_name}-metrics", description=f"{domain_name} gate metrics: verdict {report.verdict}")
    return store.save_json(report.to_dict(), Path(work) / "report.json")


@task(cache_policy=NO_CACHE)
def gate(report_path: str) -> bool:
    """The verdict, computed from the report's metrics (never read from a stored field)."""
    report = Report.from_dict(store.load_json(report_path))
    for metric in report.failures:
        get_run_logger().warning("gate: %s = %.4g, must be %s %.4g", metric.name, metric.value, metric.direction,
                                 metric.threshold)
    return report.passed


@task(cache_policy=NO_CACHE)
def publish(domain_name: str, dataset: str, split_paths: dict, sample_paths: dict, report_path: str,
            context: dict, home: str) -> dict:
    """Write files, card and manifest into staging and make them one new immutable version."""
    domain = get_domain(domain_name)
    profile = domain.profile(context["profile"])
    report = Report.from_dict(store.load_json(report_path))
    if not report.passed:  # the gate is re-checked here so no caller can publish a failed report
        raise SynthpipeError(f"refusing to publish {dataset}: the report failed on {[m.name for m in report.failures]}")
    published = store.load(sample_paths["published"])
    synthetic = store.load(sample_paths["synthetic"])
    split = store.load_split(split_paths)
    card_holder: dict = {}

    def write_files(folder: Path) -> None:
        domain.write_published(published, synthetic, split, report, folder, dict(context, dataset=dataset), profile)
        card_holder["card"] = (folder / "README.md").read_text()

    manifest = dict(context, domain=domain_name, schema=domain.schema(published),
                    row_counts=domain.counts(published, synthetic),
                    report=report.to_dict())
    ref = Catalog(home).publish(dataset, write_files, manifest)
    create_markdown_artifact(markdown=card_holder["card"], key=f"{domain_name}-data-card",
                             description=f"data card of {ref}")
    get_run_logger().info("published %s", ref)
    return {"status": "published", "dataset": ref.dataset, "version": ref.version}


@task(cache_policy=NO_CACHE)
def quarantine(domain_name: str, dataset: str, sample_paths: dict, report_path: str, context: dict,
               home: str) -> dict:
    """Keep a failed run's report and data out of the catalog, where an auditor can look."""
    report = Report.from_dict(store.load_json(report_path))
    folder = Catalog(home).quarantine_dir(dataset, context.get("flow_run_id") or "local")
    for key in ("synthetic", "published"):
        Path(sample_paths[key]).replace(folder / Path(sample_paths[key]).name)
    store.save_json(dict(context, report=report.to_dict()), folder / "report.json")
    (folder / "REPORT.md").write_text(f"# Quarantined: {dataset}\n\nGate verdict: **fail**\n\n{report.to_markdown()}\n")
    create_markdown_artifact(markdown=(folder / "REPORT.md").read_text(), key=f"{domain_name}-quarantine",
                             description=f"{dataset} failed the gate")
    get_run_logger().warning("gate failed on %s; quarantined in %s", [m.name for m in report.failures], folder)
    return {"status": "quarantined", "dataset": dataset, "folder": str(folder),
            "failures": [m.name for m in report.failures]}
