"""Rendering a DIGAN synthesis block a few thousand points at a time (inference only).

Every layer of a block is pointwise (FMM layers and toRGB are 1x1; the only spatial operation is
the nearest x2 upsampling at the block's entry). So the points of the block's grid -- all frames,
``N = T*H*W`` of them, 262144 at 16 x 128 x 128 -- can go through the whole block in pieces of
``points`` points: the embedding, every layer and toRGB of one piece run back to back on buffers
of ``[B, C, points]`` that stay in the CPU cache and are reused for every piece, instead of each
layer writing a ``[B, C, N]`` activation of up to 256 MiB to memory (and the kernel faulting those
pages in and out again on every call). The block's output features are written only when a later
block reads them: the last block keeps nothing but the image.

The arithmetic is the unchunked block's, operation by operation (see ``SynthesisBlock.forward``,
``FMMLayer.forward_upsampled``): each per-video weight is modulated once and folded with the
lrelu gain, the embedding is the same sum of the same spatial and phase terms, and the first layer
of an upsampling block multiplies the low-resolution features and then upsamples. Element-wise
results are bit-identical; matrix products may round differently because the BLAS blocks a
narrower product differently (a few float32 ulps per layer).

A piece is whole frames (when a frame has fewer than ``points`` points) or a band of whole rows of
one frame (an even number of rows after an upsampling, so that it starts on a low-resolution row);
either way it is one contiguous run of the ``(t, y, x)`` points.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from vidsynth.models.digan.coordinates import coordinate_grid
from vidsynth.nn.equalized import LRELU_GAIN

# Points per piece (over all videos of a batch), measured (docs/performance.md, "DIGAN generation in
# cache-sized pieces"): 2048-16384 cost the same CPU time at one thread and 32768 more (the 256-512 channel
# buffers leave the cache); with two threads on a loaded machine small pieces lose time in OpenMP
# synchronisation, so the largest of the good sizes.
POINT_CHUNK = 16384


def pieces(frames: int, height: int, width: int, points: int, row_step: int = 1) -> list[tuple[int, int, int, int]]:
    """``(t0, t1, y0, y1)`` pieces covering ``frames x height`` rows in ``(t, y)`` order, each about ``points``
    points: ``f`` whole frames, or bands of a multiple of ``row_step`` rows within one frame."""
    if points >= height * width:
        f = points // (height * width)
        return [(t, min(t + f, frames), 0, height) for t in range(0, frames, f)]
    rows = max(row_step, points // width // row_step * row_step)
    return [(t, t + 1, y, min(y + rows, height)) for t in range(frames) for y in range(0, height, rows)]


def _view(buffer: torch.Tensor, *shape: int) -> torch.Tensor:
    """The first ``prod(shape)`` elements of a flat buffer as a contiguous ``shape`` tensor."""
    return buffer[: math.prod(shape)].view(shape)


def _folded(layer, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """An FMM layer's per-video weight ``[B, C_out, C_in]`` and bias ``[1, C_out, 1]`` with the lrelu gain
    folded in (lrelu(g*y) = g*lrelu(y), g > 0), and whether to apply lrelu."""
    if layer.activation not in ("lrelu", "linear"):
        raise ValueError(f"unknown activation {layer.activation!r}")
    lrelu = layer.activation == "lrelu"
    gain = LRELU_GAIN if lrelu else 1.0
    return layer.modulated_weight(w) * gain, (layer.bias * gain).view(1, -1, 1), lrelu


def render_block(block, x: torch.Tensor | None, img: torch.Tensor | None, w: torch.Tensor, z_motion: torch.Tensor,
                 times: torch.Tensor, shape: tuple[int, int, int], coord_range, points: int, keep_features: bool):
    """``SynthesisBlock.forward`` in pieces of ``points`` points (``points / B`` per video, so that a piece's
    buffers keep their size whatever the batch): ``(x [B, C, T, H, W] or None, img [B, 3, T, H, W])``.

    ``x [B, C_in, T, h, w]`` (``h = H/2`` after an upsampling) or None; ``img`` likewise; ``shape = (T, H, W)``
    of this block's grid. ``keep_features=False`` returns no features (the last block: only the image is used).
    """
    b, dtype = w.shape[0], w.dtype
    t, height, width = shape
    n_points = t * height * width
    commuted = block.up and block.embedding is not None
    if not (commuted and len(block.layers) > 1 or (x is None) == (block.embedding is not None) and not block.up):
        raise ValueError("render_block takes an up-block with an embedding and two or more layers, or a block on "
                         "its input's grid with either the embedding (the first block) or features")

    # once per video: the modulated weights (shared by every point), the embedding's two terms
    folded = [_folded(layer, w) for layer in block.layers]
    rgb_weight, rgb_bias = block.torgb.modulated_weight(w), block.torgb.bias.view(1, -1, 1)
    if block.embedding is not None:
        coords = coordinate_grid(height, coord_range, device=w.device, width=width)
        spatial, phase = block.embedding.fourier_terms(w, z_motion, times, coords)   # [B, E, H*W], [B, E, T]
        spatial = spatial.view(b, -1, height, width)
        emb = spatial.shape[1]
    x_low = x.flatten(2) if x is not None else None                                  # [B, C_in, T*h*w]
    if commuted:
        first_weight, first_bias, first_lrelu = folded[0]
        c_x = x_low.shape[1]
        low_weight, e_weight = first_weight[:, :, :c_x], first_weight[:, :, c_x:]

    # outputs, and the per-piece buffers reused by every piece
    channels = block.layers[-1].out_channels
    features = torch.empty(b, channels, n_points, dtype=dtype, device=w.device) if keep_features else None
    image = (F.interpolate(img, scale_factor=(1, 2, 2), mode="nearest") if block.up else img.clone()).flatten(2) \
        if img is not None else torch.empty(b, 3, n_points, dtype=dtype, device=w.device)
    plan = pieces(t, height, width, max(points // b, 1), row_step=2 if block.up else 1)   # `points` over all videos
    most = max((t1 - t0) * (y1 - y0) * width for t0, t1, y0, y1 in plan)
    widest = max(layer.out_channels for layer in block.layers)
    hidden = [torch.empty(b * widest * most, dtype=dtype, device=w.device) for _ in range(2)]
    if block.embedding is not None:
        raw_buf = torch.empty(b * emb * most, dtype=dtype, device=w.device)
        e_buf = torch.empty(b * 2 * emb * most, dtype=dtype, device=w.device)
    if commuted:
        low_buf = torch.empty(b * first_weight.shape[1] * (most // 4), dtype=dtype, device=w.device)
    rgb_buf = torch.empty(b * 3 * most, dtype=dtype, device=w.device)

    for t0, t1, y0, y1 in plan:
        start, n = (t0 * height + y0) * width, (t1 - t0) * (y1 - y0) * width
        e = None
        if block.embedding is not None:                                               # [B, 2E, n]: sin, then cos
            raw = _view(raw_buf, b, emb, t1 - t0, y1 - y0, width)
            torch.add(spatial[:, :, None, y0:y1], phase[:, :, t0:t1, None, None], out=raw)
            e = _view(e_buf, b, 2 * emb, n)
            torch.sin(raw.view(b, emb, n), out=e[:, :emb])
            torch.cos(raw.view(b, emb, n), out=e[:, emb:])
        layers = folded
        if commuted:   # W_x on the low-resolution points of the piece, + bias, upsampled, + W_e e
            low = torch.bmm(low_weight, x_low[:, :, start // 4:(start + n) // 4],
                            out=_view(low_buf, b, low_weight.shape[1], n // 4))
            low.add_(first_bias)
            c = low.shape[1]   # nearest x2: high point (2*yl + dy, 2*xl + dx) takes low point (yl, xl)
            h = _view(hidden[0], b, c, n)
            h.view(b, c, -1, 2, width // 2, 2).copy_(low.view(b, c, -1, 1, width // 2, 1).expand(-1, -1, -1, 2, -1, 2))
            h.baddbmm_(e_weight, e)
            if first_lrelu:
                F.leaky_relu_(h, 0.2)
            layers = folded[1:]
        else:
            h = e if x_low is None else x_low[:, :, start:start + n]
        which = 0                                          # hidden[0] may hold h: write the other one first
        for k, (weight, bias, lrelu) in enumerate(layers):
            if keep_features and k == len(layers) - 1:     # the block's last layer: straight into its output
                out = features[:, :, start:start + n]
            else:
                which = 1 - which
                out = _view(hidden[which], b, weight.shape[1], n)
            h = torch.baddbmm(bias, weight, h, out=out)
            if lrelu:
                F.leaky_relu_(h, 0.2)
        rgb = torch.baddbmm(rgb_bias, rgb_weight, h, out=_view(rgb_buf, b, 3, n))
        if img is None:
            image[:, :, start:start + n] = rgb
        else:
            image[:, :, start:start + n] += rgb
    grid = (t, height, width)
    return (features.view(b, channels, *grid) if keep_features else None), image.view(b, 3, *grid)
