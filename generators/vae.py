"""Conditional VAE: the fast image baseline, readable in one file.

A convolutional encoder maps an image and its class to a Gaussian latent; a decoder maps a latent
and a class back to pixel means. It trains in seconds per epoch on a CPU and samples in one pass,
but its images are the decoder's means: smoother than real X-rays (which the fidelity metrics
show). Any image size works: the decoder starts from a grid a quarter of the image's size and
the output is resized to the exact shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from generators.images import LabelledImages, Progress, TorchImageGenerator


@dataclass
class VAEConfig:
    image_shape: tuple[int, int, int]  # (h, w, c)
    n_classes: int
    latent_dim: int = 32
    width: int = 32


class ConditionalVAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        h, w, c = config.image_shape
        k, width = config.n_classes, config.width
        self.grid = (max(1, (h + 3) // 4), max(1, (w + 3) // 4))
        self.encoder = nn.Sequential(
            nn.Conv2d(c + k, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(self.grid), nn.Flatten())
        flat = 2 * width * self.grid[0] * self.grid[1]
        self.to_latent = nn.Linear(flat, 2 * config.latent_dim)
        self.from_latent = nn.Linear(config.latent_dim + k, flat)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(width, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, c, 3, padding=1))

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        onehot = F.one_hot(y, self.config.n_classes).float()[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        mean, log_var = self.to_latent(self.encoder(torch.cat([x, onehot], 1))).chunk(2, dim=1)
        return mean, log_var.clamp(-10, 10)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Pixel means in [-1, 1] at the configured size."""
        h = self.from_latent(torch.cat([z, F.one_hot(y, self.config.n_classes).float()], 1))
        h = self.decoder(h.view(len(z), 2 * self.config.width, *self.grid))
        h = F.interpolate(h, size=self.config.image_shape[:2], mode="bilinear", align_corners=False)
        return torch.tanh(h)


class VAEGenerator(TorchImageGenerator):
    """Class-conditional VAE baseline."""

    name = "cvae"

    def __init__(self, latent_dim: int = 32, width: int = 32, epochs: int = 20, batch_size: int = 128,
                 learning_rate: float = 2e-3, pixel_noise: float = 0.1, random_state: int = 0):
        self.latent_dim = latent_dim
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.pixel_noise = pixel_noise
        self.random_state = random_state

    def _build(self) -> ConditionalVAE:
        return ConditionalVAE(VAEConfig(self.image_shape_, self.n_classes_, self.latent_dim, self.width))

    def _fit(self, data: LabelledImages, progress: Progress | None) -> None:
        device = self.device_
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        network = self._build().to(device)
        optimizer = torch.optim.Adam(network.parameters(), lr=self.learning_rate)
        x_all, y_all = self.to_tensor(data.images), torch.from_numpy(data.labels)
        steps = self._steps_per_epoch(len(x_all))
        pixels = float(np.prod(self.image_shape_))
        for epoch in range(1, self.epochs + 1):
            running = 0.0
            for x, y in self._epoch_batches(x_all, y_all, rng):
                mean, log_var = network.encode(x, y)
                z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
                # Gaussian likelihood with a fixed pixel noise (in [-1, 1] units): smaller noise
                # weighs reconstruction more against the KL term, so sharper but less varied images.
                sse = F.mse_loss(network.decode(z, y), x, reduction="sum") / len(x)
                kl = -0.5 * (1 + log_var - mean**2 - log_var.exp()).sum(1).mean()
                loss = sse / (2 * self.pixel_noise**2) + kl
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                running += loss.item() / pixels
            if progress:
                progress(epoch, self.epochs, running / steps)
        self.network_ = network.eval()

    @torch.no_grad()
    def _generate(self, labels: np.ndarray, generator: torch.Generator) -> np.ndarray:
        z = torch.randn((len(labels), self.latent_dim), generator=generator).to(self.device_)
        return self.to_numpy(self.network_.decode(z, torch.from_numpy(labels).to(self.device_)))
