"""A discriminator feature map decoded back into the image it came from (Liu et al. 2021, FastGAN's
self-supervised discriminator).

FastGAN trains its D to reconstruct each real image from an intermediate feature map, beside the
real/fake loss, so that the D's features must describe the whole image (its layout and content), not
only the local statistics that separate real from fake. On small datasets this is what let its
generator learn the images' content in a few GPU hours. Here the reconstruction is compared in pixels
(mean squared error), not with FastGAN's LPIPS: nothing pretrained is loaded.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.equalized import EqualConv2d


class FeatureDecoder(nn.Module):
    """Feature map ``[N, C, r, r W/R]`` -> RGB ``[N, 3, R, W]``: per doubling, nearest 2x upsampling and a
    3x3 lrelu conv halving the channels (at least 16), then a 1x1 conv to RGB (no activation: the target is in
    [-1, 1] and the loss is squared error)."""

    def __init__(self, in_channels: int, from_resolution: int, to_resolution: int):
        super().__init__()
        if from_resolution < 1 or to_resolution % from_resolution or to_resolution & (to_resolution - 1):
            raise ValueError(f"cannot decode a {from_resolution}-row feature map to {to_resolution} rows: "
                             "both must be powers of two, the first the smaller")
        layers, ch = [], in_channels
        for _ in range(int(math.log2(to_resolution // from_resolution))):
            out = max(ch // 2, 16)
            layers.append(EqualConv2d(ch, out, 3, activation="lrelu"))
            ch = out
        self.ups = nn.ModuleList(layers)
        self.torgb = EqualConv2d(ch, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.ups:
            x = conv(F.interpolate(x, scale_factor=2, mode="nearest"))
        return self.torgb(x)
