"""Record-level privacy metrics that do not depend on the domain.

All compare records by a pairwise distance: Euclidean on flattened records by default (inputs
already scaled), or any other given as `pairwise` (e.g. the average displacement of two tracks):
* `closer_to_train_share`: for each synthetic record, is its nearest training record closer
  than its nearest holdout record? With equal-sized train and holdout references, a generator
  that does not memorise lands near 0.5. One that copies lands near 1.0 only if the training set
  is no larger than the holdout: the larger side is subsampled to the smaller one's size, and a
  copy of a record the subsample leaves out scores like a fresh record (with four times as many
  training records as holdout ones, publishing the training data scores about 0.6).
* `membership_auc`: a distance attack — a real record whose nearest synthetic record is close
  is guessed to be a training member; AUC 0.5 means the attacker learns nothing.

A raw distance attack also "detects" records that are merely atypical: if the holdout happens to
hold rarer records than the training set, they are far from everything, synthetic data included,
and the AUC rises for a generator that copies nothing. Given time keys, the attack is calibrated
(as density-ratio attacks such as DOMIAS are): each record's distance to the synthetic data is
divided by its distance to the nearest *training* record that shares no time with it, so only
closeness beyond what the real data itself explains counts as evidence of membership.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Pairwise = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (queries, reference) -> [nq, nr] distances


def euclidean(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distances between flattened records."""
    q = queries.reshape(len(queries), -1).astype(np.float64)
    r = reference.reshape(len(reference), -1).astype(np.float64)
    d2 = (q**2).sum(1)[:, None] - 2 * q @ r.T + (r**2).sum(1)[None]
    return np.sqrt(np.maximum(d2, 0))


def nearest_neighbours(queries: np.ndarray, reference: np.ndarray, pairwise: Pairwise = euclidean,
                       max_cells: int = 2**24) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the distance to and index of its nearest reference record, in blocks of
    bounded memory."""
    chunk = max(1, max_cells // max(len(reference), 1))
    distance, index = np.empty(len(queries)), np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        d = pairwise(queries[start : start + chunk], reference)
        index[start : start + chunk] = d.argmin(1)
        distance[start : start + chunk] = d.min(1)
    return distance, index


def _nearest(queries: np.ndarray, reference: np.ndarray, pairwise: Pairwise = euclidean) -> np.ndarray:
    return nearest_neighbours(queries, reference, pairwise)[0]


def closer_to_train_share(synthetic: np.ndarray, train: np.ndarray, holdout: np.ndarray, *, seed: int,
                          draws: int = 1, pairwise: Pairwise = euclidean, max_cells: int = 2**24) -> float:
    """Share of synthetic records nearer to a training record than to a holdout record (ties
    count half), against references of equal size: the larger side is subsampled at random.

    With `draws` > 1 the share is the mean over that many independent subsamples (as SDMetrics'
    DCR metrics average `num_iterations`): on a few hundred references one subsample decides
    much of the figure, so a single draw makes a noisy test."""
    rng = np.random.default_rng(seed)
    n = min(len(train), len(holdout))
    references = [(rng.choice(len(train), n, replace=False), rng.choice(len(holdout), n, replace=False))
                  for _ in range(draws)]
    # Distances to every real record, a chunk of synthetic records at a time; each draw reads its columns.
    closer = 0.0
    chunk = max(1, max_cells // max(len(train) + len(holdout), 1))
    for start in range(0, len(synthetic), chunk):
        part = synthetic[start : start + chunk]
        to_train, to_holdout = pairwise(part, train), pairwise(part, holdout)
        for train_rows, holdout_rows in references:
            d_train, d_holdout = to_train[:, train_rows].min(1), to_holdout[:, holdout_rows].min(1)
            closer += np.sum(d_train < d_holdout) + 0.5 * np.sum(d_train == d_holdout)
    return float(closer / (draws * len(synthetic)))


def _nearest_apart(queries: np.ndarray, query_times: np.ndarray, reference: np.ndarray,
                   reference_times: np.ndarray, min_gap: int, pairwise: Pairwise = euclidean) -> np.ndarray:
    """Nearest-reference distance, ignoring references within `min_gap` of the query's time."""
    d = pairwise(queries, reference)
    d[np.abs(query_times[:, None] - reference_times[None]) < min_gap] = np.inf
    return d.min(1)


