"""StyleGAN2 residual discriminator (Karras et al. 2020, config 'resnet'), the D used by DIGAN for
both its image D (3 input channels) and its motion D (frame t1, frame t2, plane of dt: 7 channels),
and by the StyleGAN2 image-generator trainer. Optional class conditioning by projection, with
StyleGAN2-ADA's label mapping (``LabelMapping``).

Mixed precision as StyleGAN2-ADA (``num_fp16_res``, ``conv_clamp``; DIGAN's official D uses 4 and 256):
once ``set_reduced_dtype(fp16 or bf16)`` is called (``nn.precision.set_reduced_precision``, by the DIGAN
trainer under ``--precision fp16|bf16``), the blocks at the ``num_fp16_res`` highest resolutions
(``res >= max(2^(log2 R + 1 - num_fp16_res), 8)``; the top one includes ``fromrgb``) run in that format,
their fp32 weights cast on every call, and the lower blocks and the epilogue (minibatch std, conv, dense
layers, label mapping) in fp32, whatever autocast surrounds the D. With a reduced format set, ``conv_clamp`` clamps
the activated output of fromrgb, conv0, conv1 and the epilogue conv to ``+-conv_clamp * gain`` (not the
skip convs nor the dense layers), in every block, fp32 ones included, as the official
``bias_act(clamp=...)`` does. Without ``set_reduced_dtype`` (the default) the D is plain fp32, unclamped
(the official ``--fp32`` sets ``num_fp16_res = 0`` and ``conv_clamp = None`` together), and follows any
surrounding autocast."""
from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

from vidsynth.nn.equalized import EqualConv2d, EqualLinear
from vidsynth.nn.mapping import normalize_2nd_moment
from vidsynth.nn.minibatch_std import MinibatchStd
from vidsynth.nn.precision import block_precision


def clamp(x: torch.Tensor, limit: float | None) -> torch.Tensor:
    """``x`` clamped to ``[-limit, limit]`` (StyleGAN2-ADA's ``conv_clamp * gain``); ``None``: unchanged."""
    return x if limit is None else x.clamp(-limit, limit)


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
    """Two 3x3 convs (second one halves the size) plus a 1x1 downsampling skip, summed with gain sqrt(1/2);
    the convs' activations clamped to ``+-conv_clamp * gain`` (``forward``'s argument; None: no clamp)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activation="lrelu")
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activation="lrelu", down=2)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x: torch.Tensor, conv_clamp: float | None = None) -> torch.Tensor:
        g, c = math.sqrt(0.5), conv_clamp
        y = self.skip(x, gain=g)                                   # (no clamp on the skip, as the official)
        x = clamp(self.conv0(x), c)
        x = clamp(self.conv1(x, gain=g), None if c is None else c * g)
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
                 width: int | None = None, num_fp16_res: int = 0, conv_clamp: float | None = None):
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
        if num_fp16_res < 0 or (conv_clamp is not None and not conv_clamp > 0):
            raise ValueError(f"num_fp16_res must be >= 0 and conv_clamp > 0 or None, got {num_fp16_res}, {conv_clamp}")
        self.num_fp16_res, self.conv_clamp = num_fp16_res, conv_clamp
        fp16_resolution = max(2 ** (log2 + 1 - num_fp16_res), 8)        # StyleGAN2-ADA's rule
        # per block (resolutions R, R/2, ..., 8): does it run in the reduced format? (fromrgb goes with block 0)
        self.reduced_blocks = [2 ** i >= fp16_resolution for i in range(log2, 2, -1)]
        self.reduced_dtype: torch.dtype | None = None                   # set_reduced_dtype; None: all fp32
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

    def set_reduced_dtype(self, dtype: torch.dtype | None) -> None:
        """The format of the top ``num_fp16_res`` blocks (``torch.float16`` / ``torch.bfloat16``), or None:
        no mixed precision (every block fp32, or whatever autocast surrounds the D)."""
        self.reduced_dtype = dtype

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None, features_at: int = 0
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits ``[N, 1]``; with ``features_at = r`` (a power of two from 4 to R) also the feature map of ``r``
        rows that the next block (or the epilogue, at 4) reads, ``[N, C_r, r, r W/R]`` in fp32: (logits, map)."""
        if features_at and (features_at < 4 or features_at > self.resolution or features_at & (features_at - 1)):
            raise ValueError(f"features_at must be a power of two from 4 to {self.resolution}, got {features_at}")
        mixed, device = self.reduced_dtype is not None, x.device.type
        limit = self.conv_clamp if mixed else None     # the official --fp32 turns the clamp off with the fp16 blocks
        features, res = None, self.resolution
        if not self.blocks:                                            # resolution 4: the epilogue reads fromrgb
            x = clamp(self.fromrgb(x), limit)
        for i, (block, reduced) in enumerate(zip(self.blocks, self.reduced_blocks)):
            fmt = self.reduced_dtype if reduced else None              # None: fp32
            with block_precision(device, fmt) if mixed else _NOOP:
                if mixed:
                    x = x.to(fmt or torch.float32)                    # [N, C, res, res] in this block's format
                if i == 0:
                    x = clamp(self.fromrgb(x), limit)
                if res == features_at:
                    features = x
                x = block(x, limit)
                res //= 2
        if res == features_at:
            features = x
        with block_precision(device, None) if mixed else _NOOP:      # the epilogue: fp32
            x = x.float() if mixed else x
            x = clamp(self.conv(self.mbstd(x)), limit)
            x = self._project(self.out(self.fc(x.flatten(1))), c)
        return (x, features.float()) if features_at else x

    def _project(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this discriminator is class-conditional: pass one-hot labels c [N, c_dim]")
            cmap = self.mapping(c)
            x = (x * cmap).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x


_NOOP = contextlib.nullcontext()
