"""Motion diversity (MoCoGAN-HD appendix D, Fig. 23): generate many videos from ONE content code
with different motion noise; the per-pixel standard deviation across them (and the blur of their
mean video) shows how much the motion varies. A collapsed motion generator scores ~0.

``diversity_report`` returns the measure of ``vidsynth.metrics.motion_diversity`` (mean per-pixel
std, pixels in [-1, 1]) averaged over ``contents`` content codes, plus the last-frame mean and std
images of the first content code.
"""
from __future__ import annotations

import warnings

import torch

from vidsynth.metrics.motion_diversity import motion_diversity as diversity_of
from vidsynth.metrics.motion_diversity import per_pixel_std_map
from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler


def per_pixel_std(videos: torch.Tensor) -> torch.Tensor:
    """``[N, 3, T, H, W]`` in [-1, 1] -> std over the N videos, ``[3, T, H, W]`` (float32)."""
    return per_pixel_std_map(videos).float()


def diversity_report(sampler: MoCoGANHDSampler, contents: int = 4, motions: int = 16, frames: int = 16,
                     seed: int = 0, batch_size: int = 16) -> dict:
    """``{"mean_std", "per_content", "mean_last_frame" [3, H, W], "std_last_frame" [3, H, W]}``."""
    if motions < 2:
        raise ValueError("motion diversity needs at least 2 motions per content code")
    scores, first = [], None
    for c in range(contents):
        w1 = sampler.content_codes(1, seed, start=c)
        videos = []
        for start in range(0, motions, batch_size):
            b = min(batch_size, motions - start)
            noise = sampler.motion_noise(b, frames, seed + 1 + c, start)
            videos.append(sampler.render(w1.expand(b, -1), frames, noise))
        videos = torch.cat(videos)                                            # [M, 3, T, H, W]
        scores.append(diversity_of(videos))
        if first is None:
            first = (videos[:, :, -1].mean(0), per_pixel_std(videos[:, :, -1:])[:, 0])
    return {"mean_std": sum(scores) / len(scores), "per_content": scores,
            "mean_last_frame": first[0], "std_last_frame": first[1]}


def motion_diversity(*args, **kwargs) -> dict:
    """Deprecated name of :func:`diversity_report` (it clashed with ``vidsynth.metrics.motion_diversity``,
    which scores a batch of videos); removed in 0.3."""
    warnings.warn("vidsynth.apps.mocogan_hd.motion_diversity is now diversity_report (see CHANGELOG.md); the old "
                  "name is removed in 0.3", DeprecationWarning, stacklevel=2)
    return diversity_report(*args, **kwargs)
