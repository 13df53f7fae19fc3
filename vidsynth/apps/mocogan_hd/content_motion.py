"""Disentangled content and motion (MoCoGAN-HD Sec. 4): one content code with many motions, and one
motion (the same noise sequence e_2..e_T) applied to many content codes.

``content_motion_grid`` returns both at once: row i is content i, column j is motion j, so a row
shows "same content, different motions" and a column "same motion, different contents". (The
motion generator conditions on w_1 through its encoder, so one noise sequence gives related but
not identical trajectories for different contents, as in the official model.)
"""
from __future__ import annotations

import torch

from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler


def content_motion_grid(sampler: MoCoGANHDSampler, contents: int = 4, motions: int = 4, frames: int = 16,
                        seed: int = 0, truncation_psi: float = 1.0) -> torch.Tensor:
    """``[contents, motions, 3, T, H, W]``: content i (seed stream i) with motion j (seed stream j)."""
    w1 = sampler.content_codes(contents, seed, truncation_psi=truncation_psi)    # [C, D]
    noise = sampler.motion_noise(motions, frames, seed + 1)                     # [M, T-1, Dn]
    rows = []
    for i in range(contents):
        rows.append(sampler.render(w1[i:i + 1].expand(motions, -1), frames, noise))   # [M, 3, T, H, W]
    return torch.stack(rows)


def same_content_videos(sampler: MoCoGANHDSampler, motions: int = 8, frames: int = 16, seed: int = 0,
                        content_index: int = 0) -> torch.Tensor:
    """One content code (video ``content_index`` of ``seed``) with ``motions`` motions -> ``[motions, 3, T, H, W]``."""
    w1 = sampler.content_codes(1, seed, start=content_index)
    return sampler.render(w1.expand(motions, -1), frames, sampler.motion_noise(motions, frames, seed + 1))


def same_motion_videos(sampler: MoCoGANHDSampler, contents: int = 8, frames: int = 16, seed: int = 0,
                       motion_index: int = 0) -> torch.Tensor:
    """One motion (noise of video ``motion_index``) applied to ``contents`` content codes -> ``[contents, 3, T, H, W]``."""
    noise = sampler.motion_noise(1, frames, seed + 1, start=motion_index)
    return sampler.render(sampler.content_codes(contents, seed), frames, noise.expand(contents, -1, -1))
