"""Modulated convolution (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN").

Each sample gets its own copy of the conv weight: the input channels are scaled by a *style* computed
from w (modulation), then every output filter is rescaled to unit norm (demodulation), which replaces
AdaIN's instance normalisation without its "droplet" artifacts.

Two mathematically identical ways to run it (StyleGAN2-ADA's ``fused_modconv``):

* **fused** (the paper's formulation): build the per-sample weights ``[N, out, in, k, k]`` and run one
  grouped convolution with ``groups = N`` (each sample is a group).
* **unfused**: scale the input by the style, run ONE ordinary convolution with the shared weight
  over the whole batch, then multiply each output channel by the demodulation coefficient
  ``d[n, o] = 1 / sqrt(sum_i s[n, i]^2 * sum_kk W[o, i, k, k]^2 + eps)``. Convolution is linear in
  the input, so ``conv(x * s, W) * d == conv(x, W * s * d)`` exactly in real arithmetic; float32
  results differ only by summation order (see ``tests/models/test_modulated_conv.py``).

On CPU the grouped convolution runs far below the machine's convolution rate (oneDNN handles a
batch-1, N-group conv as N small convs), so ``fused=None`` (automatic, the default) picks the
unfused path on CPU and the fused one on other devices; ``ModulatedConv2d.fused = True / False``
(class-wide) or the ``fused`` attribute of one layer forces either (``vidsynth bench --measure
speedups``' ``modconv_fused`` measures both).

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


def can_modify_in_place() -> bool:
    """True when no autograd graph is being recorded, so activations may be overwritten in place
    (fewer GB-sized allocations, hence fewer page faults) without breaking a backward pass."""
    return torch.is_inference_mode_enabled() or not torch.is_grad_enabled()


class ModulatedConv2d(nn.Module):
    """``x [N, in, H, W]``, ``w [N, style_dim]`` -> ``[N, out, H, W]`` (``[N, out, 2H, 2W]`` with ``upsample``).

    Upsampling follows StyleGAN2 exactly (so imported weights give the same images): a stride-2
    transposed convolution (``[N, out, 2H+1, 2W+1]``) followed by a [1,3,3,1] blur (gain 4) with
    one pixel of padding each side, which brings the size to ``2H``.

    ``fused``: None (default) = automatic (unfused on CPU, fused grouped conv elsewhere); True/False
    forces the grouped / the shared-weight formulation (see the module docstring).
    """

    fused: bool | None = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, style_dim: int,
                 demodulate: bool = True, upsample: bool = False, eps: float = 1e-8):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.upsample, self.eps = demodulate, upsample, eps
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)   # equalized learning rate
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)  # w -> per-input-channel style

    def use_fused(self, x: torch.Tensor) -> bool:
        """The formulation this call runs: the ``fused`` setting, or automatic (grouped off CPU)."""
        return self.fused if self.fused is not None else x.device.type != "cpu"

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        style = self.modulation(w)                                           # [N, in]
        if self.use_fused(x):
            return self.forward_fused(x, style)
        return self.forward_unfused(x, style)

    def forward_fused(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """Per-sample weights, one grouped convolution (groups = N)."""
        n, c, h, wd = x.shape
        weight = self.weight * self.weight_gain * style.view(n, 1, c, 1, 1)  # [N, out, in, k, k]
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
            return blur_pad(x, pad=1, gain=4)                                # [N, out, 2H, 2W]
        weight = weight.reshape(n * self.out_channels, c, k, k)
        x = F.conv2d(x, weight, padding=k // 2, groups=n)
        return x.view(n, self.out_channels, h, wd)

    def shared_weight(self) -> torch.Tensor:
        """The weight scaled by its gain, shared by every sample (unfused formulation): ``[out, in, k, k]``."""
        return self.weight[0] * self.weight_gain

    def demodulation(self, style: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``d [N, out]``: sum_{i,kk} (W s)^2 = sum_i s_i^2 sum_kk W^2, i.e. ``[N, in] @ [in, out]``."""
        return torch.rsqrt(style.square() @ weight.square().sum(dim=[2, 3]).t() + self.eps)

    def forward_unfused(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """Input scaled by the style, one shared-weight convolution over the batch, output demodulated."""
        n, c = x.shape[:2]
        weight = self.shared_weight()                                        # [out, in, k, k]
        x = x * style.view(n, c, 1, 1).to(x.dtype)                           # modulation (a new tensor)
        if self.upsample:
            x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)      # [N, out, 2H+1, 2W+1]
        else:
            x = F.conv2d(x, weight, padding=self.kernel_size // 2)           # [N, out, H, W]
        if self.demodulate:
            demod = self.demodulation(style, weight).view(n, self.out_channels, 1, 1)
            x = x.mul_(demod) if can_modify_in_place() else x * demod
        return blur_pad(x, pad=1, gain=4) if self.upsample else x            # [N, out, 2H, 2W] / [N, out, H, W]

    def extra_repr(self) -> str:
        return (f"{self.in_channels}->{self.out_channels}, k={self.kernel_size}, "
                f"demodulate={self.demodulate}, upsample={self.upsample}")
