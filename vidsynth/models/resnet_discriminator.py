"""StyleGAN2 residual discriminator (Karras et al. 2020, config 'resnet'), the D used by DIGAN for
both its image D (3 input channels) and its motion D (frame t1, frame t2, plane of dt: 7 channels),
and by the StyleGAN2 image-generator trainer. Optional class conditioning by projection, with
StyleGAN2-ADA's label mapping (``LabelMapping``)."""
from __future__ import annotations

import math

import torch
from torch import nn

from vidsynth.nn.equalized import EqualConv2d, EqualLinear
from vidsynth.nn.mapping import normalize_2nd_moment
from vidsynth.nn.minibatch_std import MinibatchStd


class LabelMapping(nn.Module):
    """One-hot label ``c [N, c_dim]`` -> ``cmap [N, dim]``, as StyleGAN2-ADA's conditional D
    (``MappingNetwork(z_dim=0, c_dim)``): a linear embedding, normalize_2nd_moment, then
    ``num_layers`` (8 by default) lrelu layers with learning-rate multiplier 0.01. The normalisation
    gives the projection a unit-RMS input whatever ``c_dim`` is (about 1 at init, not 0.1)."""

    def __init__(self, c_dim: int, dim: int, num_layers: int = 8, lr_multiplier: float = 0.01):
        super().__init__()
        self.embed = EqualLinear(c_dim, dim)
        self.layers = nn.Sequential(*[EqualLinear(dim, dim, activation="lrelu", lr_multiplier=lr_multiplier)
                                      for _ in range(num_layers)])

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return self.layers(normalize_2nd_moment(self.embed(c.float())))


class DiscriminatorBlock(nn.Module):
    """Two 3x3 convs (second one halves the size) plus a 1x1 downsampling skip, summed with gain sqrt(1/2)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activation="lrelu")
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activation="lrelu", down=2)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.skip(x, gain=math.sqrt(0.5))
        x = self.conv1(self.conv0(x), gain=math.sqrt(0.5))
        return y + x


class ResNetDiscriminator(nn.Module):
    """``[N, in_channels, R, W]`` -> logits ``[N, 1]`` (``W = width``, default ``R``: square).

    The blocks halve both sides down to ``4 x 4W/R``; the final dense layer reads that whole map, so a
    rectangular D differs from the square one only in that layer's input size (``W`` must be a multiple
    of ``R / 4``).

    Channels per resolution: ``min(channel_base // res, channel_max)`` as in StyleGAN2-ADA.
    With ``c_dim > 0`` a label embedding is projected onto the output (cmap) as in StyleGAN2-ADA.
    """

    def __init__(self, resolution: int, in_channels: int = 3, channel_base: int = 32768, channel_max: int = 512,
                 mbstd_group_size: int = 4, mbstd_num_channels: int = 1, c_dim: int = 0, mapping_layers: int = 8,
                 width: int | None = None):
        super().__init__()
        if resolution < 4 or resolution & (resolution - 1):
            raise ValueError(f"discriminator resolution must be a power of two >= 4, got {resolution}")
        width = resolution if width is None else int(width)
        if width < 1 or (width * 4) % resolution:
            raise ValueError(f"discriminator width {width} must be a positive multiple of resolution / 4 "
                             f"({resolution // 4}): the blocks halve it down to a whole 4-row map")
        self.width = width
        self.resolution, self.in_channels, self.c_dim = resolution, in_channels, c_dim
        log2 = int(math.log2(resolution))
        ch = {2 ** i: min(channel_base // 2 ** i, channel_max) for i in range(2, log2 + 1)}
        self.fromrgb = EqualConv2d(in_channels, ch[resolution], 1, activation="lrelu")
        self.blocks = nn.ModuleList(DiscriminatorBlock(ch[2 ** i], ch[2 ** (i - 1)]) for i in range(log2, 2, -1))
        c4 = ch[4]
        self.mbstd = MinibatchStd(mbstd_group_size, mbstd_num_channels) if mbstd_num_channels > 0 else nn.Identity()
        self.conv = EqualConv2d(c4 + mbstd_num_channels, c4, 3, activation="lrelu")
        self.fc = EqualLinear(c4 * 4 * (4 * width // resolution), c4, activation="lrelu")  # map 4 x 4W/R
        self.cmap_dim = c4 if c_dim > 0 else 0
        self.out = EqualLinear(c4, self.cmap_dim or 1)
        if c_dim > 0:  # label -> cmap, as StyleGAN2-ADA's conditional D
            self.mapping = LabelMapping(c_dim, c4, mapping_layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = self.fromrgb(x)
        for block in self.blocks:
            x = block(x)
        x = self.conv(self.mbstd(x))
        x = self.out(self.fc(x.flatten(1)))
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this discriminator is class-conditional: pass one-hot labels c [N, c_dim]")
            cmap = self.mapping(c)
            x = (x * cmap).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x
