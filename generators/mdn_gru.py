"""Mixture-density GRU: an autoregressive sequence model readable in one file.

Each step's feature vector is drawn from a mixture of full-covariance Gaussians whose weights,
means and Cholesky factors are emitted by a GRU over the previous steps. The mixture gives heavy
tails and cross-feature correlation; the recurrent state carries volatility clustering; and
because generation is step by step, the sequence length is chosen at sample time.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from generators.base import Generator, check_sequences
from generators.seeding import best_device
from synthpipe.errors import InputDataError


@dataclass
class MDNConfig:
    n_features: int
    hidden_size: int = 64
    num_layers: int = 1
    n_components: int = 4
    dropout: float = 0.0


class MDNNetwork(nn.Module):
    """GRU over the previous step (plus a start flag) -> mixture parameters for the next step."""

    def __init__(self, config: MDNConfig):
        super().__init__()
        self.config = config
        f, k = config.n_features, config.n_components
        self.n_tril = f * (f + 1) // 2
        self.gru = nn.GRU(f + 1, config.hidden_size, config.num_layers, batch_first=True,
                          dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden_size, k * (1 + f + self.n_tril))
        self.register_buffer("tril_index", torch.tril_indices(f, f), persistent=False)

    def mixture(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits (…, K), means (…, K, F) and Cholesky factors (…, K, F, F)."""
        f, k = self.config.n_features, self.config.n_components
        out = self.head(hidden).unflatten(-1, (k, 1 + f + self.n_tril))
        logits, mean, raw = out[..., 0], out[..., 1 : 1 + f], out[..., 1 + f :]
        tril = raw.new_zeros(*raw.shape[:-1], f, f)
        tril[..., self.tril_index[0], self.tril_index[1]] = raw
        diag = nn.functional.softplus(torch.diagonal(tril, dim1=-2, dim2=-1)) + 1e-3
        tril = torch.tril(tril, diagonal=-1) + torch.diag_embed(diag)
        return logits, mean, tril

    @staticmethod
    def shifted_inputs(x: torch.Tensor) -> torch.Tensor:
        """Step t sees step t-1; step 0 sees zeros and a start flag."""
        start = torch.zeros_like(x[:, :1])
        prev = torch.cat([start, x[:, :-1]], dim=1)
        flag = torch.zeros(*x.shape[:2], 1, device=x.device, dtype=x.dtype)
        flag[:, 0] = 1.0
        return torch.cat([prev, flag], dim=-1)

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.gru(self.shifted_inputs(x))
        logits, mean, tril = self.mixture(hidden)
        components = torch.distributions.MultivariateNormal(mean, scale_tril=tril)
        log_prob = components.log_prob(x.unsqueeze(-2))  # (B, T, K)
        return torch.logsumexp(torch.log_softmax(logits, -1) + log_prob, dim=-1)


