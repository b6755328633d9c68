"""End to end: real Prefect flow runs on the real default data, a real catalog on disk."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import generators
import synthpipe
from catalog import Catalog
from flows.pipeline import pipeline
from generators.base import Generator, check_sequences
from synthpipe.errors import InputDataError, UnknownNameError

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    """One quick run of the default finance pipeline, then a second, unchanged one."""
    home = tmp_path_factory.mktemp("home")
    first = pipeline(domain="finance", home=str(home))
    models = sorted((home / "models").iterdir())
    stamp = models[0].stat().st_mtime_ns
    second = pipeline(domain="finance", home=str(home))
    return {"home": home, "first": first, "second": second, "models": models, "stamp": stamp}


def test_default_run_publishes_a_verified_version(published):
    assert published["first"] == {"status": "published", "dataset": "finance/markets", "version": "v1"}
    catalog = Catalog(published["home"])
    manifest = catalog.manifest("finance/markets@v1")
    for key in ("schema", "row_counts", "generator", "generator_params", "seed", "source_fingerprint",
                "code_version", "flow_run_id", "report", "files"):
        assert manifest[key] is not None, key
    assert manifest["report"]["verdict"] == "pass"
    assert {"data.parquet", "README.md", "plots/acf_abs_returns.png"} <= set(manifest["files"])
    assert all(m["threshold"] is None or m["passed"] for m in manifest["report"]["metrics"])
    catalog.verify("finance/markets@v1")


def test_unchanged_rerun_reuses_the_trained_model(published):
    assert published["second"]["version"] == "v2"
    models = sorted((published["home"] / "models").iterdir())
    assert models == published["models"] and len(models) == 1
    assert models[0].stat().st_mtime_ns == published["stamp"]
    # Same config and seed: the same dataset, bit for bit.
    first = synthpipe.load("finance/markets", "v1", home=published["home"])
    second = synthpipe.load("finance/markets", home=published["home"])
    pd.testing.assert_frame_equal(first, second)


def test_published_data_keeps_units_relations_and_card(published):
    frame = synthpipe.load("finance/markets", home=published["home"])
    assert isinstance(frame, pd.DataFrame) and not frame.isna().any().any()
    assert frame["sequence_id"].nunique() == 500 and frame["step"].max() == 63
    assert (frame["SP500_Low"] <= frame["SP500_Open"]).all() and (frame["SP500_Close"] <= frame["SP500_High"]).all()
    assert frame["SP500_Close"].between(500, 10_000).all()  # index points, not returns
    card = (Catalog(published["home"]).path("finance/markets") / "README.md").read_text()
    for heading in ("How it was made", "How good it is", "Privacy record", "must not be used for"):
        assert heading in card


def test_pull_and_cli_commands(published, tmp_path):
    env_home = str(published["home"])
    target = synthpipe.pull("finance/markets@v1", tmp_path / "pulled", home=env_home)
    assert (target / "data.parquet").is_file()

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "synthpipe.cli", *args, "--catalog", env_home],
                              capture_output=True, text=True, timeout=120)

    listing = cli("list")
    assert listing.returncode == 0 and "finance/markets  versions: v1, v2  (latest: v2)" in listing.stdout
    shown = cli("show", "finance/markets@v1")
    assert shown.returncode == 0 and "discriminative_score" in shown.stdout
    assert json.loads(cli("show", "finance/markets", "--json").stdout)["version"] == "v2"
    missing = cli("show", "finance/markets@v9")
    assert missing.returncode == 2 and "has no version 'v9'" in missing.stderr and "Traceback" not in missing.stderr
    escape = cli("pull", "../../etc@v1", "--to", str(tmp_path))
    assert escape.returncode == 2 and "invalid" in escape.stderr


def test_audit_reruns_a_version_from_its_manifest_and_reproduces_it(published, monkeypatch, capsys):
    from synthpipe import cli

    home = str(published["home"])
    monkeypatch.setenv("SYNTHPIPE_HOME", home)  # main() exports --catalog; this puts it back afterwards
    assert cli.main(["audit", "finance/markets@v1", "--catalog", home]) == cli.EXIT_OK
    out = capsys.readouterr().out
    recorded = {m["name"]: m["value"] for m in Catalog(home).manifest("finance/markets@v1")["report"]["metrics"]}
    line = next(line for line in out.splitlines() if "membership_inference_auc" in line)
    assert line.split()[1:3] == [f"{recorded['membership_inference_auc']:.4g}"] * 2
    assert "closer_to_train_share" in out and "(differs)" not in out
    assert "data files: 1 of 1 identical (sha256)" in out and out.rstrip().endswith("\nreproduced")
    # The audit's re-run went to a scratch home: the audited catalog is as it was.
    assert Catalog(home).versions("finance/markets") == ["v1", "v2"]


class CopyingGenerator(Generator):
    """A 'generator' that publishes its training data: the privacy gate's positive control."""

    name = "copy-training-data"
    modality = "sequence"

    def __init__(self, random_state: int = 0):
        self.random_state = random_state
        self.n_features_ = None

    def fit(self, data, progress=None):
        self.data_ = check_sequences(data)
        self.n_features_ = self.data_.shape[2]
        return self

    def sample(self, n, *, seed, length=None):
        rows = self.data_.reshape(-1, self.n_features_)  # consecutive training windows, end to end
        length = length or self.data_.shape[1]
        starts = np.random.default_rng(seed).integers(0, len(rows) - length, n)
        return np.stack([rows[s : s + length] for s in starts])

    def save(self, path):
        with open(path, "wb") as handle:
            np.save(handle, self.data_)

    @classmethod
    def load(cls, path):
        return cls().fit(np.load(path))


