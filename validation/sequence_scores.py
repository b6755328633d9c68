"""TimeGAN's post-hoc scores for sequence data (Yoon et al., NeurIPS 2019).

* discriminative score: a GRU classifier learns real vs synthetic windows; the score is
  |test accuracy - 0.5| (0 = indistinguishable).
* predictive score: a GRU trained on one set predicts the next step; the score is its mean
  absolute error on real held-out windows ("train on synthetic, test on real").
Inputs are `(n, length, features)` arrays, already scaled to [0, 1].

The defaults are this project's (a faster learning rate, every feature forecast); `TIMEGAN`
holds the settings of the paper's own code (discriminator: 2,000 Adam steps at lr 1e-3, a GRU of
features/2 units; forecaster: 5,000 steps predicting the last feature from the others), for
figures comparable with the published ones.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np


def _torch():
    import torch

    return torch


@contextmanager
def _one_thread():
    """These GRUs have a handful of units: every step is a few tiny operations, and a second
    thread only adds hand-over cost (ten times slower when another job shares the cores)."""
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _gru_head(n_features: int, hidden: int, out: int):
    torch = _torch()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(n_features, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, out)

        def forward(self, x):
            states, last = self.gru(x)
            return self.head(states), self.head(last[-1])

    return Net()


TIMEGAN = {
    "discriminative": {"steps": 2000, "learning_rate": 1e-3, "min_hidden": 1},
    "predictive": {"steps": 5000, "learning_rate": 1e-3, "min_hidden": 1, "target": "last"},
}


@_one_thread()
def discriminative_score(real: np.ndarray, synthetic: np.ndarray, *, seed: int, steps: int = 400,
                         repeats: int = 1, batch_size: int = 128, learning_rate: float = 1e-2,
                         min_hidden: int = 4) -> float:
    """Mean over `repeats` of |accuracy - 0.5| of a held-out GRU real-vs-synthetic classifier
    (`features // 2` units, at least `min_hidden`)."""
    torch = _torch()
    scores = []
    for r in range(repeats):
        rng = np.random.default_rng(seed + r)
        n = min(len(real), len(synthetic))
        x = np.concatenate([real[rng.choice(len(real), n, replace=False)],
                            synthetic[rng.choice(len(synthetic), n, replace=False)]])
        y = np.concatenate([np.ones(n), np.zeros(n)]).astype(np.float32)
        order = rng.permutation(2 * n)
        cut = int(0.8 * 2 * n)
        train_idx, test_idx = order[:cut], order[cut:]
        torch.manual_seed(seed + r)
        net = _gru_head(x.shape[2], max(x.shape[2] // 2, min_hidden), 1)
        optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
        xt, yt = torch.as_tensor(x), torch.as_tensor(y)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(steps):
            batch = torch.as_tensor(rng.choice(train_idx, min(batch_size, len(train_idx)), replace=False))
            loss = loss_fn(net(xt[batch])[1].squeeze(-1), yt[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            predicted = (net(xt[test_idx])[1].squeeze(-1) > 0).float()
        accuracy = (predicted == yt[test_idx]).float().mean().item()
        scores.append(abs(accuracy - 0.5))
    return float(np.mean(scores))


@_one_thread()
def predictive_score(train: np.ndarray, test: np.ndarray, *, seed: int, steps: int = 400,
                     batch_size: int = 128, learning_rate: float = 1e-2, min_hidden: int = 4,
                     target: str = "all") -> float:
    """MAE on `test` of a one-step-ahead GRU forecaster fitted on `train`. `target="all"`
    forecasts every feature from all of them; `"last"` (TimeGAN's) the last feature from the others."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    f = train.shape[2]
    if target == "last":
        inputs, outputs = slice(0, f - 1), slice(f - 1, f)
    elif target == "all":
        inputs, outputs = slice(0, f), slice(0, f)
    else:
        raise ValueError(f"target is 'all' or 'last', not {target!r}")
    n_in = inputs.stop - inputs.start
    net = _gru_head(n_in, max(n_in // 2, min_hidden), outputs.stop - outputs.start)
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
    xt = torch.as_tensor(train)

    def error(x):
        return (torch.sigmoid(net(x[:, :-1, inputs])[0]) - x[:, 1:, outputs]).abs().mean()

    for _ in range(steps):
        batch = torch.as_tensor(rng.choice(len(xt), min(batch_size, len(xt)), replace=False))
        loss = error(xt[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return float(error(torch.as_tensor(test)))
