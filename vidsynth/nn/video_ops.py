"""The one frame/video resizer of the models, applications and benchmarks: area when shrinking,
bilinear when enlarging.

Area resampling averages whole source pixels: when the side is a multiple of the target it *is*
average pooling (what MoCoGAN-HD's official code does to feed its 128 px discriminators from
256/1024 px frames), and it equals ``adaptive_avg_pool2d``. The FVD protocol's resize
(``vidsynth.metrics.resize.resize_video``: TF1 bilinear to 224 px, as the reference I3D pipeline)
is a metrics rule with different semantics and stays there; dataset preprocessing
(``vidsynth.video.pixels.crop_resize``) works on uint8 frames with antialiased bilinear.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def resize_frames(x: torch.Tensor, size: int) -> torch.Tensor:
    """Images ``[N, C, H, W]`` or videos ``[B, C, T, H, W]`` -> side ``size`` (identity when already
    ``size x size``); area when the width shrinks, bilinear when it grows."""
    if tuple(x.shape[-2:]) == (size, size):
        return x
    if x.ndim == 5:
        b, c, t, h, w = x.shape
        frames = resize_frames(x.transpose(1, 2).reshape(b * t, c, h, w), size)   # [B*T, C, S, S]
        return frames.reshape(b, t, c, size, size).transpose(1, 2)
    return F.interpolate(x, size=(size, size), mode="area" if x.shape[-1] >= size else "bilinear")
