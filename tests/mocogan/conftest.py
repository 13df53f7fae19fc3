"""Tiny stand-ins for MoCoGAN-HD tests: a dummy image generator implementing LatentImageGenerator."""
from __future__ import annotations

import pytest
import torch
from torch import nn


class DummyImageGenerator(nn.Module):
    """MLP -> reshape -> conv -> tanh; latents from N(0, I) (a "Z space")."""

    latent_space = "z"

    def __init__(self, latent_dim: int = 16, resolution: int = 16, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.latent_dim, self.resolution = latent_dim, resolution
        self.fc = nn.Linear(latent_dim, 8 * (resolution // 4) ** 2)
        self.conv = nn.Conv2d(8, 3, 3, padding=1)

    def sample_latents(self, n, generator=None):
        return torch.randn(n, self.latent_dim, generator=generator)

    def synthesize(self, latents):
        x = self.fc(latents).view(-1, 8, self.resolution // 4, self.resolution // 4)
        x = nn.functional.interpolate(x, scale_factor=4, mode="nearest")
        return torch.tanh(self.conv(x))


class AnisotropicGaussian:
    """A "generator" whose latents are N(mean, R diag(std^2) R^T) with known principal directions R^T."""

    latent_space = "w"
    resolution = 4

    def __init__(self, dim: int = 8, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=g, dtype=torch.float64))
        self.latent_dim = dim
        self.directions = q.T                                          # rows = principal directions
        self.std = torch.linspace(3.0, 0.3, dim, dtype=torch.float64)  # distinct, decreasing
        self.mean = torch.randn(dim, generator=g, dtype=torch.float64)
        self.drawn: list[torch.Tensor] = []

    def sample_latents(self, n, generator=None):
        e = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64)
        x = (self.mean + (e * self.std) @ self.directions).float()
        self.drawn.append(x)
        return x

    def synthesize(self, latents):
        return torch.zeros(latents.shape[0], 3, 4, 4)


@pytest.fixture
def image_generator():
    g = DummyImageGenerator()
    g.eval().requires_grad_(False)
    return g
