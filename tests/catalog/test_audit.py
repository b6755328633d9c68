"""How an audit judges a re-run against a version (the re-run itself: tests/e2e)."""
from dataclasses import replace

from flows.audit import AuditResult, compare_files, compare_metrics, rerun_arguments, summarise
from validation.report import Metric, Report

PUBLISHED = Report([
    Metric("discriminative_score", 0.16, "fidelity", threshold=0.3),
    Metric("closer_to_train_share", 0.61, "privacy", threshold=0.65),
    Metric("membership_inference_auc", 0.513, "privacy", threshold=0.55),
])


def result_of(published: Report, rerun: Report, files_differ=(), status="published", source_same=True,
              params_same=True) -> AuditResult:
    return AuditResult("finance/markets@v1", {"source": "arch", "seed": 0}, "0.1.0+abc", "0.1.0+abc", status,
                       source_same, params_same, compare_metrics(published, rerun), ["data.parquet"],
                       list(files_differ))


def test_the_same_metrics_and_data_reproduce_a_version():
    result = result_of(PUBLISHED, Report(list(PUBLISHED.metrics)), files_differ=["README.md"])
    assert result.reproduced
    text = result.to_text()
    # Privacy metrics come first, whatever order the report had.
    assert text.index("closer_to_train_share") < text.index("membership_inference_auc")
    assert "other metrics: 1 of 1 the same" in text and "data files: 1 of 1 identical" in text
    assert "README.md" in text and text.endswith("\nreproduced")


def test_a_privacy_figure_the_rerun_does_not_give_is_reported():
    # The version claims a membership AUC of 0.40; the pipeline, run again, gives 0.513.
    forged = Report([replace(m, value=0.40) if m.name == "membership_inference_auc" else m
                     for m in PUBLISHED.metrics])
    result = result_of(forged, PUBLISHED)
    assert not result.reproduced
    line = next(line for line in result.to_text().splitlines() if "membership_inference_auc" in line)
    assert "0.4" in line and "0.513" in line and "(differs)" in line
    assert result.to_text().endswith("NOT reproduced")


def test_other_data_a_missing_metric_other_sources_or_a_failed_rerun_is_not_a_reproduction():
    changed = result_of(PUBLISHED, PUBLISHED, source_same=False)
    assert not changed.reproduced and "fingerprint differs" in changed.to_text()
    assert not result_of(PUBLISHED, PUBLISHED, files_differ=["data.parquet"]).reproduced
    assert not result_of(PUBLISHED, Report(PUBLISHED.metrics[:2])).reproduced
    quarantined = result_of(PUBLISHED, PUBLISHED, status="quarantined")
    assert not quarantined.reproduced and "quarantined" in quarantined.to_text()


def test_changed_code_or_parameters_are_said():
    result = result_of(PUBLISHED, PUBLISHED, params_same=False)
    result.current_code = "0.1.0+def"
    assert "published with code 0.1.0+abc, re-run with 0.1.0+def" in result.to_text()
    assert "other parameters than the version records" in result.to_text()


def test_files_are_compared_by_hash_and_presence():
    recorded = {"a.parquet": {"sha256": "1"}, "b.png": {"sha256": "2"}, "gone.csv": {"sha256": "3"}}
    rerun = {"a.parquet": {"sha256": "1"}, "b.png": {"sha256": "9"}, "new.npz": {"sha256": "4"}}
    assert compare_files(recorded, rerun) == (["a.parquet"], ["b.png", "gone.csv", "new.npz"])


def test_rerun_arguments_come_from_the_manifest_and_default_the_newer_fields():
    manifest = {"domain": "finance", "source": "arch", "generator": "mdn-gru", "profile": "quick", "seed": 3}
    assert rerun_arguments(manifest) == dict(manifest, n_sequences=None, regime=None)
    assert rerun_arguments(dict(manifest, n_sequences=100, regime="calm"))["n_sequences"] == 100


def test_long_lists_of_other_files_are_counted_by_folder():
    scenes = [f"commonroad/scene_{i:05d}.xml" for i in range(40)]
    assert summarise(["README.md", *scenes]) == "README.md, commonroad/ (40 files)"
    assert summarise(["README.md", "plots/a.png"]) == "README.md, plots/a.png"
