"""DIGAN generator (Yu et al., ICLR 2022): an INR-GAN whose coordinate input carries time.

A video is a function (x, y, t) -> RGB. The content code z gives w = mapping(z), which sets every
layer's weights (FMM) and the spatial Fourier features; the motion code z_M moves the phase of
those features over time (see ``motion.py``). The network is a per-pixel MLP evaluated on a
coordinate grid of ``input_resolution`` (32 in the paper), then nearest-upsampled x2 per block up to
``resolution``, with fresh coordinate features concatenated after each upsampling.

All frames of a video share one set of modulated weights, so any set of times renders in one
batched pass: features are ``[B, C, T, H, W]`` and each 1x1 layer is one ``bmm`` per video. Without
autograd, each block takes those points a cache-sized piece at a time (``point_chunks.py``).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.models.digan.coordinates import coordinate_grid, frame_times
from vidsynth.models.digan.motion import SpaceTimeEmbedding
from vidsynth.models.digan.point_chunks import POINT_CHUNK, render_block
from vidsynth.nn.fmm import FMMLayer, ModulatedToRGB
from vidsynth.nn.mapping import MappingNetwork


class SynthesisBlock(nn.Module):
    """[upsample x2] -> [concat space-time embedding] -> ``num_layers`` FMM layers -> toRGB (skip sum)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, motion_dim: int, up: bool, embed: bool,
                 num_layers: int, emb_size: int, fourier_scale: float, sigma_t: float, rank: int):
        super().__init__()
        self.up = up
        self.embedding = SpaceTimeEmbedding(w_dim, motion_dim, emb_size, fourier_scale, sigma_t) if embed else None
        first_in = in_channels + (self.embedding.out_channels if embed else 0)
        self.layers = nn.ModuleList(FMMLayer(first_in if i == 0 else out_channels, out_channels, w_dim, rank)
                                    for i in range(num_layers))
        self.torgb = ModulatedToRGB(out_channels, w_dim)

    # Compute the first layer of an upsampling block on the low-resolution grid (exact; see
    # FMMLayer.forward_upsampled). False gives the official formulation: upsample, concatenate, multiply.
    commute_upsample = True

    def forward(self, x, img, w, z_motion, times, grid_res: int, coord_range, grid_width: int | None = None,
                point_chunk: int | None = None, keep_features: bool = True):
        # x: [B, C, T, h, w] or None; img: [B, 3, T, h, w] or None; times: [B, T]
        b, t = times.shape
        grid_width = grid_res if grid_width is None else grid_width
        shape = (t, grid_res, grid_width)
        if point_chunk and self.commute_upsample and not self._needs_plain_forward(x, w, z_motion):
            return render_block(self, x, img, w, z_motion, times, shape, coord_range, point_chunk, keep_features)
        if self.up:
            img = F.interpolate(img, scale_factor=(1, 2, 2), mode="nearest")
        e = None
        if self.embedding is not None:
            coords = coordinate_grid(grid_res, coord_range, device=w.device, width=grid_width)
            e = self.embedding(w, z_motion, times, coords).flatten(2)   # [B, E, T*H*W]
        layers = self.layers
        if self.up and e is not None and self.commute_upsample:
            h = self.layers[0].forward_upsampled(x, e, w)           # [B, C, T*H*W]
            layers = self.layers[1:]
        else:
            if self.up:
                x = F.interpolate(x, scale_factor=(1, 2, 2), mode="nearest")
            h = e if x is None else x.flatten(2) if e is None else torch.cat([x.flatten(2), e], dim=1)
        for layer in layers:
            h = layer(h, w)
        x = h.view(b, -1, *shape)
        rgb = self.torgb(h, w).view(b, 3, *shape)
        img = rgb if img is None else img + rgb
        return x, img

    def _needs_plain_forward(self, *inputs) -> bool:
        """Whether autograd records this call (the pieces' reused buffers cannot be used), or a tracer or
        compiler does (TorchScript / ONNX export, ``torch.compile``: they want the plain graph, not a loop), or
        it runs on the meta device (FLOP counting: ``FlopCounterMode`` does not count in-place ``baddbmm_``)."""
        if torch.jit.is_tracing() or torch.compiler.is_compiling() or inputs[1].device.type == "meta":
            return True
        return torch.is_grad_enabled() and (any(t is not None and t.requires_grad for t in inputs)
                                            or any(p.requires_grad for p in self.parameters()))


