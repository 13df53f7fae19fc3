"""Modulated convolution (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN").

Each sample gets its own copy of the conv weight: the input channels are scaled by a *style* computed
from w (modulation), then every output filter is rescaled to unit norm (demodulation), which replaces
AdaIN's instance normalisation without its "droplet" artifacts. The per-sample weights are applied
in one call as a grouped convolution (groups = batch size).

Parameter names and shapes follow rosinality's ``stylegan2-pytorch`` so its checkpoints load by name:
``weight [1, out, in, k, k]``, ``modulation.weight [in, style_dim]``, ``modulation.bias [in]`` (init 1).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.equalized import EqualLinear
from vidsynth.nn.resample import blur_pad


class ModulatedConv2d(nn.Module):
    """``x [N, in, H, W]``, ``w [N, style_dim]`` -> ``[N, out, H, W]`` (``[N, out, 2H, 2W]`` with ``upsample``).

    Upsampling follows StyleGAN2 exactly (so imported weights give the same images): a stride-2
    transposed convolution (``[N, out, 2H+1, 2W+1]``) followed by a [1,3,3,1] blur (gain 4) with
    one pixel of padding each side, which brings the size to ``2H``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, style_dim: int,
                 demodulate: bool = True, upsample: bool = False, eps: float = 1e-8):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.upsample, self.eps = demodulate, upsample, eps
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)   # equalized learning rate
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)  # w -> per-input-channel style

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, c, h, wd = x.shape
        style = self.modulation(w).view(n, 1, c, 1, 1)                       # [N, 1, in, 1, 1]
        weight = self.weight * self.weight_gain * style                      # [N, out, in, k, k]
        if self.demodulate:
            demod = torch.rsqrt(weight.square().sum(dim=[2, 3, 4]) + self.eps)  # [N, out]
            weight = weight * demod.view(n, self.out_channels, 1, 1, 1)
        k = self.kernel_size
        x = x.reshape(1, n * c, h, wd)                                       # samples become groups
        if self.upsample:
            # conv_transpose2d wants [groups * in, out, k, k]
            weight = weight.transpose(1, 2).reshape(n * c, self.out_channels, k, k)
            x = F.conv_transpose2d(x, weight, stride=2, groups=n)            # [1, N*out, 2H+1, 2W+1]
            x = x.view(n, self.out_channels, *x.shape[2:])
            return blur_pad(x, pad=1) * 4                                    # [N, out, 2H, 2W]
        weight = weight.reshape(n * self.out_channels, c, k, k)
        x = F.conv2d(x, weight, padding=k // 2, groups=n)
        return x.view(n, self.out_channels, h, wd)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}->{self.out_channels}, k={self.kernel_size}, "
                f"demodulate={self.demodulate}, upsample={self.upsample}")
