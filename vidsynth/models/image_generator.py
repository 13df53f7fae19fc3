"""The interface between a frozen image generator and MoCoGAN-HD's motion generator.

Any image generator with a latent space plugs in: StyleGAN2 works in W space (``latent_space = "w"``,
latents are ``mapping(z)``), a BigGAN-style generator in Z space (``latent_space = "z"``). The motion
generator only ever calls the three members below, so it never needs to know which family it drives.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class LatentImageGenerator(Protocol):
    latent_dim: int      # size of the space the motion generator moves in (512 for StyleGAN2's W)
    latent_space: str    # "w" or "z"
    resolution: int      # output images are [N, 3, resolution, resolution]

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` latents ``[n, latent_dim]`` from the generator's prior (for W space: mapping of z ~ N(0, I))."""
        ...

    def synthesize(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents ``[n, latent_dim]`` -> images ``[n, 3, R, R]`` in [-1, 1]. Differentiable."""
        ...
