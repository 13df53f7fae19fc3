"""The EMA of generator weights (StyleGAN2-ADA's schedule). What else the trainers share (resume state,
the optimiser factory) is in ``training/base.py``."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, batch: int, ema_kimg: float, ema_rampup: float, cur_nimg: int) -> None:
    """``G_ema <- lerp(G, G_ema, beta)`` with half-life ``ema_kimg`` thousand images (shorter early on when
    ``ema_rampup > 0``); buffers (w_avg, batch-norm statistics) are copied."""
    ema_nimg = ema_kimg * 1000
    if ema_rampup > 0:
        ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
    beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.copy_(p.detach().lerp(p_ema, beta))
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        b_ema.copy_(b)


# Moved to training/base.py in 0.2; importable from here until 0.3 (see CHANGELOG.md).
from vidsynth.training.base import GANTrainerState, lazy_regularized_adam  # noqa: E402

__all__ = ["update_ema", "GANTrainerState", "lazy_regularized_adam"]
