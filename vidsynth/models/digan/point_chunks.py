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
of an upsampling block multiplies the low-resolution features and then upsamples. Matrix products
may round differently because the BLAS blocks a narrower product differently (a few float32 ulps per
layer). Two steps differ in rounding only (switches ``ANGLE_SUM``, ``RGB_IN_PLACE`` below): the
embedding is taken by the angle-sum formulas (sin/cos of the spatial term once per block, the phase
in per-frame weights: ``rotated_weights``), and toRGB is accumulated into the image with its bias
added once per block.

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


# Switches for the bench's before/after pairs (``vidsynth bench --measure speedups``); True is the default path.
# ANGLE_SUM: sin/cos of the embedding's spatial term once per block, the time's phase folded into per-frame
# weights (``rotated_weights``), instead of sin and cos of ``spatial + phase`` at every point of every frame.
# RGB_IN_PLACE: toRGB accumulates straight into the image (its bias added once per block), no per-piece buffer.
# Both off by default: they round differently from the plain graph, and ``sample`` must stay bit-identical to
# the exported TorchScript / ONNX graph (tests/test_export_graph.py, docs/runs.md), which traces the plain path.
ANGLE_SUM = False
RGB_IN_PLACE = False


def rotated_weights(weight: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """Per-frame weights ``[B, T, C_out, 2E]`` for the embedding's basis ``[sin s; cos s]`` from a layer's embedding
    columns ``weight [B, C_out, 2E]`` (sin columns, then cos) and the phases ``phase [B, E, T]``.

    With ``e_t = [sin(s + p_t); cos(s + p_t)]`` and ``W = [W_s | W_c]``, the angle-sum formulas give
    ``W e_t = (W_s cos p_t - W_c sin p_t) sin s + (W_s sin p_t + W_c cos p_t) cos s``: the time enters only
    through the (small) weight, so sin and cos run once per grid point, not once per grid point and frame.
    (Rounding: float32 ``sin(s + p)`` first rounds the sum, ~|s + p| * 6e-8; the expansion does not.)
    """
    e = weight.shape[2] // 2
    w_s, w_c = weight[:, None, :, :e], weight[:, None, :, e:]                   # [B, 1, C_out, E]
    cos, sin = phase.cos().transpose(1, 2)[:, :, None], phase.sin().transpose(1, 2)[:, :, None]   # [B, T, 1, E]
    return torch.cat([w_s * cos - w_c * sin, w_s * sin + w_c * cos], dim=3)


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
    angle_sum = ANGLE_SUM and block.embedding is not None
    if block.embedding is not None:
        coords = coordinate_grid(height, coord_range, device=w.device, width=width)
        spatial, phase = block.embedding.fourier_terms(w, z_motion, times, coords)   # [B, E, H*W], [B, E, T]
        emb = spatial.shape[1]
        if angle_sum:                                    # time-independent: once per block, not per frame
            basis = torch.cat([spatial.sin(), spatial.cos()], dim=1)                  # [B, 2E, H*W]
        else:
            spatial = spatial.view(b, -1, height, width)
    x_low = x.flatten(2) if x is not None else None                                  # [B, C_in, T*h*w]
    first_weight, first_bias, first_lrelu = folded[0]
    if commuted:
        c_x = x_low.shape[1]
        low_weight, e_weight = first_weight[:, :, :c_x], first_weight[:, :, c_x:]
    elif block.embedding is not None:
        e_weight = first_weight
    if angle_sum:
        frame_weights = rotated_weights(e_weight, phase)                            # [B, T, C_out, 2E]

    # outputs, and the per-piece buffers reused by every piece
    channels = block.layers[-1].out_channels
    features = torch.empty(b, channels, n_points, dtype=dtype, device=w.device) if keep_features else None
    image = (F.interpolate(img, scale_factor=(1, 2, 2), mode="nearest") if block.up else img.clone()).flatten(2) \
        if img is not None else torch.empty(b, 3, n_points, dtype=dtype, device=w.device)
    if RGB_IN_PLACE and img is not None:
        image.add_(rgb_bias)                                                         # toRGB's bias, once
    plan = pieces(t, height, width, max(points // b, 1), row_step=2 if block.up else 1)   # `points` over all videos
    most = max((t1 - t0) * (y1 - y0) * width for t0, t1, y0, y1 in plan)
    widest = max(layer.out_channels for layer in block.layers)
    hidden = [torch.empty(b * widest * most, dtype=dtype, device=w.device) for _ in range(2)]
    if block.embedding is not None and not angle_sum:
        raw_buf = torch.empty(b * emb * most, dtype=dtype, device=w.device)
        e_buf = torch.empty(b * 2 * emb * most, dtype=dtype, device=w.device)
    if commuted:
        low_buf = torch.empty(b * first_weight.shape[1] * (most // 4), dtype=dtype, device=w.device)
    if not RGB_IN_PLACE:
        rgb_buf = torch.empty(b * 3 * most, dtype=dtype, device=w.device)

    for t0, t1, y0, y1 in plan:
        start, n = (t0 * height + y0) * width, (t1 - t0) * (y1 - y0) * width
        e = None
        if block.embedding is not None and not angle_sum:                            # [B, 2E, n]: sin, then cos
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
            if angle_sum:
                _add_embedding(h, frame_weights, basis, t0, t1, y0 * width, y1 * width)
            else:
                h.baddbmm_(e_weight, e)
            if first_lrelu:
                F.leaky_relu_(h, 0.2)
            layers = folded[1:]
        elif angle_sum:   # the first block: its first layer takes the embedding alone
            h = features[:, :, start:start + n] if keep_features and len(folded) == 1 else \
                _view(hidden[0], b, first_weight.shape[1], n)     # its only layer: straight into the output
            h.copy_(first_bias.expand_as(h))
            _add_embedding(h, frame_weights, basis, t0, t1, y0 * width, y1 * width)
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
        if RGB_IN_PLACE:
            if img is None:
                torch.baddbmm(rgb_bias, rgb_weight, h, out=image[:, :, start:start + n])
            else:
                image[:, :, start:start + n].baddbmm_(rgb_weight, h)
            continue
        rgb = torch.baddbmm(rgb_bias, rgb_weight, h, out=_view(rgb_buf, b, 3, n))
        if img is None:
            image[:, :, start:start + n] = rgb
        else:
            image[:, :, start:start + n] += rgb
    grid = (t, height, width)
    return (features.view(b, channels, *grid) if keep_features else None), image.view(b, 3, *grid)


def _add_embedding(h: torch.Tensor, frame_weights: torch.Tensor, basis: torch.Tensor, t0: int, t1: int,
                   p0: int, p1: int) -> None:
    """``h [B, C, (t1 - t0) * (p1 - p0)] += W_t @ basis[:, :, p0:p1]`` for each frame ``t`` of the piece, in place:
    the embedding's contribution (``rotated_weights``) to the points ``p0:p1`` of frames ``t0:t1``."""
    m = p1 - p0
    for k, frame in enumerate(range(t0, t1)):
        h[:, :, k * m:(k + 1) * m].baddbmm_(frame_weights[:, frame], basis[:, :, p0:p1])
