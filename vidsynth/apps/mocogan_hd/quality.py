"""Scores for video prediction and the differentiable SSIM the projection optimises.

Evaluation uses the metrics suite (``vidsynth.metrics.psnr_ssim``: per-frame PSNR/SSIM on [0, 1]
pixels, Wang et al. SSIM). The projection loss needs a float32 SSIM that also works on images
smaller than the 11 px window, so :func:`ssim_loss_term` is a local, image-level version of it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from vidsynth.metrics.psnr_ssim import psnr as video_psnr
from vidsynth.metrics.psnr_ssim import ssim as video_ssim


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of images ``[N, C, H, W]`` in [-1, 1] -> ``[N]``."""
    return video_psnr(a[:, :, None], b[:, :, None])[:, 0].float()


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Differentiable per-image SSIM of ``[N, C, H, W]`` in [-1, 1] -> ``[N]`` (the window shrinks for
    images under 11 px). Same constants as ``vidsynth.metrics.psnr_ssim.ssim``."""
    x, y = (a.float() + 1) / 2, (b.float() + 1) / 2
    c = x.shape[1]
    size = min(window, x.shape[-1], x.shape[-2])
    size -= 1 - size % 2                                     # odd
    t = torch.arange(size, dtype=x.dtype, device=x.device) - (size - 1) / 2
    g = torch.exp(-t.square() / (2 * sigma ** 2))
    g = g / g.sum()
    w = (g[:, None] * g[None, :]).expand(c, 1, size, size).contiguous()
    blur = lambda z: F.conv2d(z, w, groups=c)               # noqa: E731  (valid positions only)
    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y, cov = blur(x * x) - mu_x.square(), blur(y * y) - mu_y.square(), blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2))
    return s.flatten(1).mean(1)


def video_scores(pred: torch.Tensor, real: torch.Tensor) -> dict[str, list[float]]:
    """Per-frame PSNR and SSIM (averaged over the batch) of videos ``[B, 3, T, H, W]``; ``real`` is resized
    to ``pred``'s size if needed."""
    if pred.shape[-2:] != real.shape[-2:]:
        real = resize_video(real, pred.shape[-1])
    return {"psnr": video_psnr(pred, real).mean(0).tolist(), "ssim": video_ssim(pred, real).mean(0).tolist()}


def resize_video(video: torch.Tensor, size: int) -> torch.Tensor:
    """``[B, C, T, H, W]`` -> ``[B, C, T, size, size]`` (area down, bilinear up)."""
    b, c, t = video.shape[:3]
    frames = video.transpose(1, 2).flatten(0, 1)                      # [B*T, C, H, W]
    mode = "area" if frames.shape[-1] >= size else "bilinear"
    frames = F.interpolate(frames.float(), size=(size, size), mode=mode)
    return frames.view(b, t, c, size, size).transpose(1, 2)
