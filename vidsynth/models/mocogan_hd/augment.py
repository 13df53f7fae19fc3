"""Image augmentations for the contrastive image D (appendix A.2.2), pure torch and differentiable
(the generator's losses backpropagate through them).

Composition of the official trainer (``contrastive_augment``): every image gets a cutout, then one
of {horizontal flip with p = 1/2, colour shift, affine warp}, chosen uniformly per image.
Every random draw comes from the optional ``torch.Generator`` so a seed reproduces the batch.
Images are ``[N, C, H, W]`` in [-1, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _uniform(n: int, low: float, high: float, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return (torch.rand(n, generator=generator, device=device) * (high - low) + low).to(x.device, x.dtype)


def _randint(n: int, high: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return torch.randint(0, high, (n,), generator=generator, device=device).to(x.device)


def random_flip(x: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``."""
    flip = (_uniform(x.shape[0], 0, 1, x, generator) < p).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)


def random_color(x: torch.Tensor, max_shift: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add ``U(-max_shift, max_shift)`` per image: to all channels (brightness) with probability 1/4,
    otherwise to one random channel (colour), as the official trainer."""
    n, c = x.shape[:2]
    shift = _uniform(n, -max_shift, max_shift, x, generator)
    which = _randint(n, c + 1, x, generator)                          # 0: all channels, k: channel k-1
    channel = torch.arange(c, device=x.device).view(1, c)
    mask = (which.view(n, 1) == 0) | (which.view(n, 1) == channel + 1)  # [N, C]
    return x + (mask.to(x.dtype) * shift.view(n, 1)).view(n, c, 1, 1)


def random_affine(x: torch.Tensor, max_rotation: float = 180.0, max_translation: float = 0.1,
                  max_scale_delta: float = 0.05, generator: torch.Generator | None = None) -> torch.Tensor:
    """Rotation U(-180, 180) degrees, translation U(-0.1, 0.1) per axis (in affine_grid's [-1, 1] units)
    and scale U(0.95, 1.05), bilinear with reflection padding."""
    n = x.shape[0]
    angle = _uniform(n, -max_rotation, max_rotation, x, generator) * (math.pi / 180)
    tx = _uniform(n, -max_translation, max_translation, x, generator)
    ty = _uniform(n, -max_translation, max_translation, x, generator)
    scale = _uniform(n, 1 - max_scale_delta, 1 + max_scale_delta, x, generator)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)  # [N, 2, 3]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_cutout(x: torch.Tensor, max_ratio: float = 0.25, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero a square of side ``U(max_ratio/2, max_ratio)`` of the height, placed inside a band of width
    ``max_ratio`` along one randomly chosen border (top, bottom, left or right), as the official trainer."""
    n, _, h, w = x.shape
    ratio = _uniform(n, max_ratio / 2, max_ratio, x, generator)
    side_choice = _randint(n, 4, x, generator)
    u_band, u_along = _uniform(n, 0, 1, x, generator), _uniform(n, 0, 1, x, generator)
    band_near = u_band * (max_ratio - ratio)                       # start inside the near band
    band_far = (1 - max_ratio) + u_band * (max_ratio - ratio)      # start inside the far band
    along = u_along * (1 - max_ratio)
    h_start = torch.where(side_choice == 0, band_near, torch.where(side_choice == 1, band_far, along))
    w_start = torch.where(side_choice == 2, band_near, torch.where(side_choice == 3, band_far, along))
    top = torch.round(h_start * (h - 1) - 0.5).clamp_min(0).view(n, 1, 1)
    left = torch.round(w_start * (w - 1) - 0.5).clamp_min(0).view(n, 1, 1)
    length = torch.round(h * ratio - 0.5).view(n, 1, 1)
    ys = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h, 1)
    xs = torch.arange(w, device=x.device, dtype=x.dtype).view(1, 1, w)
    inside = (ys >= top) & (ys < top + length) & (xs >= left) & (xs < left + length)  # [N, H, W]
    return x * (~inside).unsqueeze(1).to(x.dtype)


def contrastive_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Cutout, then per image one of flip / colour / affine (uniform choice). ``[N, C, H, W]`` -> same."""
    x = random_cutout(x, generator=generator)
    choice = _randint(x.shape[0], 3, x, generator)
    flipped = random_flip(x, generator=generator)
    coloured = random_color(x, generator=generator)
    warped = random_affine(x, generator=generator)
    pick = choice.view(-1, 1, 1, 1)
    return torch.where(pick == 0, flipped, torch.where(pick == 1, coloured, warped))