def test_publishing_the_training_data_fails_the_gate(tmp_path, monkeypatch):
    # Registered for this test only, so the conformance suite sees just the real generators.
    monkeypatch.setitem(generators.registry._REGISTERED, CopyingGenerator.name, CopyingGenerator)
    result = pipeline(domain="finance", generator="copy-training-data", home=str(tmp_path))
    assert result["status"] == "quarantined"
    assert "membership_inference_auc" in result["failures"]
    assert Catalog(tmp_path).datasets() == []
    report = json.loads((tmp_path / "quarantine").rglob("report.json").__next__().read_text())
    assert report["report"]["verdict"] == "fail"


def test_bad_input_fails_the_run_and_leaves_the_catalog_as_it_was(published, tmp_path):
    before = Catalog(published["home"]).versions("finance/markets")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,Close\n2020-01-01,abc\n")
    with pytest.raises(InputDataError, match="not numeric"):
        pipeline(domain="finance", source=f"csv:{bad}", home=str(published["home"]), dataset="finance/markets")
    with pytest.raises(UnknownNameError, match="generator"):
        pipeline(domain="finance", generator="nope", home=str(published["home"]))
    assert Catalog(published["home"]).versions("finance/markets") == before


def test_a_regime_run_publishes_scenarios_of_that_regime_as_their_own_dataset(published, market_frame):
    home = published["home"]
    before = Catalog(home).versions("finance/markets")
    result = pipeline(domain="finance", home=str(home), regime="high-vol")
    assert result == {"status": "published", "dataset": "finance/markets-high-vol", "version": "v1"}
    assert Catalog(home).versions("finance/markets") == before  # the plain dataset is untouched
    assert sorted((home / "models").iterdir()) == published["models"]  # the same trained model, asked differently
    manifest = Catalog(home).manifest("finance/markets-high-vol")
    assert manifest["regime"] == "high-vol" and manifest["report"]["verdict"] == "pass"
    card = (Catalog(home).path("finance/markets-high-vol") / "README.md").read_text()
    assert "## Regime" in card and "real, this regime" in card
    level = float(card.split("mean VIX >= ")[1].split("**")[0])
    frame = synthpipe.load("finance/markets-high-vol", home=home)
    path_means = frame.groupby("sequence_id")["VIX"].mean()
    assert len(path_means) == 500 and (path_means >= level).all()
    assert level > market_frame["VIX"].mean()  # the default level is the history's 80th percentile


def test_a_bad_or_misplaced_regime_is_refused_before_any_work(published):
    before = Catalog(published["home"]).datasets()
    with pytest.raises(InputDataError, match="unknown regime"):
        pipeline(domain="finance", home=str(published["home"]), regime="crash")
    with pytest.raises(InputDataError, match="applies to finance"):
        pipeline(domain="healthcare", home=str(published["home"]), regime="calm")
    with pytest.raises(InputDataError, match="unknown driving regime 'calm'"):
        pipeline(domain="driving", home=str(published["home"]), regime="calm")
    with pytest.raises(InputDataError, match="sdv-idm takes no event requests"):
        pipeline(domain="driving", generator="sdv-idm", home=str(published["home"]), regime="cut-in")
    every = subprocess.run([sys.executable, "-m", "synthpipe.cli", "run", "all", "--regime", "calm", "--catalog",
                            str(published["home"])], capture_output=True, text=True, timeout=120)
    assert every.returncode != 0 and "apply to one domain" in every.stderr
    assert Catalog(published["home"]).datasets() == before
