"""DIGAN's input coordinates: pixel coordinates of a grid, in the [-1, 1] convention of INR-GAN / DIGAN,
and the times of frames.

Time (official convention, used by training, sampling and every application): frame ``i`` of a
``train_frames``-frame training clip sits at ``t = i / (train_frames - 1)``, so the clip spans [0, 1];
any real ``i`` (fractional, negative, past the clip) is a valid time.

The training view covers the unit square [0, 1]^2 (mapped to [-1, 1)); pixel i of an r-pixel row
sits at ``u = lo + (hi - lo) * i / r``. Rendering a denser grid (space interpolation) or a wider
range such as [-0.25, 1.25]^2 (zoom-out, space extrapolation) only changes ``r`` and ``(lo, hi)``.

A rectangular grid (``width != resolution``; DIGAN's INR renders any grid) keeps the pixel pitch of
the square one: rows still span ``(lo, hi)`` vertically, and the ``width`` columns extend the same
pitch symmetrically about the centre, so a 16:9 view is the square view widened left and right
(its centre square has exactly the square grid's x coordinates when ``width - resolution`` is even).
"""
from __future__ import annotations

import numbers
from typing import Sequence

import torch


def frame_times(frames: int | Sequence[float] | torch.Tensor, train_frames: int = 16, device=None) -> torch.Tensor:
    """Float32 times ``i / (train_frames - 1)`` of frames ``0..frames-1`` (an int) or of the given frame
    indices (a sequence: real numbers allowed) -> ``[T]``."""
    if isinstance(frames, numbers.Integral):
        index = torch.arange(int(frames), device=device, dtype=torch.float32)
    else:
        index = torch.tensor([float(i) for i in frames], device=device, dtype=torch.float32)
    return index / max(train_frames - 1, 1)


def coordinate_grid(resolution: int, coord_range: tuple[float, float] = (0.0, 1.0),
                    device: torch.device | str = "cpu", width: int | None = None) -> torch.Tensor:
    """``[2, resolution * width]`` (width defaults to resolution): rows of (x, y); y grows upwards as in
    the official code."""
    lo, hi = coord_range
    width = resolution if width is None else int(width)
    u = lo + (hi - lo) * torch.arange(resolution, device=device, dtype=torch.float32) / resolution
    row = 2 * u - 1                                              # [r]
    if width == resolution:
        col = row
    else:  # same pitch, centred: shift by half the extra columns
        shift = (width - resolution) / 2
        col = 2 * (lo + (hi - lo) * (torch.arange(width, device=device, dtype=torch.float32) - shift)
                   / resolution) - 1                             # [w]
    x = col.view(1, -1).expand(resolution, width)                # x varies along columns
    y = row.flip(0).view(-1, 1).expand(resolution, width)        # top row has the largest y
    return torch.stack([x, y]).reshape(2, -1)
