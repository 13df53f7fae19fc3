"""MoCoGAN-HD image discriminators D_I.

* :class:`PairImageDiscriminator` (in-domain): a 2-scale 2D PatchGAN on the pair (first frame,
  frame t) stacked on channels (6 channels), so D judges whether frame t keeps frame 1's content.
* :class:`BigGANDiscriminator` (cross-domain): BigGAN's ResNet D without self-attention, spectral
  norm on every layer, orthogonal init, returning a logit and a 256-d projection used for the
  contrastive loss (appendix A.2.2: F shares D_I's trunk and adds two 256-unit FC layers).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.models.mocogan_hd.patchgan import multiscale_logits, patchgan_layers
from vidsynth.nn.spectral_norm import spectral_norm
from vidsynth.nn.video_ops import resize_frames


class PairImageDiscriminator(nn.Module):
    """``forward(first [N,3,H,W], frame [N,3,H,W]) -> [logits_scale1, logits_scale2]`` (``[N,1,h,w]``).

    Frames are resized to ``input_size`` (128 official); scale 2 sees a 3x3 stride-2 average pool.
    """

    def __init__(self, input_size: int = 128, num_scales: int = 2, base_channels: int = 64, n_layers: int = 3,
                 image_channels: int = 3):
        super().__init__()
        self.input_size = input_size
        self.scales = nn.ModuleList(
            patchgan_layers(2 * image_channels, 2, base_channels, n_layers) for _ in range(num_scales))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, first: torch.Tensor, frame: torch.Tensor) -> list[torch.Tensor]:
        x = resize_frames(torch.cat([first, frame], dim=1), self.input_size)  # [N, 6, S, S]
        return multiscale_logits(self.scales, self.downsample, x)


# Channel multipliers of BigGAN's D per resolution (BigGAN-PyTorch's D_arch, as used officially).
# Each block halves the size except the last; 32 px is BigGAN's CIFAR layout.
_BIGGAN_ARCH = {
    256: ([1, 2, 4, 8, 8, 16, 16], [True] * 6 + [False]),
    128: ([1, 2, 4, 8, 16, 16], [True] * 5 + [False]),
    64: ([1, 2, 4, 8, 16], [True] * 4 + [False]),
    32: ([4, 4, 4, 4], [True, True, False, False]),
}


def biggan_arch(resolution: int) -> tuple[list[int], list[bool]]:
    """(channel multipliers, downsample flags) per block; sizes outside BigGAN's table get
    log2(R)-2 halving blocks with doubling multipliers (capped at 16) plus one final block."""
    if resolution in _BIGGAN_ARCH:
        return _BIGGAN_ARCH[resolution]
    n_down = int(math.log2(resolution)) - 2
    if resolution < 8 or 2 ** (n_down + 2) != resolution:
        raise ValueError(f"resolution must be a power of two >= 8, got {resolution}")
    mults = [min(2 ** i, 16) for i in range(n_down)]
    return mults + [mults[-1]], [True] * n_down + [False]


class BigGANBlock(nn.Module):
    """Residual D block: [relu] conv3x3 -> relu -> conv3x3 -> [avgpool 2], plus a (1x1 conv, pool) shortcut.
    The first block has no pre-activation (its input is the image)."""

    def __init__(self, in_channels: int, out_channels: int, downsample: bool, preactivation: bool):
        super().__init__()
        self.preactivation, self.downsample = preactivation, downsample
        self.conv1 = spectral_norm(nn.Conv2d(in_channels, out_channels, 3, padding=1))  # "wide": hidden = out
        self.conv2 = spectral_norm(nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.learnable_shortcut = in_channels != out_channels or downsample
        self.conv_sc = spectral_norm(nn.Conv2d(in_channels, out_channels, 1)) if self.learnable_shortcut else None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.preactivation:  # conv then pool (cheaper), as BigGAN
            x = self.conv_sc(x) if self.conv_sc is not None else x
            return F.avg_pool2d(x, 2) if self.downsample else x
        x = F.avg_pool2d(x, 2) if self.downsample else x
        return self.conv_sc(x) if self.conv_sc is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x) if self.preactivation else x
        h = self.conv2(F.relu(self.conv1(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        return h + self.shortcut(x)


class BigGANDiscriminator(nn.Module):
    """``[N, 3, R, R]`` -> ``(logits [N, 1], projection [N, proj_dim])``.

    Trunk: BigGAN ResNet blocks (``channels`` = BigGAN's D_ch, 96 official), global sum-pool of
    relu features, then ``proj0`` (C -> proj_dim) + relu giving a shared embedding ``h``. The GAN logit is
    ``linear(h)``; the contrastive projection is the 2-layer head ``proj2(relu(proj1(h)))``.
    Inputs of another size are resized to ``resolution`` first.
    """

    def __init__(self, resolution: int = 128, channels: int = 96, proj_dim: int = 256, image_channels: int = 3):
        super().__init__()
        self.resolution = resolution
        mults, downs = biggan_arch(resolution)
        ins = [image_channels] + [channels * m for m in mults[:-1]]
        self.blocks = nn.ModuleList(
            BigGANBlock(i, channels * m, d, preactivation=k > 0) for k, (i, m, d) in enumerate(zip(ins, mults, downs)))
        out = channels * mults[-1]
        self.proj0 = spectral_norm(nn.Linear(out, proj_dim))
        self.linear = spectral_norm(nn.Linear(proj_dim, 1))
        self.proj1 = spectral_norm(nn.Linear(proj_dim, proj_dim))
        self.proj2 = spectral_norm(nn.Linear(proj_dim, proj_dim))
        for m in self.modules():  # BigGAN's 'ortho' init (applied to the un-normalised weights)
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
                nn.init.orthogonal_(w)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Shared 256-d embedding ``h`` (before the logit and projection heads)."""
        h = resize_frames(x, self.resolution)
        for block in self.blocks:
            h = block(h)
        h = F.relu(h).sum(dim=(2, 3))          # [N, C]
        return F.relu(self.proj0(h))           # [N, proj_dim]

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Contrastive projection only, ``[N, proj_dim]``."""
        return self.proj2(F.relu(self.proj1(self.embed(x))))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.embed(x)
        return self.linear(h), self.proj2(F.relu(self.proj1(h)))
