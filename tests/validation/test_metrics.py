import numpy as np
import pytest

from validation.privacy import closer_to_train_share, clustered_auc_error, membership_auc, membership_scores
from validation.report import Metric, Report
from validation.sequence_scores import discriminative_score, predictive_score


def test_verdict_is_computed_from_metrics():
    report = Report([Metric("a", 0.1, "fidelity", "<=", 0.2), Metric("b", 5.0, "fidelity")])
    assert report.passed and report.verdict == "pass"
    report.add(Metric("c", 0.4, "privacy", ">=", 0.5))
    assert report.verdict == "fail" and [m.name for m in report.failures] == ["c"]
    assert Report.from_dict(report.to_dict()).verdict == "fail"
    assert Metric("nan", float("nan"), "x", "<=", 1.0).passed is False


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((300, 8, 3)).astype(np.float32), rng.random((300, 8, 3)).astype(np.float32)


def test_copies_are_caught_by_both_privacy_metrics(data):
    train, holdout = data
    assert closer_to_train_share(train, train, holdout, seed=0) > 0.95
    assert membership_auc(train, train, holdout, seed=0) > 0.95


def test_independent_samples_look_private(data):
    train, holdout = data
    fresh = np.random.default_rng(1).random((300, 8, 3)).astype(np.float32)
    assert 0.4 < closer_to_train_share(fresh, train, holdout, seed=0) < 0.6
    assert 0.4 < membership_auc(fresh, train, holdout, seed=0) < 0.6


def test_the_closer_to_train_share_over_many_draws_is_their_mean_and_steadier():
    rng = np.random.default_rng(2)
    train, holdout, synthetic = rng.random((600, 4, 2)), rng.random((150, 4, 2)), rng.random((400, 4, 2))
    singles = [closer_to_train_share(synthetic, train, holdout, seed=s) for s in range(40)]
    averaged = [closer_to_train_share(synthetic, train, holdout, seed=s, draws=20, max_cells=5000) for s in range(5)]
    assert np.std(averaged) < 0.5 * np.std(singles)
    assert abs(np.mean(averaged) - np.mean(singles)) < 0.02


def test_discriminative_score_tells_apart_only_what_differs(data):
    real, other = data
    assert discriminative_score(real, other, seed=0, steps=150) < 0.15
    assert discriminative_score(real, other * 0.3, seed=0, steps=150) > 0.3


def test_discriminative_score_tested_on_other_real_windows(data):
    real, other = data
    unseen = np.random.default_rng(5).random((100, 8, 3)).astype(np.float32)
    assert discriminative_score(real, other, seed=0, steps=150, real_test=unseen) < 0.15
    assert discriminative_score(real, other * 0.3, seed=0, steps=150, real_test=unseen) > 0.3


def test_predictive_score_prefers_the_right_dynamics():
    rng = np.random.default_rng(0)
    walk = np.clip(0.5 + np.cumsum(rng.normal(0, 0.03, (300, 12, 2)), axis=1), 0, 1).astype(np.float32)
    noise = rng.random((300, 12, 2)).astype(np.float32)
    assert predictive_score(walk, walk, seed=0, steps=200) < predictive_score(noise, walk, seed=0, steps=200)


def test_timegan_forecast_of_the_last_feature_from_the_others():
    """TimeGAN's predictive score forecasts only the last feature, from the other features' past:
    data where it echoes the first feature teach the echo; data where it is unrelated do not."""
    rng = np.random.default_rng(0)
    lead = rng.random((400, 12, 1))
    echo = np.concatenate([lead, np.roll(lead, 1, axis=1)], axis=2).astype(np.float32)
    unrelated = np.concatenate([lead, rng.random((400, 12, 1))], axis=2).astype(np.float32)
    score = lambda train: predictive_score(train, echo, seed=0, steps=300, target="last")  # noqa: E731
    assert score(echo) < 0.6 * score(unrelated)
    with pytest.raises(ValueError, match="'all' or 'last'"):
        predictive_score(echo, echo, seed=0, steps=1, target="first")


def test_calibrated_attack_ignores_atypical_non_members_but_catches_copies():
    rng = np.random.default_rng(0)
    members = rng.normal(size=(300, 4, 2))
    non_members = rng.normal(scale=1.6, size=(300, 4, 2))  # rarer records, not better protected ones
    fresh = rng.normal(size=(3000, 4, 2))
    times = {"member_times": np.arange(300) * 10, "non_member_times": -10 - np.arange(300) * 10}
    raw = membership_auc(fresh, members, non_members, seed=0)
    calibrated = membership_auc(fresh, members, non_members, seed=0, **times)
    assert raw > 0.6 and 0.4 < calibrated < 0.6
    assert membership_auc(members, members, non_members, seed=0, **times) > 0.95


def test_unbalanced_attack_queries_every_record():
    rng = np.random.default_rng(0)
    members, non_members, synthetic = rng.normal(size=(400, 3)), rng.normal(size=(100, 3)), rng.normal(size=(500, 3))
    scores, labels, index = membership_scores(synthetic, members, non_members, seed=0, balance=False)
    assert labels.sum() == 400 and len(labels) == 500 and sorted(index[labels == 0]) == list(range(100))
    # with every record a query the seed no longer matters; balanced, it does
    assert membership_auc(synthetic, members, non_members, seed=0, balance=False) == \
        membership_auc(synthetic, members, non_members, seed=1, balance=False)
    assert membership_auc(synthetic, members, non_members, seed=0) != membership_auc(synthetic, members, non_members,
                                                                                     seed=1)


def test_cluster_bootstrap_error_widens_when_records_come_in_clusters():
    """Records of one cluster share an offset: the AUC then varies with the clusters drawn, which
    the bootstrap over clusters sees and one over single records does not."""
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(10), 50)
    labels = np.tile(np.r_[np.ones(40), np.zeros(10)], 10)
    independent = rng.normal(size=500)
    single = clustered_auc_error(independent, labels, np.arange(500), seed=0)
    assert single == pytest.approx(np.sqrt(501 / (12 * 400 * 100)), rel=0.25)  # Mann-Whitney null spread
    shifted = independent + np.where(labels == 1, rng.normal(size=10)[clusters], rng.normal(size=10)[clusters])
    assert clustered_auc_error(shifted, labels, clusters, seed=0) > 2 * clustered_auc_error(shifted, labels,
                                                                                           np.arange(500), seed=0)
    assert np.isnan(clustered_auc_error(independent, labels, np.zeros(500), seed=0))
