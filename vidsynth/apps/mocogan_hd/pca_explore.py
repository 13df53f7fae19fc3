"""What each principal direction of the latent space does (the papers' appendix E style): starting
from one content code, move along component k from ``-sigma`` to ``+sigma`` standard deviations.

The PCA is the one stored in the motion generator (``pca_components`` V, ``pca_std``), i.e. exactly
the basis the motion generator moves in.
"""
from __future__ import annotations

import torch

from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler


def pca_direction_latents(w1: torch.Tensor, components: torch.Tensor, std: torch.Tensor, ks, frames: int,
                          sigma: float) -> torch.Tensor:
    """``w1 [D]`` -> ``[len(ks), frames, D]``: ``w1 + a * std_k * V_k`` for ``a`` in linspace(-sigma, sigma)."""
    alpha = torch.linspace(-sigma, sigma, frames, device=w1.device, dtype=w1.dtype)            # [T]
    rows = [w1 + alpha[:, None] * (std[k] * components[k])[None] for k in ks]                   # [T, D] each
    return torch.stack(rows)


def pca_direction_videos(sampler: MoCoGANHDSampler, components=(0, 1, 2, 3), frames: int = 16, sigma: float = 3.0,
                         seed: int = 0, content_index: int = 0) -> torch.Tensor:
    """One video per component in ``components`` -> ``[K, 3, frames, H, W]``."""
    G_M = sampler.motion_generator
    n_pca = G_M.pca_components.shape[0]
    bad = [k for k in components if not 0 <= k < n_pca]
    if bad:
        raise ValueError(f"components {bad} out of range: the model stores {n_pca} principal directions (0..{n_pca - 1})")
    w1 = sampler.content_codes(1, seed, start=content_index)[0]
    latents = pca_direction_latents(w1, G_M.pca_components.to(w1), G_M.pca_std.to(w1), components, frames, sigma)
    return sampler.render_latents(latents)