def membership_scores(synthetic: np.ndarray, members: np.ndarray, non_members: np.ndarray, *, seed: int,
                      member_times: np.ndarray | None = None, non_member_times: np.ndarray | None = None,
                      min_gap: int = 1, pairwise: Pairwise = euclidean, balance: bool = True
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distance attack's membership scores (higher: more likely a member), the true labels,
    and which query each is: indices into `members` (label 1) or `non_members` (label 0).

    Calibrated when the time keys of both real sets are given (keys of members and non-members
    must never fall within `min_gap` of each other). With `balance`, the larger side is subsampled
    to the smaller one's size; without, every record is a query (the AUC does not depend on the
    class ratio, and more queries make it steadier)."""
    rng = np.random.default_rng(seed)
    if balance:
        n = min(len(members), len(non_members))
        mi, oi = rng.choice(len(members), n, replace=False), rng.choice(len(non_members), n, replace=False)
    else:
        mi, oi = np.arange(len(members)), np.arange(len(non_members))
    queries = np.concatenate([members[mi], non_members[oi]])
    scores = -_nearest(queries, synthetic, pairwise)
    if member_times is not None and non_member_times is not None:
        times = np.concatenate([member_times[mi], non_member_times[oi]])
        typical = _nearest_apart(queries, times, members, member_times, min_gap, pairwise)
        scores = scores / np.maximum(typical, 1e-12)
    labels = np.concatenate([np.ones(len(mi)), np.zeros(len(oi))])
    return scores, labels, np.concatenate([mi, oi])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of `scores` for binary `labels`."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def membership_auc(synthetic: np.ndarray, members: np.ndarray, non_members: np.ndarray, *, seed: int,
                   **attack) -> float:
    """AUC of the distance attack (0.5: the attacker learns nothing); see `membership_scores`."""
    scores, labels, _ = membership_scores(synthetic, members, non_members, seed=seed, **attack)
    return auc(scores, labels)


def clustered_auc_error(scores: np.ndarray, labels: np.ndarray, clusters: np.ndarray, *, seed: int,
                        rounds: int = 200) -> float:
    """Standard error of an AUC by bootstrapping whole clusters (e.g. recordings, whose records
    are not independent of each other); NaN with fewer than two clusters."""
    names = np.unique(clusters)
    if len(names) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    members = {name: np.flatnonzero(clusters == name) for name in names}
    aucs = []
    for _ in range(rounds):
        rows = np.concatenate([members[name] for name in rng.choice(names, len(names))])
        if 0 < labels[rows].sum() < len(rows):
            aucs.append(auc(scores[rows], labels[rows]))
    return float(np.std(aucs, ddof=1)) if len(aucs) > 1 else float("nan")


def memorization(synthetic: np.ndarray, train: np.ndarray, holdout: np.ndarray,
                 false_positive_rate: float = 0.05, pairwise: Pairwise = euclidean) -> dict:
    """Share of synthetic records closer to a training record than real unseen records usually are.

    The threshold is the `false_positive_rate` quantile of holdout-to-train nearest distances
    (the 95th percentile of similarity by default): a fresh draw from the real distribution
    falls under it at that rate, so a share near it means no more closeness than chance.
    """
    threshold = float(np.quantile(_nearest(holdout, train, pairwise), false_positive_rate))
    distance, index = nearest_neighbours(synthetic, train, pairwise)
    return {"share": float(np.mean(distance < threshold)), "threshold": threshold,
            "distance": distance, "index": index}


def memorization_limit(rate: float, z: float, n_synthetic: int, n_holdout: int) -> float:
    """`rate` plus `z` standard errors of an ideal generator's share: binomial noise of the synthetic
    sample and of the holdout quantile that sets the threshold."""
    return rate + z * float(np.sqrt(rate * (1 - rate) * (1 / n_synthetic + 1 / n_holdout)))
