"""Pixel coordinates of a square grid, in the [-1, 1] convention of INR-GAN / DIGAN.

The training view covers the unit square [0, 1]^2 (mapped to [-1, 1)); pixel i of an r-pixel row
sits at ``u = lo + (hi - lo) * i / r``. Rendering a denser grid (space interpolation) or a wider
range such as [-0.25, 1.25]^2 (zoom-out, space extrapolation) only changes ``r`` and ``(lo, hi)``.
"""
from __future__ import annotations

import torch


def coordinate_grid(resolution: int, coord_range: tuple[float, float] = (0.0, 1.0),
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """``[2, resolution * resolution]``: rows of (x, y); y grows upwards as in the official code."""
    lo, hi = coord_range
    u = lo + (hi - lo) * torch.arange(resolution, device=device, dtype=torch.float32) / resolution
    row = 2 * u - 1                                              # [r]
    x = row.view(1, -1).expand(resolution, resolution)           # x varies along columns
    y = row.flip(0).view(-1, 1).expand(resolution, resolution)   # top row has the largest y
    return torch.stack([x, y]).reshape(2, -1)
