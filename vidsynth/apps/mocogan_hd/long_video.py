"""Long videos from a model trained on short clips (MoCoGAN-HD Sec. 4, Figs. 7-8).

* ``unroll``: run the LSTM motion generator for more steps than it was trained on (any length).
* ``interpolate``: take the trajectory w_1..w_T and insert ``factor - 1`` linearly interpolated
  latents between consecutive ones, giving ``(T - 1) * factor + 1`` frames (2x frames by default).
"""
from __future__ import annotations

import torch

from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler


def unroll_videos(sampler: MoCoGANHDSampler, n: int = 4, frames: int = 64, seed: int = 0,
                  batch_size: int = 8) -> torch.Tensor:
    """``n`` videos of ``frames`` frames (e.g. 64 from a 16-frame model) -> ``[n, 3, frames, H, W]``."""
    return sampler.sample(n, frames=frames, seed=seed, batch_size=batch_size)


def interpolate_trajectory(latents: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """``[B, T, D]`` -> ``[B, (T - 1) * factor + 1, D]``: ``factor - 1`` latents between each pair."""
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    b, t, d = latents.shape
    if t < 2 or factor == 1:
        return latents
    alpha = torch.arange(factor, dtype=latents.dtype, device=latents.device) / factor      # [factor]
    start, end = latents[:, :-1, None], latents[:, 1:, None]                                # [B, T-1, 1, D]
    steps = start + alpha[None, None, :, None] * (end - start)                              # [B, T-1, factor, D]
    return torch.cat([steps.reshape(b, (t - 1) * factor, d), latents[:, -1:]], dim=1)


def interpolated_videos(sampler: MoCoGANHDSampler, n: int = 4, frames: int = 16, factor: int = 2,
                        seed: int = 0) -> torch.Tensor:
    """``n`` videos whose ``frames``-step trajectories are interpolated ``factor`` x:
    ``[n, 3, (frames - 1) * factor + 1, H, W]``."""
    w1 = sampler.content_codes(n, seed)
    latents = sampler.trajectory(w1, frames, sampler.motion_noise(n, frames, seed))
    return sampler.render_latents(interpolate_trajectory(latents, factor))
