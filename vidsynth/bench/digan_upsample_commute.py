"""A proposed DIGAN generator speed-up, measured here without touching the model files.

In every upsampling block the first FMM layer reads ``concat(nearest_up(x), embedding)`` (512 + 256
= 768 channels at 64 and 128 px). A 1x1 layer commutes with nearest upsampling, so splitting its
weight by input channels, ``W = [W_x | W_e]``, gives exactly

    W @ concat(up(x), e) = up(W_x @ x) + W_e @ e

where ``W_x @ x`` runs on the *low-resolution* grid (4x fewer points) and the 768-channel
concatenation is never built. For paper128 this removes ~39 of 157 GMAC per video and the largest
activation (768 x 16 x 128 x 128 floats, 0.8 GB per video). ``synthesize`` below is
``DIGANGenerator.synthesize`` with that change (same modules, same weights, same output up to
float rounding); see docs/performance.md for the measured ratio and the change to make in
``vidsynth/models/digan/generator.py`` (``SynthesisBlock.forward``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from vidsynth.models.digan.coordinates import coordinate_grid
from vidsynth.nn.equalized import LRELU_GAIN


def _block_forward(block, x, img, w, z_motion, times, grid_res: int, coord_range):
    layer0 = block.layers[0]
    if not (block.up and block.embedding is not None and x is not None and layer0.activation == "lrelu"):
        return block(x, img, w, z_motion, times, grid_res, coord_range)
    b, t = times.shape
    c_x = x.shape[1]
    weight = layer0.modulated_weight(w).to(x.dtype) * LRELU_GAIN                # [B, out, c_x + c_e]
    low = torch.bmm(weight[:, :, :c_x], x.flatten(2))                           # on the low-res grid
    low = F.interpolate(low.view(b, -1, *x.shape[2:]), scale_factor=(1, 2, 2), mode="nearest")
    img = F.interpolate(img, scale_factor=(1, 2, 2), mode="nearest")
    coords = coordinate_grid(grid_res, coord_range, device=w.device)
    e = block.embedding(w, z_motion, times, coords)                             # [B, c_e, T, HW]
    low = low.flatten(2).add_((layer0.bias.to(x.dtype) * LRELU_GAIN).view(1, -1, 1))
    h = torch.baddbmm(low, weight[:, :, c_x:], e.flatten(2))
    h = F.leaky_relu_(h, 0.2) if not h.requires_grad else F.leaky_relu(h, 0.2)
    for layer in block.layers[1:]:
        h = layer(h, w)
    shape = (t, grid_res, grid_res)
    rgb = block.torgb(h, w).view(b, 3, *shape)
    return h.view(b, -1, *shape), img + rgb


def synthesize(G, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor,
               coord_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """``DIGANGenerator.synthesize`` (scale 1) with the commuted first layer of upsampling blocks."""
    if times.ndim == 1:
        times = times.unsqueeze(0).expand(w.shape[0], -1)
    x = img = None
    for block, r in zip(G.blocks, G.block_resolutions):
        x, img = _block_forward(block, x, img, w, z_motion, times.to(w.dtype), r, coord_range)
    return img


def generate(G, z: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    return synthesize(G, G.mapping(z, None), z_motion, times)
