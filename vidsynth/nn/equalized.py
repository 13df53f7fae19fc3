"""Equalized-learning-rate layers (Karras et al.): weights stored as N(0, 1) and scaled at run time
by 1/sqrt(fan_in), so Adam sees every layer at the same scale. Used by every network in vidsynth."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.resample import blur_downsample, blur_pad

LRELU_GAIN = math.sqrt(2.0)


def activate(x: torch.Tensor, activation: str, gain: float = 1.0) -> torch.Tensor:
    """``linear`` or ``lrelu`` (slope 0.2, scaled by sqrt(2) to keep unit variance), times ``gain``."""
    if activation == "lrelu":
        return F.leaky_relu(x, 0.2) * (LRELU_GAIN * gain)
    if activation == "linear":
        return x * gain if gain != 1 else x
    raise ValueError(f"unknown activation {activation!r}")


class EqualLinear(nn.Module):
    """Fully connected layer ``[N, in] -> [N, out]`` with equalized learning rate and optional activation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, bias_init: float = 0.0,
                 lr_multiplier: float = 1.0, activation: str = "linear"):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.bias_gain if self.bias is not None else None
        x = F.linear(x, self.weight * self.weight_gain, b)
        return activate(x, self.activation)

    def extra_repr(self) -> str:
        return f"in={self.weight.shape[1]}, out={self.weight.shape[0]}, act={self.activation}"


class EqualConv2d(nn.Module):
    """2D convolution with equalized learning rate; ``down=2`` blurs ([1,3,3,1]) then strides, as StyleGAN2."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", down: int = 1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.activation = activation
        self.down = down
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = self.weight * self.weight_gain
        if self.down == 1:
            x = F.conv2d(x, w, self.bias, padding=self.kernel_size // 2)
        elif self.kernel_size == 1:
            x = F.conv2d(blur_downsample(x), w, self.bias)
        else:  # blur with padding so that the strided k x k conv halves the size exactly
            x = F.conv2d(blur_pad(x, pad=(self.kernel_size + 1) // 2), w, self.bias, stride=self.down)
        return activate(x, self.activation, gain)

    def extra_repr(self) -> str:
        o, i, k, _ = self.weight.shape
        return f"{i}->{o}, k={k}, down={self.down}, act={self.activation}"
