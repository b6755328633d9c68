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
                         min_hidden: int = 4, real_test: np.ndarray | None = None) -> float:
    """Mean over `repeats` of |accuracy - 0.5| of a held-out GRU real-vs-synthetic classifier
    (`features // 2` units, at least `min_hidden`), on balanced classes.

    By default each side is split 80/20 at random, as TimeGAN does. Overlapping windows of one
    series then put near-copies of the test windows in the training set, and the classifier can
    recognise real windows it has seen; given `real_test` (e.g. windows of other time blocks),
    it is tested on those instead, so only what generalises counts."""
    torch = _torch()
    scores = []
    for r in range(repeats):
        rng = np.random.default_rng(seed + r)
        if real_test is None:
            n = min(len(real), len(synthetic))
            real_pick = real[rng.choice(len(real), n, replace=False)]
            cut = int(0.8 * n)
            real_train, real_held = real_pick[:cut], real_pick[cut:]
        else:
            n_held = min(len(real_test), len(synthetic) // 5)
            real_held = real_test[rng.choice(len(real_test), n_held, replace=False)]
            n_train = min(len(real), len(synthetic) - n_held)
            real_train = real[rng.choice(len(real), n_train, replace=False)]
        synthetic_pick = synthetic[rng.choice(len(synthetic), len(real_train) + len(real_held), replace=False)]
        synthetic_train, synthetic_held = synthetic_pick[: len(real_train)], synthetic_pick[len(real_train):]
        torch.manual_seed(seed + r)
        net = _gru_head(real.shape[2], max(real.shape[2] // 2, min_hidden), 1)
        optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        x = torch.as_tensor(np.concatenate([real_train, synthetic_train]))
        y = torch.as_tensor(np.repeat([1.0, 0.0], [len(real_train), len(synthetic_train)]).astype(np.float32))
        for _ in range(steps):
            batch = torch.as_tensor(rng.choice(len(x), min(batch_size, len(x)), replace=False))
            loss = loss_fn(net(x[batch])[1].squeeze(-1), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            x_held = torch.as_tensor(np.concatenate([real_held, synthetic_held]))
            predicted = (net(x_held)[1].squeeze(-1) > 0).numpy()
        truth = np.repeat([True, False], [len(real_held), len(synthetic_held)])
        scores.append(abs(float(np.mean(predicted == truth)) - 0.5))
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
