"""PSNR and SSIM for video prediction (predicted vs ground-truth frames).

Inputs are video tensors ``[B, C, T, H, W]`` in [-1, 1]; both metrics are computed per frame on
the [0, 1] scale (data range 1) and averaged. SSIM follows Wang et al. (2004): 11x11 Gaussian
window with sigma 1.5, K1 = 0.01, K2 = 0.03, 'valid' filtering (no padding), per channel, then
averaged over channels, pixels and frames.

:func:`ssim_map` is the one SSIM of vidsynth: the metric above (float64) and the differentiable
projection losses (float32, ``vidsynth.apps.projection``) both call it. For images under 11 px
(the losses see tiny test models) the window shrinks to the largest odd size that fits, with sigma
scaled in proportion; at 11 px and above it is exactly the metric's window.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

K1, K2, WINDOW, SIGMA = 0.01, 0.03, 11, 1.5


def _frames01(video: torch.Tensor) -> torch.Tensor:
    """``[B, C, T, H, W]`` in [-1, 1] -> ``[B*T, C, H, W]`` float64 in [0, 1]."""
    b, c, t, h, w = video.shape
    return ((video.double() + 1) / 2).transpose(1, 2).reshape(b * t, c, h, w)


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame PSNR in dB ``[B, T]`` (inf for identical frames)."""
    b, _, t = pred.shape[:3]
    mse = (_frames01(pred) - _frames01(target)).pow(2).flatten(1).mean(1)
    return (10 * torch.log10(1.0 / mse)).reshape(b, t)


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]  # [size, size], sums to 1


def ssim_map(x: torch.Tensor, y: torch.Tensor, window: int = WINDOW, sigma: float = SIGMA) -> torch.Tensor:
    """SSIM at every 'valid' window position of images ``x, y [N, C, H, W]`` in [0, 1] -> ``[N, C, H', W']``.

    Differentiable, in the inputs' dtype. The window shrinks (odd, sigma in proportion) to fit images
    smaller than ``window``.
    """
    c = x.shape[1]
    size = min(window, x.shape[-1], x.shape[-2])
    size -= 1 - size % 2                                                       # odd
    sigma = sigma * size / window if size < window else sigma
    win = gaussian_window(size, sigma).to(x)[None, None].expand(c, 1, size, size)
    filt = lambda z: F.conv2d(z, win, groups=c)  # noqa: E731  local Gaussian mean, 'valid'
    mx, my = filt(x), filt(y)
    vx, vy, cxy = filt(x * x) - mx ** 2, filt(y * y) - my ** 2, filt(x * y) - mx * my
    c1, c2 = K1 ** 2, K2 ** 2
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-frame SSIM ``[B, T]`` (Gaussian window, Wang et al. 2004 constants, data range 1)."""
    b, _, t = pred.shape[:3]
    return ssim_map(_frames01(pred), _frames01(target)).flatten(1).mean(1).reshape(b, t)
