"""Frame-quality numbers for prediction: PSNR and SSIM, and the multi-scale SSIM / gradient losses.

The reported numbers (:func:`frame_scores`) come from ``vidsynth.metrics``; the differentiable
versions here serve as projection losses (and as scores for frames under 11 px). All functions
take frames ``[N, 3, H, W]`` in [-1, 1] and compare them on the [0, 1] scale.

- PSNR = 10 log10(1 / MSE) per frame, averaged over frames.
- SSIM (Wang et al. 2004): Gaussian window 11 px, sigma 1.5 (shrunk to fit tiny frames),
  C1 = 0.01^2, C2 = 0.03^2, mean over pixels, channels and frames.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float().clamp(-1, 1) + 1) / 2


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean PSNR in dB of frames ``x`` vs ``y`` ``[N, 3, H, W]`` in [-1, 1] (100 dB when identical)."""
    mse = (_unit(x) - _unit(y)).square().flatten(1).mean(1)
    return (10 * torch.log10(1 / mse.clamp_min(1e-10))).mean()


def _window(size: int, sigma: float, channels: int, device) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-r.square() / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim_maps(x: torch.Tensor, y: torch.Tensor, window: int = 11, sigma: float = 1.5):
    """``(ssim map, contrast-structure map)`` of ``[N, C, H, W]`` images in [0, 1] (valid convolution)."""
    window = min(window, x.shape[-1], x.shape[-2])
    window -= 1 - window % 2                                   # odd
    sigma = sigma * window / 11 if window < 11 else sigma
    k = _window(window, sigma, x.shape[1], x.device)
    conv = lambda a: F.conv2d(a, k, groups=x.shape[1])
    mx, my = conv(x), conv(y)
    sxx, syy, sxy = conv(x * x) - mx * mx, conv(y * y) - my * my, conv(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    return (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs, cs


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of frames ``x`` vs ``y`` ``[N, 3, H, W]`` in [-1, 1]."""
    return ssim_maps(_unit(x), _unit(y))[0].mean()


def ms_ssim(x: torch.Tensor, y: torch.Tensor, max_levels: int = 4) -> torch.Tensor:
    """Multi-scale SSIM: mean of the SSIM at each 2x-downsampled level while frames are >= 8 px.

    A simplified (equal-weight) form of Wang et al. 2003 that stays defined for 16 px frames;
    differentiable, so it serves as a perceptual loss term.
    """
    x, y = _unit(x), _unit(y)
    values = []
    for _ in range(max_levels):
        values.append(ssim_maps(x, y)[0].mean())
        if min(x.shape[-2:]) < 16:
            break
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return torch.stack(values).mean()


def gradient_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L1 distance of horizontal and vertical finite differences (edges in the right place)."""
    dx = lambda a: a[..., :, 1:] - a[..., :, :-1]
    dy = lambda a: a[..., 1:, :] - a[..., :-1, :]
    return (dx(x) - dx(y)).abs().mean() + (dy(x) - dy(y)).abs().mean()


def frame_scores(x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """``{"psnr": dB, "ssim": ...}`` of frames ``[N, 3, H, W]``, averaged over frames.

    Uses ``vidsynth.metrics.psnr``/``ssim`` (the protocol used everywhere in vidsynth, 11 px window:
    frames must be >= 11 px); the local versions above for smaller frames.
    """
    if min(x.shape[-2:]) >= 11:
        from vidsynth.metrics import psnr as metric_psnr, ssim as metric_ssim

        vx, vy = x.transpose(0, 1).unsqueeze(0), y.transpose(0, 1).unsqueeze(0)   # [1, 3, N, H, W]
        p = metric_psnr(vx, vy).clamp(max=100.0)                                  # identical frames: inf -> 100
        return {"psnr": float(p.mean()), "ssim": float(metric_ssim(vx, vy).mean())}
    return {"psnr": float(psnr(x, y)), "ssim": float(ssim(x, y))}
