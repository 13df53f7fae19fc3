"""The interface between a frozen image generator and MoCoGAN-HD's motion generator.

Any image generator with a latent space plugs in: StyleGAN2 works in W space (``latent_space = "w"``,
latents are ``mapping(z)``), a BigGAN-style generator in Z space (``latent_space = "z"``). The motion
generator only ever calls the three members below, so it never needs to know which family it drives.

Optional noise extension (StyleGAN2): ``sample_noise(n, generator)`` returning per-sample noise maps and
``synthesize(latents, noise=..., noise_mode=..., clamp=...)``; MoCoGAN-HD then draws one noise set per
video shared by its frames (``vidsynth/models/mocogan_hd/video_noise.py``). Without it, ``synthesize``
must be deterministic per latent: fresh noise on every call would make the frames of a video flicker.
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
