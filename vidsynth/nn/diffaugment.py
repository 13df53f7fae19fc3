"""DiffAugment (Zhao et al. 2020): differentiable colour / translation / cutout applied to both real
and fake inputs of D. Each sample draws one set of parameters that is applied to ALL its channel
groups, so the two frames of a DIGAN motion pair get the identical augmentation (as they must: a
different shift per frame would look like motion)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from vidsynth.config import DIFFAUGMENT_POLICIES


def _draws(x: torch.Tensor, part: tuple[int, int] | None) -> tuple[int, slice]:
    """How many samples to draw for, and which of them are ``x``'s (see ``diff_augment``'s ``part``)."""
    n = x.shape[0]
    if part is None:
        return n, slice(0, n)
    start, total = part
    return total, slice(start, start + n)


def _rand(x: torch.Tensor, generator, part) -> torch.Tensor:
    total, mine = _draws(x, part)
    return torch.rand(total, 1, 1, 1, device=x.device, dtype=x.dtype, generator=generator)[mine]


def _randint(low: int, high: int, x: torch.Tensor, generator, part) -> torch.Tensor:
    total, mine = _draws(x, part)
    return torch.randint(low, high, (total, 1, 1), device=x.device, generator=generator)[mine]


def color(x: torch.Tensor, groups: int, generator=None, part=None) -> torch.Tensor:
    """Brightness (+-0.5), saturation (x0..2), contrast (x0.5..1.5) per sample; ``x`` is ``[N, 3*groups, H, W]``."""
    n = x.shape[0]
    b, s, c = _rand(x, generator, part) - 0.5, _rand(x, generator, part) * 2, _rand(x, generator, part) + 0.5
    v = x.view(n, groups, 3, *x.shape[2:])
    v = v + b.unsqueeze(1)
    mean_c = v.mean(dim=2, keepdim=True)
    v = (v - mean_c) * s.unsqueeze(1) + mean_c
    mean_all = v.mean(dim=[2, 3, 4], keepdim=True)
    v = (v - mean_all) * c.unsqueeze(1) + mean_all
    return v.reshape(x.shape)


def translation(x: torch.Tensor, ratio: float = 0.125, generator=None, part=None) -> torch.Tensor:
    """Shift by up to ``ratio`` of the size with zero fill, one shift per sample for all channels."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = _randint(-sh, sh + 1, x, generator, part)
    ty = _randint(-sw, sw + 1, x, generator, part)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = torch.clamp(gy.unsqueeze(0) + tx + 1, 0, h + 1)  # indices into the 1-padded image
    gx = torch.clamp(gx.unsqueeze(0) + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    idx = (gy * (w + 2) + gx).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, idx).view_as(x)


def cutout(x: torch.Tensor, ratio: float = 0.5, generator=None, part=None) -> torch.Tensor:
    """Zero a random square of ``ratio`` of the size per sample, the same square in all channels."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = _randint(0, h + (1 - ch % 2), x, generator, part)
    ox = _randint(0, w + (1 - cw % 2), x, generator, part)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy.unsqueeze(0) >= oy - ch // 2) & (gy.unsqueeze(0) < oy - ch // 2 + ch) &
              (gx.unsqueeze(0) >= ox - cw // 2) & (gx.unsqueeze(0) < ox - cw // 2 + cw))
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES = DIFFAUGMENT_POLICIES     # the names --set diffaugment= accepts (config.py owns the table)


def diff_augment(x: torch.Tensor, policy: str = "color,translation", rgb_groups: int = 1,
                 generator: torch.Generator | None = None, part: tuple[int, int] | None = None) -> torch.Tensor:
    """Apply the comma-separated ``policy`` to ``[N, C, H, W]``; colour acts on the first ``3*rgb_groups`` channels
    (extra channels such as DIGAN's dt plane only get the geometric transforms).

    ``part=(start, total)``: ``x`` is samples ``start..start+N-1`` of a batch of ``total``; parameters are
    drawn for the whole batch and sliced, so a multi-process run augments exactly like one process."""
    names = [p for p in policy.split(",") if p]
    unknown = set(names) - POLICIES
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {sorted(unknown)}; choose from {sorted(POLICIES)}")
    for name in names:
        if name == "color":
            rgb = 3 * rgb_groups
            x = torch.cat([color(x[:, :rgb], rgb_groups, generator, part), x[:, rgb:]], dim=1)
        elif name == "translation":
            x = translation(x, generator=generator, part=part)
        elif name == "cutout":
            x = cutout(x, generator=generator, part=part)
    return x