class MixtureDensityGRU(Generator):
    """Autoregressive GRU with a full-covariance Gaussian-mixture output per step."""

    name = "mdn-gru"
    modality = "sequence"
    reads_history = True  # `sample(context=...)` primes the recurrent state with real days

    def __init__(self, hidden_size: int = 64, num_layers: int = 1, n_components: int = 4,
                 epochs: int = 60, batch_size: int = 64, learning_rate: float = 3e-3,
                 clip_sigma: float = 1.5, random_state: int = 0):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.n_components = n_components
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.clip_sigma = clip_sigma
        self.random_state = random_state
        self.n_features_: int | None = None

    def fit(self, data: np.ndarray, progress=None) -> "MixtureDensityGRU":
        x = check_sequences(data)
        self.n_features_ = x.shape[2]
        self.train_length_ = x.shape[1]
        self.mean_ = x.reshape(-1, x.shape[2]).mean(0)
        self.std_ = np.maximum(x.reshape(-1, x.shape[2]).std(0), 1e-6)
        z = (x - self.mean_) / self.std_
        # Samples beyond the training range (widened by clip_sigma) are clipped: a mixture's
        # broadest component would otherwise emit rare, absurd outliers.
        self.z_limit_ = np.abs(z).max(axis=(0, 1)) * self.clip_sigma

        torch.manual_seed(self.random_state)
        device = best_device()
        config = MDNConfig(self.n_features_, self.hidden_size, self.num_layers, self.n_components)
        self.network_ = MDNNetwork(config).to(device)
        optimizer = torch.optim.Adam(self.network_.parameters(), lr=self.learning_rate)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(self.epochs, 1))
        tensor = torch.as_tensor(z, device=device)
        shuffle = torch.Generator().manual_seed(self.random_state)
        self.history_: list[float] = []
        self.network_.train()
        for epoch in range(self.epochs):
            order = torch.randperm(len(tensor), generator=shuffle)
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = tensor[order[start : start + self.batch_size].to(device)]
                loss = -self.network_.log_likelihood(batch).mean()
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.network_.parameters(), 1.0)
                optimizer.step()
                total += loss.item() * len(batch)
            schedule.step()
            self.history_.append(total / len(tensor) / self.n_features_)
            if progress:
                progress(epoch + 1, self.epochs, self.history_[-1])
        self.network_.eval()
        return self

    @torch.no_grad()
    def sample(self, n: int, *, seed: int, length: int | None = None, context: np.ndarray | None = None) -> np.ndarray:
        """`n` paths of `length` steps; with `context` `(n, c, F)`, each path continues its own
        `c` real steps (which are not returned), as a stress scenario continues a market's state."""
        length = self._sequence_length(n, length)
        net, f = self.network_, self.n_features_
        device = next(net.parameters()).device
        rng = torch.Generator(device="cpu").manual_seed(int(seed))
        limit = torch.as_tensor(self.z_limit_, device=device)
        step_input = torch.zeros(n, 1, f + 1, device=device)
        step_input[..., -1] = 1.0
        if context is not None:
            step_input = torch.cat([step_input, self._history_inputs(context, n, limit)], dim=1)
        state, out = None, torch.empty(n, length, f, device=device)
        for t in range(length):
            hidden, state = net.gru(step_input, state)
            logits, mean, tril = net.mixture(hidden[:, -1])
            # Draw on the CPU generator so a seed gives the same result on every device.
            component = torch.multinomial(torch.softmax(logits, -1).cpu(), 1, generator=rng).to(device)
            noise = torch.randn(n, f, 1, generator=rng).to(device)
            pick = component[:, :, None]
            mu = mean.gather(1, pick.expand(-1, -1, f)).squeeze(1)
            chol = tril.gather(1, pick[..., None].expand(-1, -1, f, f)).squeeze(1)
            x = torch.maximum(torch.minimum(mu + (chol @ noise).squeeze(-1), limit), -limit)
            out[:, t] = x
            step_input = torch.cat([x, torch.zeros(n, 1, device=device)], dim=-1)[:, None]
        return (out.cpu().numpy() * self.std_ + self.mean_).astype(np.float32)

    def _history_inputs(self, context: np.ndarray, n: int, limit: torch.Tensor) -> torch.Tensor:
        history = np.asarray(context, dtype=np.float32)
        if history.ndim != 3 or history.shape[0] != n or history.shape[2] != self.n_features_:
            raise InputDataError(f"context must be shaped ({n}, steps, {self.n_features_}), got {history.shape}")
        if not np.isfinite(history).all():
            raise InputDataError("context has NaN or infinite values")
        z = torch.as_tensor((history - self.mean_) / self.std_, device=limit.device)
        z = torch.maximum(torch.minimum(z, limit), -limit)
        return torch.cat([z, torch.zeros(*z.shape[:2], 1, device=z.device)], dim=-1)

    def save(self, path: Path | str) -> None:
        self._require_fitted()
        torch.save({
            "params": self.get_params(),
            "config": asdict(self.network_.config),
            "state_dict": self.network_.state_dict(),
            "mean": self.mean_.tolist(), "std": self.std_.tolist(), "z_limit": self.z_limit_.tolist(),
            "train_length": self.train_length_, "history": self.history_,
        }, path)

    @classmethod
    def load(cls, path: Path | str) -> "MixtureDensityGRU":
        try:
            state = torch.load(path, map_location=best_device(), weights_only=True)
        except Exception as exc:  # torch raises many types for a bad file
            raise InputDataError(f"cannot read generator file {path}: {exc}") from None
        model = cls(**state["params"])
        model.network_ = MDNNetwork(MDNConfig(**state["config"])).to(best_device())
        model.network_.load_state_dict(state["state_dict"])
        model.network_.eval()
        model.n_features_ = state["config"]["n_features"]
        model.mean_ = np.asarray(state["mean"], dtype=np.float32)
        model.std_ = np.asarray(state["std"], dtype=np.float32)
        model.z_limit_ = np.asarray(state["z_limit"], dtype=np.float32)
        model.train_length_ = state["train_length"]
        model.history_ = state["history"]
        return model
