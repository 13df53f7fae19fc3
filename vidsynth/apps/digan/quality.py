"""Frame-quality numbers for DIGAN's video prediction: PSNR and SSIM of predicted vs real frames.

Both come from ``vidsynth.metrics.psnr_ssim`` (the one PSNR/SSIM of vidsynth: per frame on [0, 1]
pixels, Wang et al. SSIM, whose window shrinks for frames under 11 px). The differentiable SSIM
losses of the projection are in :mod:`vidsynth.apps.projection`.
"""
from __future__ import annotations

import torch

from vidsynth.metrics.psnr_ssim import psnr, ssim


def frame_scores(x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """``{"psnr": dB, "ssim": ...}`` of frames ``x`` vs ``y`` ``[N, 3, H, W]`` in [-1, 1], averaged over frames
    (identical frames score 100 dB instead of infinity)."""
    vx, vy = x.transpose(0, 1).unsqueeze(0), y.transpose(0, 1).unsqueeze(0)       # [1, 3, N, H, W]
    return {"psnr": float(psnr(vx, vy).clamp(max=100.0).mean()), "ssim": float(ssim(vx, vy).mean())}
