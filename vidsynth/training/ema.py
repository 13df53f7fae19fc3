"""What the GAN trainers share: the EMA of generator weights (StyleGAN2-ADA's schedule), their resume
state and the optimisation step that ends each phase."""
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


def lazy_regularized_adam(params, lr: float, beta1: float, beta2: float, reg_interval: int) -> torch.optim.Adam:
    """Adam whose lr and betas are scaled by ``interval / (interval + 1)``: StyleGAN2's way of folding a lazy
    regularisation phase (every ``reg_interval`` steps) into the main optimiser (0 = no lazy phase)."""
    ratio = reg_interval / (reg_interval + 1) if reg_interval else 1.0
    return torch.optim.Adam(params, lr=lr * ratio, betas=(beta1 ** ratio, beta2 ** ratio), eps=1e-8)


class GANTrainerState:
    """``state_dict`` / ``load_state_dict`` of a trainer holding G, D, G_ema, opt_G and opt_D (and ``dist``),
    plus the optimisation step every phase of a GAN step ends with."""

    _STATE = ("G", "D", "G_ema", "opt_G", "opt_D")

    def apply(self, loss: torch.Tensor, module: nn.Module, opt: torch.optim.Optimizer) -> None:
        """Backpropagate ``loss``, average ``module``'s gradients over ranks, take ``opt``'s step."""
        opt.zero_grad(set_to_none=True)
        loss.backward()
        self.dist.sync_grads(module)
        opt.step()

    def state_dict(self) -> dict:
        return {name: getattr(self, name).state_dict() for name in self._STATE}

    def load_state_dict(self, state: dict) -> None:
        for name in self._STATE:
            getattr(self, name).load_state_dict(state[name])
