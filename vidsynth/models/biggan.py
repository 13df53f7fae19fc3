"""A compact BigGAN-style generator (Brock et al. 2019) working in Z space.

MoCoGAN-HD supports BigGAN as its image generator, with latents sampled directly in Z. This class
proves the ``LatentImageGenerator`` interface on a second family (``latent_space = "z"``) and is a
plain ``nn.Module`` (``forward(z, c=None)``) that the image-GAN trainer can train.

Architecture (resolution R = 2**k, k - 2 blocks):
  z [N, z_dim] is split into k - 1 chunks ("hierarchical latent"): chunk 0 -> spectral-norm linear
  -> [N, ch(4), 4, 4]; chunk i conditions block i (with the shared class embedding when c_dim > 0)
  through conditional batch norm. Each residual up-block: CBN -> ReLU -> x2 nearest -> conv3x3 ->
  CBN -> ReLU -> conv3x3, plus a x2 nearest -> conv1x1 skip. Output: BN -> ReLU -> conv3x3 -> tanh.
  No self-attention. Channels ``width * min(16, R / res)`` at resolution ``res`` (BigGAN's 128 px table).

Batch norm: in ``train()`` mode it uses batch statistics; call ``eval()`` for a frozen generator so
that an image depends only on its own latent (MoCoGAN-HD drives a frozen G).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as add_spectral_norm


def _sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Orthogonal init (as BigGAN), then spectral normalisation of ``weight`` if ``enabled``."""
    nn.init.orthogonal_(module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return add_spectral_norm(module) if enabled else module


def biggan_channels(res: int, resolution: int, width: int) -> int:
    """Channels at feature resolution ``res`` of a ``resolution``-px generator."""
    return width * min(16, resolution // res)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose per-channel gain and bias are linear functions of a condition vector ``y [N, cond_dim]``
    (class embedding and/or z chunk; with z only this is BigGAN's "self-modulated" BN)."""

    def __init__(self, channels: int, cond_dim: int, eps: float = 1e-5):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False, eps=eps)
        self.gain = nn.Linear(cond_dim, channels)   # gain is 1 + gain(y)
        self.bias = nn.Linear(cond_dim, channels)
        for layer in (self.gain, self.bias):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gain = 1 + self.gain(y)[:, :, None, None]
        return self.bn(x) * gain + self.bias(y)[:, :, None, None]


class GBlock(nn.Module):
    """Residual up-block ``[N, in, H, W]`` -> ``[N, out, 2H, 2W]`` conditioned on ``y``."""

    def __init__(self, in_channels: int, out_channels: int, cond_dim: int, sn: bool = True):
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(in_channels, cond_dim)
        self.conv1 = _sn(nn.Conv2d(in_channels, out_channels, 3, padding=1), sn)
        self.bn2 = ConditionalBatchNorm2d(out_channels, cond_dim)
        self.conv2 = _sn(nn.Conv2d(out_channels, out_channels, 3, padding=1), sn)
        self.skip = _sn(nn.Conv2d(in_channels, out_channels, 1), sn)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), y)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigGANGenerator(nn.Module):
    """BigGAN-style generator: ``forward(z [N, z_dim], c=None) -> [N, 3, R, R]`` in [-1, 1].

    Args:
        resolution: output size, a power of two in [32, 256].
        z_dim: latent size; split into ``log2(R) - 1`` chunks (hierarchical latent).
        width: channel width (BigGAN's ``ch``; 96 at 128 px in the paper, 64 here by default).
        c_dim: number of classes (0: unconditional, blocks are modulated by z chunks only).
        shared_dim: size of the shared class embedding (used when ``c_dim > 0``).
        spectral_norm: spectral normalisation on the linear and conv weights, as BigGAN's G.
    """

    latent_space = "z"

    def __init__(self, resolution: int = 128, z_dim: int = 120, width: int = 64, c_dim: int = 0,
                 shared_dim: int = 128, spectral_norm: bool = True):
        super().__init__()
        if resolution < 32 or resolution > 256 or resolution & (resolution - 1):
            raise ValueError(f"BigGAN resolution must be a power of two in [32, 256], got {resolution}")
        n_blocks = int(math.log2(resolution)) - 2
        if z_dim < n_blocks + 1:
            raise ValueError(f"z_dim must be at least {n_blocks + 1} (one chunk per block plus one)")
        self.init_kwargs = dict(resolution=resolution, z_dim=z_dim, width=width, c_dim=c_dim,
                                shared_dim=shared_dim, spectral_norm=spectral_norm)   # for save_model
        self.resolution, self.z_dim, self.width, self.c_dim = resolution, z_dim, width, c_dim
        self.latent_dim = z_dim
        # z chunks: chunk 0 feeds the 4x4 linear (and takes the remainder), chunk i conditions block i.
        base, extra = divmod(z_dim, n_blocks + 1)
        self.chunk_sizes = [base + extra] + [base] * n_blocks
        cond_dim = self.chunk_sizes[1] + (shared_dim if c_dim > 0 else 0)
        if c_dim > 0:
            self.shared = nn.Embedding(c_dim, shared_dim)   # one embedding shared by all blocks

        ch = [biggan_channels(2 ** i, resolution, width) for i in range(2, n_blocks + 3)]  # 4 .. R px
        self.ch4 = ch[0]
        self.linear = _sn(nn.Linear(self.chunk_sizes[0], ch[0] * 16), spectral_norm)
        self.blocks = nn.ModuleList(GBlock(ch[i], ch[i + 1], cond_dim, spectral_norm) for i in range(n_blocks))
        self.out_bn = nn.BatchNorm2d(ch[-1])
        self.out_conv = _sn(nn.Conv2d(ch[-1], 3, 3, padding=1), spectral_norm)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """``z [N, z_dim]``, one-hot ``c [N, c_dim]`` (or class indices ``[N]``) -> images ``[N, 3, R, R]``."""
        chunks = torch.split(z, self.chunk_sizes, dim=1)
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this generator is class-conditional: pass labels c")
            labels = c.argmax(dim=1) if c.ndim == 2 else c.long()
            emb = self.shared(labels)
        x = self.linear(chunks[0]).view(z.shape[0], self.ch4, 4, 4)
        for block, chunk in zip(self.blocks, chunks[1:]):
            y = torch.cat([chunk, emb], dim=1) if self.c_dim > 0 else chunk
            x = block(x, y)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(x))))

    # ------------------------------------------------------------------ LatentImageGenerator
    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       truncation: float | None = None) -> torch.Tensor:
        """``z ~ N(0, I)`` ``[n, z_dim]``; with ``truncation`` t, entries with ``|z| > t`` are redrawn (BigGAN's trick)."""
        device = generator.device if generator is not None else self.linear.bias.device
        z = torch.randn(n, self.z_dim, generator=generator, device=device)
        if truncation is not None:
            if truncation <= 0:
                raise ValueError("truncation must be > 0")
            while (outside := z.abs() > truncation).any():
                z[outside] = torch.randn(int(outside.sum()), generator=generator, device=device)
        return z.to(self.linear.bias.device)

    def synthesize(self, latents: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """``z [n, z_dim]`` -> images ``[n, 3, R, R]`` in [-1, 1] (tanh). Differentiable; use ``eval()`` mode."""
        return self(latents, c)

    def extra_repr(self) -> str:
        return f"resolution={self.resolution}, z_dim={self.z_dim}, width={self.width}, c_dim={self.c_dim}"
