"""Scores for MoCoGAN-HD's video prediction: per-image PSNR and per-frame PSNR/SSIM of videos.

Everything comes from the metrics suite (``vidsynth.metrics.psnr_ssim``: per-frame PSNR/SSIM on
[0, 1] pixels, Wang et al. SSIM); the differentiable per-image SSIM the projection optimises is
``vidsynth.apps.projection.image_ssim``.
"""
from __future__ import annotations

import torch

from vidsynth.metrics.psnr_ssim import psnr as video_psnr
from vidsynth.metrics.psnr_ssim import ssim as video_ssim
from vidsynth.nn.video_ops import resize_frames


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of images ``[N, C, H, W]`` in [-1, 1] -> ``[N]``."""
    return video_psnr(a[:, :, None], b[:, :, None])[:, 0].float()


def video_scores(pred: torch.Tensor, real: torch.Tensor) -> dict[str, list[float]]:
    """Per-frame PSNR and SSIM (averaged over the batch) of videos ``[B, 3, T, H, W]``; ``real`` is resized
    to ``pred``'s size if needed."""
    if pred.shape[-2:] != real.shape[-2:]:
        real = resize_frames(real.float(), pred.shape[-1])
    return {"psnr": video_psnr(pred, real).mean(0).tolist(), "ssim": video_ssim(pred, real).mean(0).tolist()}

