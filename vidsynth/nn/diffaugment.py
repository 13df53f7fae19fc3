"""DiffAugment (Zhao et al. 2020): differentiable colour / translation / cutout applied to both real
and fake inputs of D. Each sample draws one set of parameters that is applied to ALL its channel
groups, so the two frames of a DIGAN motion pair get the identical augmentation (as they must: a
different shift per frame would look like motion)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _rand(n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype, generator=generator)


def color(x: torch.Tensor, groups: int, generator=None) -> torch.Tensor:
    """Brightness (+-0.5), saturation (x0..2), contrast (x0.5..1.5) per sample; ``x`` is ``[N, 3*groups, H, W]``."""
    n = x.shape[0]
    b, s, c = _rand(n, x, generator) - 0.5, _rand(n, x, generator) * 2, _rand(n, x, generator) + 0.5
    v = x.view(n, groups, 3, *x.shape[2:])
    v = v + b.unsqueeze(1)
    mean_c = v.mean(dim=2, keepdim=True)
    v = (v - mean_c) * s.unsqueeze(1) + mean_c
    mean_all = v.mean(dim=[2, 3, 4], keepdim=True)
    v = (v - mean_all) * c.unsqueeze(1) + mean_all
    return v.reshape(x.shape)


def translation(x: torch.Tensor, ratio: float = 0.125, generator=None) -> torch.Tensor:
    """Shift by up to ``ratio`` of the size with zero fill, one shift per sample for all channels."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device, generator=generator)
    ty = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device, generator=generator)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = torch.clamp(gy.unsqueeze(0) + tx + 1, 0, h + 1)  # indices into the 1-padded image
    gx = torch.clamp(gx.unsqueeze(0) + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    idx = (gy * (w + 2) + gx).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, idx).view_as(x)


def cutout(x: torch.Tensor, ratio: float = 0.5, generator=None) -> torch.Tensor:
    """Zero a random square of ``ratio`` of the size per sample, the same square in all channels."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device, generator=generator)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device, generator=generator)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy.unsqueeze(0) >= oy - ch // 2) & (gy.unsqueeze(0) < oy - ch // 2 + ch) &
              (gx.unsqueeze(0) >= ox - cw // 2) & (gx.unsqueeze(0) < ox - cw // 2 + cw))
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES = {"color", "translation", "cutout"}


def diff_augment(x: torch.Tensor, policy: str = "color,translation", rgb_groups: int = 1,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the comma-separated ``policy`` to ``[N, C, H, W]``; colour acts on the first ``3*rgb_groups`` channels
    (extra channels such as DIGAN's dt plane only get the geometric transforms)."""
    names = [p for p in policy.split(",") if p]
    unknown = set(names) - POLICIES
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {sorted(unknown)}; choose from {sorted(POLICIES)}")
    for name in names:
        if name == "color":
            rgb = 3 * rgb_groups
            x = torch.cat([color(x[:, :rgb], rgb_groups, generator), x[:, rgb:]], dim=1)
        elif name == "translation":
            x = translation(x, generator=generator)
        elif name == "cutout":
            x = cutout(x, generator=generator)
    return x
