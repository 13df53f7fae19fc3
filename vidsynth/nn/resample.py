"""Anti-aliased resampling with the [1, 3, 3, 1] binomial filter used by StyleGAN2 (pure PyTorch)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

def _kernel(x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """Depthwise 4x4 blur kernel ``[C, 1, 4, 4]`` summing to ``gain`` (built on x's device: meta tensors too)."""
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0], device=x.device)
    k = torch.outer(taps, taps)
    k = (k / k.sum() * gain).to(device=x.device, dtype=x.dtype)
    return k.expand(x.shape[1], 1, 4, 4)


def blur_pad(x: torch.Tensor, pad: int, gain: float = 1.0) -> torch.Tensor:
    """Blur ``[N, C, H, W]`` (kernel summing to ``gain``) after zero padding ``pad`` on each side:
    size becomes ``H + 2*pad - 3``. The padding is the convolution's own (no padded copy of x)."""
    return F.conv2d(x, _kernel(x, gain), padding=pad, groups=x.shape[1])


def blur_downsample(x: torch.Tensor) -> torch.Tensor:
    """Blur then keep every second pixel: ``[N, C, H, W] -> [N, C, H/2, W/2]``."""
    x = F.pad(x, [1] * 4)
    return F.conv2d(x, _kernel(x), stride=2, groups=x.shape[1])


def blur_upsample(x: torch.Tensor) -> torch.Tensor:
    """Zero-insert x2 then blur (gain 4 keeps the mean): ``[N, C, H, W] -> [N, C, 2H, 2W]``."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, h, 2, w, 2)
    up[:, :, :, 0, :, 0] = x
    up = up.view(n, c, 2 * h, 2 * w)
    up = F.pad(up, [2, 1, 2, 1])
    return F.conv2d(up, _kernel(x, gain=4.0), groups=c)
