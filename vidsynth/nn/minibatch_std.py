"""Minibatch standard deviation (Karras et al. 2018): lets D see sample diversity within a group."""
from __future__ import annotations

import torch
from torch import nn


def _group_size(batch: int, wanted: int) -> int:
    """Largest divisor of ``batch`` not above ``wanted`` (so any batch size works)."""
    g = min(wanted, batch)
    while batch % g:
        g -= 1
    return g


class MinibatchStd(nn.Module):
    """Append ``num_channels`` feature maps holding the group std: ``[N, C, H, W] -> [N, C + F, H, W]``."""

    def __init__(self, group_size: int = 4, num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g, f = _group_size(n, self.group_size), self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)            # [G, n, F, c, H, W]
        y = (y - y.mean(dim=0)).square().mean(dim=0)     # variance over the group
        y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4])        # [n, F]
        y = y.reshape(-1, f, 1, 1).repeat(g, 1, h, w)    # [N, F, H, W]
        return torch.cat([x, y], dim=1)
