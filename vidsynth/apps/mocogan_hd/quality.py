"""PSNR and SSIM for comparing predicted frames with real ones (small local versions; inputs in [-1, 1]).

SSIM is the usual Gaussian-window form (Wang et al. 2004: 11x11 window, sigma 1.5, K1 0.01, K2 0.03,
data range 1 after mapping [-1, 1] -> [0, 1]), averaged over channels and positions; it is
differentiable, so the projection in ``predict.py`` also uses ``1 - SSIM`` as a structural loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _to_unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float().clamp(-1, 1) + 1) / 2


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of images ``[N, C, H, W]`` in [-1, 1] (data range 1 after mapping to [0, 1]) -> ``[N]``."""
    mse = (_to_unit(a) - _to_unit(b)).square().flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def _gaussian_window(size: int, sigma: float, channels: int, like: torch.Tensor) -> torch.Tensor:
    x = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2
    g = torch.exp(-x.square() / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Per-image SSIM of ``[N, C, H, W]`` in [-1, 1] -> ``[N]`` (window shrinks for images under 11 px)."""
    x, y = _to_unit(a), _to_unit(b)
    c = x.shape[1]
    size = min(window, x.shape[-1], x.shape[-2])
    size -= 1 - size % 2                                     # odd
    w = _gaussian_window(size, sigma, c, x)
    blur = lambda t: F.conv2d(t, w, groups=c)               # noqa: E731  (valid positions only)
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x.square()
    var_y = blur(y * y) - mu_y.square()
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2))
    return s.flatten(1).mean(1)


def video_scores(pred: torch.Tensor, real: torch.Tensor) -> dict[str, list[float]]:
    """Per-frame PSNR and SSIM (averaged over the batch) of videos ``[B, 3, T, H, W]``."""
    if pred.shape[-2:] != real.shape[-2:]:
        real = resize_video(real, pred.shape[-1])
    frames_p = pred.transpose(1, 2).flatten(0, 1)           # [B*T, 3, H, W]
    frames_r = real.transpose(1, 2).flatten(0, 1)
    t = pred.shape[2]
    p = psnr(frames_p, frames_r).view(-1, t).mean(0)
    s = ssim(frames_p, frames_r).view(-1, t).mean(0)
    return {"psnr": p.tolist(), "ssim": s.tolist()}


def resize_video(video: torch.Tensor, size: int) -> torch.Tensor:
    """``[B, C, T, H, W]`` -> ``[B, C, T, size, size]`` (area down, bilinear up)."""
    b, c, t = video.shape[:3]
    frames = video.transpose(1, 2).flatten(0, 1)                      # [B*T, C, H, W]
    mode = "area" if frames.shape[-1] >= size else "bilinear"
    frames = F.interpolate(frames.float(), size=(size, size), mode=mode)
    return frames.view(b, t, c, size, size).transpose(1, 2)
