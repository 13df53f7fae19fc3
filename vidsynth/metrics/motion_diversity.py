"""Motion diversity (MoCoGAN-HD, Appendix D / Fig. 23): many videos from ONE content code (same
first frame, different motion noise); the per-pixel standard deviation across them, averaged over
pixels, channels and frames. Higher = more diverse motion. Pixel values are in [-1, 1].
"""
from __future__ import annotations

import torch


def motion_diversity(videos: torch.Tensor) -> float:
    """``[N, C, T, H, W]`` (N videos sharing a content code) -> mean per-pixel std across the N videos."""
    if videos.ndim != 5 or videos.shape[0] < 2:
        raise ValueError(f"need >= 2 videos [N, C, T, H, W], got {tuple(videos.shape)}")
    return float(videos.double().std(dim=0, unbiased=True).mean())


def per_pixel_std_map(videos: torch.Tensor) -> torch.Tensor:
    """``[N, C, T, H, W]`` -> ``[C, T, H, W]`` std map (what the paper's figure shows)."""
    return videos.double().std(dim=0, unbiased=True)