class DIGANGenerator(nn.Module):
    """``(z [B, z_dim], z_motion [B, motion_dim], times [B, T] or [T])`` -> video ``[B, 3, T, R*s, W*s]``.

    ``scale`` renders a denser grid (space interpolation: 4 gives a 4x larger video from the same
    INR); ``coord_range`` widens or narrows the view ((-0.25, 1.25) zooms out as in the paper).
    ``width`` (default: ``resolution``, square) makes the frames ``resolution x width``: every block's
    grid is as wide, in proportion (see ``coordinates.py``); ``width * input_resolution / resolution``
    must be a whole number (the input grid's width).
    """

    def __init__(self, resolution: int = 128, input_resolution: int = 32, z_dim: int = 512, w_dim: int = 512,
                 motion_dim: int = 512, c_dim: int = 0, mapping_layers: int = 2, channel_base: int = 32768,
                 channel_max: int = 512, emb_size: int = 128, fourier_scale: float = math.sqrt(10),
                 sigma_t: float = 0.25, fmm_rank: int = 10, extra_layers_from: int = 128, width: int | None = None):
        super().__init__()
        for name, r in (("resolution", resolution), ("input_resolution", input_resolution)):
            if r < 4 or r & (r - 1):
                raise ValueError(f"{name} must be a power of two >= 4, got {r}")
        if input_resolution > resolution:
            raise ValueError(f"input_resolution {input_resolution} exceeds resolution {resolution}")
        self.resolution, self.input_resolution = resolution, input_resolution
        self.width = resolution if width is None else int(width)
        if self.width < 1 or (self.width * input_resolution) % resolution:
            raise ValueError(f"width {width} must be a positive multiple of resolution / input_resolution "
                             f"({resolution // input_resolution}) so every block's grid has whole columns")
        self.z_dim, self.w_dim, self.motion_dim, self.c_dim = z_dim, w_dim, motion_dim, c_dim
        # what vidsynth.export.save_model stores to rebuild this module (every exportable generator has
        # init_kwargs); width only for non-square frames, so square exports keep their config.json
        self.init_kwargs = dict(resolution=resolution, input_resolution=input_resolution, z_dim=z_dim, w_dim=w_dim,
                                motion_dim=motion_dim, c_dim=c_dim, mapping_layers=mapping_layers,
                                channel_base=channel_base, channel_max=channel_max, emb_size=emb_size,
                                fourier_scale=fourier_scale, sigma_t=sigma_t, fmm_rank=fmm_rank,
                                extra_layers_from=extra_layers_from)
        if self.width != resolution:
            self.init_kwargs["width"] = self.width
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, c_dim)
        # Blocks as in the official code: b4 .. b_input all run on the input grid; each later block
        # doubles it. b4 starts from the embedding alone (one layer), up-blocks add a fresh embedding.
        resolutions = [2 ** i for i in range(2, int(math.log2(resolution)) + 1)]
        channels = {r: min(channel_base // r, channel_max) for r in resolutions}
        self.blocks = nn.ModuleList()
        self.block_resolutions = []
        for r in resolutions:
            first = r == 4
            up = r > input_resolution
            num_layers = 1 if first else 2 + (1 if r >= extra_layers_from else 0)
            self.blocks.append(SynthesisBlock(
                0 if first else channels[r // 2], channels[r], w_dim, motion_dim, up=up, embed=first or up,
                num_layers=num_layers, emb_size=emb_size, fourier_scale=fourier_scale, sigma_t=sigma_t,
                rank=fmm_rank))
            self.block_resolutions.append(max(r, input_resolution))
        # Without autograd, blocks render their points in pieces of this many (None: all at once); see
        # point_chunks.py. Same arithmetic; only the BLAS's rounding of the narrower products differs.
        self.point_chunk: int | None = POINT_CHUNK

    def synthesize(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor, scale: float = 1.0,
                   coord_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
        """Render ``w [B, w_dim]`` with motion ``z_motion [B, motion_dim]`` at ``times [B, T]`` -> ``[B, 3, T, H, W]``."""
        if times.ndim == 1:
            times = times.unsqueeze(0).expand(w.shape[0], -1)
        base = self.input_resolution * scale
        if abs(base - round(base)) > 1e-6 or base < 1:
            raise ValueError(f"scale {scale} must make input_resolution*scale ({base}) a positive integer")
        base_w = self.input_resolution * self.width / self.resolution * scale
        if abs(base_w - round(base_w)) > 1e-6:
            raise ValueError(f"scale {scale} must make the input grid's width*scale ({base_w}) an integer")
        x = img = None
        for i, (block, r) in enumerate(zip(self.blocks, self.block_resolutions)):
            grid_res = int(round(r * scale))
            grid_width = int(round(r * self.width // self.resolution * scale))  # = grid_res when square
            x, img = block(x, img, w, z_motion, times.to(w.dtype), grid_res, coord_range, grid_width,
                           self.point_chunk, keep_features=i < len(self.blocks) - 1)
        return img

    def forward(self, z: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor, c: torch.Tensor | None = None,
                truncation_psi: float = 1.0, scale: float = 1.0,
                coord_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
        w = self.mapping(z, c, truncation_psi)
        return self.synthesize(w, z_motion, times, scale, coord_range)

    frame_times = staticmethod(frame_times)   # times of frames: t = i / (train_frames - 1) (see coordinates.py)
