"""StyleGAN2 generator (Karras et al. 2020, config F), pure PyTorch, CPU or CUDA.

MoCoGAN-HD drives a frozen, pretrained StyleGAN2 through its W space, so this class also implements
the ``LatentImageGenerator`` protocol (``latent_space = "w"``).

Architecture (resolution R = 2**k):
  mapping:   z [N, 512] -> pixel norm -> n_mlp x (EqualLinear, lr x0.01, lrelu) -> w [N, 512]
  synthesis: constant 4x4 -> StyledConv -> ToRGB, then per resolution 8..R:
             StyledConv (upsample x2) -> StyledConv -> ToRGB added to the upsampled RGB skip.
  Each StyledConv/ToRGB reads one w; there are ``num_ws = 2k - 2`` of them (style mixing: pass
  different w per layer).

State-dict names and shapes equal rosinality's ``stylegan2-pytorch`` ``Generator`` (``style.1.weight``,
``input.input``, ``conv1.conv.weight``, ``convs.0.activate.bias``, ``to_rgbs.0.bias``, ``noises.noise_0``)
except that rosinality also stores the constant blur kernels (``*.blur.kernel``, ``*.upsample.kernel``),
which we compute on the fly; plus our own ``w_avg`` buffer (rosinality keeps ``latent_avg`` next to
the state dict). See ``vidsynth/importers/rosinality.py``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.equalized import LRELU_GAIN, EqualLinear, activate
from vidsynth.nn.frozen_modconv import FrozenModulatedConv, frozen_path_applies
from vidsynth.nn.modulated_conv import ModulatedConv2d, can_modify_in_place
from vidsynth.nn.precision import fp32_forward
from vidsynth.nn.resample import blur_upsample

NOISE_MODES = ("random", "const", "none")


def stylegan2_channels(resolution: int, channel_multiplier: int, channel_max: int = 512) -> int:
    """Feature channels at one resolution: rosinality's / config F's table, capped at ``channel_max``."""
    table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
    return min(table[resolution] * (channel_multiplier if resolution >= 64 else 1), channel_max)


class PixelNorm(nn.Module):
    """Normalise each vector to unit root-mean-square: ``[N, D] -> [N, D]``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class ConstantInput(nn.Module):
    """The learned 4x4 starting feature map ``input [1, C, 4, 4]``, repeated over the batch."""

    def __init__(self, channels: int, size: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.expand(batch, -1, -1, -1)


class NoiseInjection(nn.Module):
    """Adds single-channel noise ``[N, 1, H, W]`` scaled by a learned strength ``weight [1]`` (init 0)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        return x if noise is None else x + self.weight * noise


class BiasedLeakyReLU(nn.Module):
    """Per-channel bias then leaky ReLU times sqrt(2) (rosinality's ``FusedLeakyReLU``, same ``bias`` name)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return activate(x + self.bias.view(1, -1, 1, 1), "lrelu")


class StyledConv(nn.Module):
    """Modulated 3x3 conv (optionally upsampling x2) -> noise -> bias + lrelu."""

    def __init__(self, in_channels: int, out_channels: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = BiasedLeakyReLU(out_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        conv = self.conv
        if not conv.use_fused(x) and frozen_path_applies(x, conv.weight, self.noise.weight, self.activate.bias):
            # frozen layer under autograd (MoCoGAN-HD's G_M step): one node saving half the activations
            style, weight = conv.modulation(w), conv.shared_weight()
            return FrozenModulatedConv.apply(x, style, conv.demodulation(style, weight), weight, conv.upsample,
                                             self.activate.bias, None if noise is None else self.noise.weight * noise)
        x = self.conv(x, w)                                   # a fresh tensor: nothing else holds it
        if can_modify_in_place():                             # no autograd graph: same ops, in place
            if noise is not None:
                x.add_(self.noise.weight * noise)             # [N or 1, 1, H, W]: small
            x.add_(self.activate.bias.view(1, -1, 1, 1))
            return F.leaky_relu_(x, 0.2).mul_(LRELU_GAIN)
        return self.activate(self.noise(x, noise))


class ToRGB(nn.Module):
    """Modulated 1x1 conv to RGB (no demodulation) + bias; adds the x2-upsampled RGB of the previous level."""

    def __init__(self, in_channels: int, style_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, w: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        if not self.conv.use_fused(x) and frozen_path_applies(x, self.conv.weight, self.bias):
            rgb = FrozenModulatedConv.apply(x, self.conv.modulation(w), None, self.conv.shared_weight(), False,
                                            None, None) + self.bias   # saves x only, not x * style
        else:
            rgb = self.conv(x, w) + self.bias
        return rgb if skip is None else rgb + blur_upsample(skip)


class StyleGAN2Generator(nn.Module):
    """StyleGAN2 generator: ``forward(z, c=None, truncation_psi=1, noise_mode="random") -> [N, 3, R, R]``.

    Args:
        resolution: output size, a power of two >= 8.
        style_dim: size of z and w (512 in the paper).
        n_mlp: mapping-network depth (8 in the paper).
        channel_multiplier: 2 for config F (MoCoGAN-HD's models), 1 for the smaller config E.
        lr_mlp: learning-rate multiplier of the mapping layers (0.01).
        c_dim: number of classes for conditioning (0: unconditional). As StyleGAN2-ADA, an embedding
            of the one-hot label is pixel-normalised and concatenated to the normalised z.
        w_avg_beta: decay of the running mean of w tracked in training (``mapping(..., update_w_avg=True)``).
        channel_max: cap on the channel table (512 = the paper; smaller gives tiny CPU models for tests
            and demos; rosinality checkpoints need 512).
    """

    latent_space = "w"
    channels_last = False   # run the synthesis in NHWC memory layout (measured by ``vidsynth bench``'s speedups)
    inference_chunk_mib = 128   # CPU, no gradients: top-level activation per piece of images (None: no pieces)

    def __init__(self, resolution: int = 256, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 lr_mlp: float = 0.01, c_dim: int = 0, w_avg_beta: float = 0.995, channel_max: int = 512):
        super().__init__()
        if resolution < 8 or resolution > 1024 or resolution & (resolution - 1):
            raise ValueError(f"StyleGAN2 resolution must be a power of two in [8, 1024], got {resolution}")
        self.init_kwargs = dict(resolution=resolution, style_dim=style_dim, n_mlp=n_mlp,
                                channel_multiplier=channel_multiplier, lr_mlp=lr_mlp, c_dim=c_dim,
                                w_avg_beta=w_avg_beta, channel_max=channel_max)   # for save_model
        self.resolution, self.style_dim, self.n_mlp = resolution, style_dim, n_mlp
        self.channel_multiplier, self.c_dim, self.w_avg_beta = channel_multiplier, c_dim, w_avg_beta
        self.channel_max = channel_max
        self.latent_dim = style_dim
        self.log_size = int(math.log2(resolution))
        self.num_layers = 2 * (self.log_size - 2) + 1     # StyledConvs, each with its own noise
        self.num_ws = 2 * self.log_size - 2              # StyledConvs + ToRGBs, less the shared ones

        # Mapping network: style.0 is the pixel norm, style.1..n_mlp the layers (rosinality's names).
        if c_dim > 0:
            self.embed = EqualLinear(c_dim, style_dim)
        in_dims = [style_dim * (2 if c_dim > 0 else 1)] + [style_dim] * (n_mlp - 1)
        self.style = nn.Sequential(PixelNorm(), *[
            EqualLinear(d, style_dim, lr_multiplier=lr_mlp, activation="lrelu") for d in in_dims])
        self.register_buffer("w_avg", torch.zeros(style_dim))

        # Synthesis network.
        ch = lambda r: stylegan2_channels(r, channel_multiplier, channel_max)  # noqa: E731
        self.input = ConstantInput(ch(4))
        self.conv1 = StyledConv(ch(4), ch(4), style_dim)
        self.to_rgb1 = ToRGB(ch(4), style_dim)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        for log_res in range(3, self.log_size + 1):
            c_in, c_out = ch(2 ** (log_res - 1)), ch(2 ** log_res)
            self.convs.append(StyledConv(c_in, c_out, style_dim, upsample=True))
            self.convs.append(StyledConv(c_out, c_out, style_dim))
            self.to_rgbs.append(ToRGB(c_out, style_dim))
        # Fixed noise maps for noise_mode="const": noise_0 at 4x4, then two per resolution.
        self.noises = nn.Module()
        for i in range(self.num_layers):
            size = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, size, size))

    # ----------------------------------------------------------------------------------- mapping
    @fp32_forward      # fp32 under autocast too (--precision bf16/fp16), as StyleGAN2-ADA's mapping network
    def mapping(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                update_w_avg: bool = False) -> torch.Tensor:
        """``z [N, style_dim]`` (+ one-hot ``c [N, c_dim]``) -> ``w [N, style_dim]``, truncated toward ``w_avg``."""
        x = self.style[0](z)
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this generator is class-conditional: pass one-hot labels c [N, c_dim]")
            x = torch.cat([x, self.style[0](self.embed(c.to(x.dtype)))], dim=1)
        w = self.style[1:](x)
        if update_w_avg:
            self.w_avg.copy_(w.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if truncation_psi != 1:
            w = self.w_avg.lerp(w, truncation_psi)
        return w

    @torch.no_grad()
    def compute_w_avg(self, n: int = 10000, seed: int = 0, batch_size: int = 1000) -> torch.Tensor:
        """Set ``w_avg`` to the mean of ``mapping(z)`` over ``n`` samples (when a checkpoint lacks it)."""
        if self.c_dim > 0:
            raise ValueError("compute_w_avg needs labels for a conditional generator; set w_avg yourself")
        gen = torch.Generator().manual_seed(seed)
        total = torch.zeros(self.style_dim, dtype=torch.float64)
        for start in range(0, n, batch_size):
            z = torch.randn(min(batch_size, n - start), self.style_dim, generator=gen)
            total += self.mapping(z.to(self.w_avg.device)).double().sum(dim=0).cpu()
        self.w_avg.copy_((total / n).to(self.w_avg))
        return self.w_avg

    # --------------------------------------------------------------------------------- synthesis
    def make_noise(self, batch: int, noise_mode: str = "random") -> list[torch.Tensor | None]:
        """The ``num_layers`` noise maps ``[batch or 1, 1, H, W]`` for ``noise_mode`` (None means no noise)."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        const = [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
        if noise_mode == "const":
            return const
        if noise_mode == "none":
            return [None] * self.num_layers
        return [torch.randn(batch, 1, *n.shape[2:], device=n.device, dtype=n.dtype) for n in const]

    def frame_activation_bytes(self, dtype: torch.dtype = torch.float32) -> int:
        """Bytes of the largest feature map of one image (``ch(r) * r^2`` at the widest level): what one
        more image in a batch adds to every live activation at the top of the synthesis network."""
        ch = lambda r: stylegan2_channels(r, self.channel_multiplier, self.channel_max)  # noqa: E731
        elements = max(ch(2 ** k) * 4 ** k for k in range(2, self.log_size + 1))
        return elements * torch.empty((), dtype=dtype).element_size()

    def inference_chunk(self, n: int, device: torch.device, dtype: torch.dtype = torch.float32) -> int:
        """Images per piece when synthesising ``n`` without gradients: pieces of at most
        ``inference_chunk_mib`` of top-level activation per image on CPU (4 frames at 256 px, config F),
        all ``n`` at once elsewhere or when ``inference_chunk_mib`` is None. Why: the working set of a
        16-frame 256 px video drops from 3.3 to 0.8 GB, a quarter of the pages to fault in on a fresh heap;
        measured on mocogan-hd-ucf128 1.55x faster than all at once while glibc still trimmed the heap at
        2 GiB, 1.07x since ``retain_heap`` never trims (docs/performance.md, "StyleGAN2 in pieces")."""
        if self.inference_chunk_mib is None or device.type != "cpu" or torch.is_grad_enabled():
            return n
        return max(1, min(n, int(self.inference_chunk_mib * 2 ** 20 // self.frame_activation_bytes(dtype))))

    def synthesis(self, w: torch.Tensor, noise_mode: str = "random",
                  noise: list[torch.Tensor | None] | None = None) -> torch.Tensor:
        """``w [N, style_dim]`` (same w for every layer) or ``[N, num_ws, style_dim]`` -> images ``[N, 3, R, R]``.

        ``noise`` (a list of ``num_layers`` maps) overrides ``noise_mode``; inversion optimises it.
        Without gradients on CPU the N images are synthesised in pieces (:meth:`inference_chunk`).
        """
        if w.ndim == 2:
            w = w.unsqueeze(1).expand(-1, self.num_ws, -1)
        if w.shape[1:] != (self.num_ws, self.style_dim):
            raise ValueError(f"w must be [N, {self.style_dim}] or [N, {self.num_ws}, {self.style_dim}], "
                             f"got {list(w.shape)}")
        if noise is None:
            noise = self.make_noise(w.shape[0], noise_mode)
        n = w.shape[0]
        step = self.inference_chunk(n, w.device, w.dtype)
        if step < n:                                                   # pieces: [step, ...] each
            piece = lambda m, i: m if m is None or m.shape[0] == 1 else m[i:i + step]  # noqa: E731
            return torch.cat([self._synthesis(w[i:i + step], [piece(m, i) for m in noise])
                              for i in range(0, n, step)])
        return self._synthesis(w, noise)

    def _synthesis(self, w: torch.Tensor, noise: list[torch.Tensor | None]) -> torch.Tensor:
        """``w [N, num_ws, style_dim]``, ``num_layers`` noise maps -> images ``[N, 3, R, R]``."""
        x = self.input(w.shape[0])                                     # [N, 512, 4, 4]
        if self.channels_last:                                         # NHWC from here on (convs keep it)
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.conv1(x, w[:, 0], noise[0])
        rgb = self.to_rgb1(x, w[:, 1])                                 # [N, 3, 4, 4]
        for i, to_rgb in enumerate(self.to_rgbs):                      # one block per resolution 8..R
            x = self.convs[2 * i](x, w[:, 2 * i + 1], noise[2 * i + 1])  # upsample x2
            x = self.convs[2 * i + 1](x, w[:, 2 * i + 2], noise[2 * i + 2])
            rgb = to_rgb(x, w[:, 2 * i + 3], rgb)                      # w shared with the next conv
        return rgb.contiguous()

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                noise_mode: str = "random") -> torch.Tensor:
        """``z [N, style_dim]`` -> images ``[N, 3, R, R]`` (roughly in [-1, 1], not clamped)."""
        return self.synthesis(self.mapping(z, c, truncation_psi), noise_mode)

    # ------------------------------------------------------------------ LatentImageGenerator
    def sample_latents(self, n: int, generator: torch.Generator | None = None, truncation_psi: float = 1.0,
                       c: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` latents ``w = mapping(z)``, ``z ~ N(0, I)`` drawn with ``generator`` (any device): ``[n, style_dim]``."""
        device = generator.device if generator is not None else self.w_avg.device
        z = torch.randn(n, self.style_dim, generator=generator, device=device)
        return self.mapping(z.to(self.w_avg.device), c, truncation_psi)

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """``n`` independent random noise sets: ``num_layers`` maps ``[n, 1, H, W]`` ~ N(0, 1) drawn
        with ``generator`` (any device), on this generator's device. MoCoGAN-HD draws one set per
        video and shares it over the video's frames (``vidsynth.models.mocogan_hd.video_noise``)."""
        device = generator.device if generator is not None else self.w_avg.device
        return [torch.randn(n, 1, *m.shape[2:], generator=generator, device=device).to(m)
                for m in self.make_noise(1, "const")]

    def synthesize(self, latents: torch.Tensor, noise: list[torch.Tensor | None] | None = None,
                   noise_mode: str = "const", clamp: bool = True) -> torch.Tensor:
        """``w [n, style_dim]`` (or ``[n, num_ws, style_dim]``) -> images ``[n, 3, R, R]``.

        ``noise`` (``num_layers`` maps ``[n or 1, 1, H, W]``, e.g. from :meth:`sample_noise`) overrides
        ``noise_mode``; the default constant maps make the same latent always give the same image.
        Clamped to [-1, 1] unless ``clamp=False`` (MoCoGAN-HD training feeds D the unclamped frames,
        as the official trainer). Differentiable with respect to ``latents`` (projection / inversion).
        """
        images = self.synthesis(latents, noise_mode=noise_mode, noise=noise)
        return images.clamp(-1, 1) if clamp else images

    def extra_repr(self) -> str:
        return (f"resolution={self.resolution}, style_dim={self.style_dim}, n_mlp={self.n_mlp}, "
                f"channel_multiplier={self.channel_multiplier}, c_dim={self.c_dim}, channel_max={self.channel_max}")
