"""Record-level privacy metrics that do not depend on the domain.

Both compare flattened records by Euclidean distance (inputs already scaled):
* `closer_to_train_share`: for each synthetic record, is its nearest training record closer
  than its nearest holdout record? With equal-sized train and holdout references, a generator
  that does not memorise lands near 0.5; one that copies lands near 1.0.
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

import numpy as np


def _nearest(queries: np.ndarray, reference: np.ndarray, max_cells: int = 2**24) -> np.ndarray:
    """Distance from each query to its nearest reference record, in blocks of bounded memory."""
    q = queries.reshape(len(queries), -1).astype(np.float64)
    r = reference.reshape(len(reference), -1).astype(np.float64)
    r_sq = (r**2).sum(1)
    chunk = max(1, max_cells // max(len(r), 1))
    out = np.empty(len(q))
    for start in range(0, len(q), chunk):
        block = q[start : start + chunk]
        d2 = (block**2).sum(1)[:, None] - 2 * block @ r.T + r_sq[None]
        out[start : start + chunk] = np.sqrt(np.maximum(d2.min(1), 0))
    return out


def closer_to_train_share(synthetic: np.ndarray, train: np.ndarray, holdout: np.ndarray, *, seed: int) -> float:
    rng = np.random.default_rng(seed)
    n = min(len(train), len(holdout))
    train_ref = train[rng.choice(len(train), n, replace=False)]
    holdout_ref = holdout[rng.choice(len(holdout), n, replace=False)]
    d_train, d_holdout = _nearest(synthetic, train_ref), _nearest(synthetic, holdout_ref)
    return float(np.mean(d_train < d_holdout) + 0.5 * np.mean(d_train == d_holdout))


def _nearest_apart(queries: np.ndarray, query_times: np.ndarray, reference: np.ndarray,
                   reference_times: np.ndarray, min_gap: int) -> np.ndarray:
    """Nearest-reference distance, ignoring references within `min_gap` of the query's time."""
    q = queries.reshape(len(queries), -1).astype(np.float64)
    r = reference.reshape(len(reference), -1).astype(np.float64)
    d2 = (q**2).sum(1)[:, None] - 2 * q @ r.T + (r**2).sum(1)[None]
    d2[np.abs(query_times[:, None] - reference_times[None]) < min_gap] = np.inf
    return np.sqrt(np.maximum(d2.min(1), 0))


def membership_auc(synthetic: np.ndarray, members: np.ndarray, non_members: np.ndarray, *, seed: int,
                   member_times: np.ndarray | None = None, non_member_times: np.ndarray | None = None,
                   min_gap: int = 1) -> float:
    """AUC of the distance attack; calibrated when the time keys of both real sets are given
    (keys of members and non-members must never fall within `min_gap` of each other)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n = min(len(members), len(non_members))
    mi, oi = rng.choice(len(members), n, replace=False), rng.choice(len(non_members), n, replace=False)
    queries = np.concatenate([members[mi], non_members[oi]])
    scores = -_nearest(queries, synthetic)
    if member_times is not None and non_member_times is not None:
        times = np.concatenate([member_times[mi], non_member_times[oi]])
        typical = _nearest_apart(queries, times, members, member_times, min_gap)
        scores = scores / np.maximum(typical, 1e-12)
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    return float(roc_auc_score(labels, scores))


def nearest_neighbours(queries: np.ndarray, reference: np.ndarray, max_cells: int = 2**24) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the distance to and index of its nearest reference record."""
    q = queries.reshape(len(queries), -1).astype(np.float64)
    r = reference.reshape(len(reference), -1).astype(np.float64)
    r_sq = (r**2).sum(1)
    chunk = max(1, max_cells // max(len(r), 1))
    distance, index = np.empty(len(q)), np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), chunk):
        block = q[start : start + chunk]
        d2 = (block**2).sum(1)[:, None] - 2 * block @ r.T + r_sq[None]
        index[start : start + chunk] = d2.argmin(1)
        distance[start : start + chunk] = np.sqrt(np.maximum(d2.min(1), 0))
    return distance, index


def memorization(synthetic: np.ndarray, train: np.ndarray, holdout: np.ndarray,
                 false_positive_rate: float = 0.05) -> dict:
    """Share of synthetic records closer to a training record than real unseen records usually are.

    The threshold is the `false_positive_rate` quantile of holdout-to-train nearest distances
    (the 95th percentile of similarity by default): a fresh draw from the real distribution
    falls under it at that rate, so a share near it means no more closeness than chance.
    """
    threshold = float(np.quantile(_nearest(holdout, train), false_positive_rate))
    distance, index = nearest_neighbours(synthetic, train)
    return {"share": float(np.mean(distance < threshold)), "threshold": threshold,
            "distance": distance, "index": index}
