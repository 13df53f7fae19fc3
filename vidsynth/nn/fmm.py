"""Factorized multiplicative modulation (FMM, Skorokhodov et al. 2021, INR-GAN).

A per-pixel linear layer (a 1x1 conv) whose weight matrix is modulated by a low-rank matrix
predicted from the style vector w:  W_b = W * (1 + A_b B_b / sqrt(rank)),  then each output row is
normalized (demodulation). Because the layer is 1x1 it acts on any set of points: here the
points of all frames of a video at once, ``[B, C, N]`` with ``N = T*H*W``, which is what lets
DIGAN render many frames in parallel with one weight matrix per video.
"""
from __future__ import annotations

import math

import torch
from torch import nn

import torch.nn.functional as F

from vidsynth.nn.equalized import LRELU_GAIN, EqualLinear, activate


class FMMLayer(nn.Module):
    """``x [B, C_in, N]``, ``w [B, w_dim]`` -> ``[B, C_out, N]`` (lrelu with gain sqrt(2))."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, rank: int = 10, activation: str = "lrelu"):
        super().__init__()
        self.in_channels, self.out_channels, self.rank = in_channels, out_channels, rank
        self.affine = EqualLinear(w_dim, (in_channels + out_channels) * rank, bias_init=0.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.activation = activation

    # Before/after switch for the bench (``vidsynth bench --measure speedups``, ``digan_fmm_styles``): True scales
    # the affine layer's input w ([B, w_dim]) by its equalized-lr gain instead of its weight ([(C_in + C_out) *
    # rank, w_dim], 5M entries at 512 channels, rewritten and, in training, back-propagated through per call),
    # and adds the 1 of ``1 + A B / sqrt(rank)`` inside the low-rank product. Same function; float rounding only.
    fused_styles = True

    def styles(self, w: torch.Tensor) -> torch.Tensor:
        """The affine layer's output ``[B, (C_out + C_in) * rank]`` (``EqualLinear`` with its gain on ``w``)."""
        if not self.fused_styles:
            return self.affine(w)
        a = self.affine
        return F.linear(w * a.weight_gain, a.weight, a.bias * a.bias_gain)

    def modulated_weight(self, w: torch.Tensor) -> torch.Tensor:
        """Per-sample weight ``[B, C_out, C_in]``, demodulated row-wise."""
        b = w.shape[0]
        styles = self.styles(w)
        left = styles[:, : self.out_channels * self.rank].view(b, self.out_channels, self.rank)
        right = styles[:, self.out_channels * self.rank:].view(b, self.rank, self.in_channels)
        if self.fused_styles:                                          # 1 + left @ right / sqrt(rank), one op
            one = torch.ones((), dtype=styles.dtype, device=styles.device).expand(1, 1, 1)
            modulation = torch.baddbmm(one, left, right, alpha=1 / math.sqrt(self.rank))   # [B, C_out, C_in]
            weight = self.weight.unsqueeze(0) * modulation
        else:
            modulation = left @ right / math.sqrt(self.rank)          # [B, C_out, C_in]
            weight = self.weight.unsqueeze(0) * (modulation + 1.0)
        return weight / (weight.norm(dim=2, keepdim=True) + 1e-8)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        weight, bias = self.modulated_weight(w).to(x.dtype), self.bias.to(x.dtype)
        if self.activation != "lrelu":
            return activate(torch.baddbmm(bias.view(1, -1, 1), weight, x), self.activation)
        # lrelu(g*y) = g*lrelu(y) for g > 0: fold the sqrt(2) gain into weight and bias, add the bias
        # inside the matmul and apply the activation in place (one pass over [B, C_out, N], not three).
        out = torch.baddbmm((bias * LRELU_GAIN).view(1, -1, 1), weight * LRELU_GAIN, x)   # [B, C_out, N]
        # In place also when autograd records it (training): baddbmm's backward needs only its two factors,
        # and in-place leaky_relu with a positive slope differentiates from its result (same sign as its
        # input), so gradients are bit-identical and each layer keeps one [B, C_out, N] activation, not two.
        return F.leaky_relu_(out, 0.2)


    def forward_upsampled(self, x_low: torch.Tensor, e: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """The layer applied to ``concat(nearest_up_x2(x_low), e)`` without building that concatenation.

        A 1x1 layer commutes with nearest upsampling, so with the weight split by input channels
        ``W = [W_x | W_e]``:  ``W @ concat(up(x), e) = up(W_x @ x) + W_e @ e`` -- exactly. ``W_x @ x``
        runs on the low-resolution grid (4x fewer points), which removes a quarter of DIGAN's MACs at
        128 px and its largest activation (the 768-channel concatenation).
        ``x_low [B, C_x, T, h, w]``, ``e [B, C_e, T*2h*2w]`` -> ``[B, C_out, T*2h*2w]``.
        """
        b, c_x = x_low.shape[:2]
        gain = LRELU_GAIN if self.activation == "lrelu" else 1.0
        weight = self.modulated_weight(w).to(x_low.dtype) * gain                     # [B, out, C_x + C_e]
        low = torch.bmm(weight[:, :, :c_x], x_low.flatten(2)).view(b, -1, *x_low.shape[2:])
        low = F.interpolate(low, scale_factor=(1, 2, 2), mode="nearest").flatten(2)  # [B, out, N]
        out = torch.baddbmm(low.add_((self.bias.to(low.dtype) * gain).view(1, -1, 1)), weight[:, :, c_x:], e)
        if self.activation == "lrelu":
            return F.leaky_relu_(out, 0.2)             # in place with autograd too (see forward)
        return activate(out, self.activation)


class ModulatedToRGB(nn.Module):
    """StyleGAN2's toRGB: a 1x1 conv modulated by w without demodulation, ``[B, C, N] -> [B, 3, N]``."""

    def __init__(self, in_channels: int, w_dim: int, out_channels: int = 3):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def modulated_weight(self, w: torch.Tensor) -> torch.Tensor:
        """Per-sample weight ``[B, 3, C_in]`` (no demodulation)."""
        styles = self.affine(w) * self.weight_gain                     # [B, C_in]
        return self.weight.unsqueeze(0) * styles.unsqueeze(1)         # [B, 3, C_in]

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias.to(x.dtype).view(1, -1, 1), self.modulated_weight(w).to(x.dtype), x)
