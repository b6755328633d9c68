"""Record-level privacy metrics that do not depend on the domain.

Both compare flattened records by Euclidean distance (inputs already scaled):
* `closer_to_train_share`: for each synthetic record, is its nearest training record closer
  than its nearest holdout record? With equal-sized train and holdout references, a generator
  that does not memorise lands near 0.5; one that copies lands near 1.0.
* `membership_auc`: a distance attack — a real record whose nearest synthetic record is close
  is guessed to be a training member; AUC 0.5 means the attacker learns nothing.
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


def membership_auc(synthetic: np.ndarray, members: np.ndarray, non_members: np.ndarray, *, seed: int) -> float:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n = min(len(members), len(non_members))
    m = members[rng.choice(len(members), n, replace=False)]
    o = non_members[rng.choice(len(non_members), n, replace=False)]
    scores = -np.concatenate([_nearest(m, synthetic), _nearest(o, synthetic)])
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    return float(roc_auc_score(labels, scores))
