"""What every trainer is to the training loop, and what the GAN trainers share.

- ``Trainer``: the contract ``training/loop.py`` relies on (a ``typing.Protocol``: any class with
  these members is a trainer; the loop never looks inside the networks).
- ``TRAINERS``: method name -> ``"module:attr"`` of its trainer class, resolved only when used.
- ``GANTrainerState``: resume state (G, D, G_ema, opt_G, opt_D) and the optimisation step that ends
  each phase of a GAN step (DIGAN and StyleGAN2 inherit it).
- ``lazy_regularized_adam``: StyleGAN2's Adam with a lazy regularisation phase folded in.
"""
from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from vidsynth.errors import ConfigError
from vidsynth.registry import resolve

# method name -> "module:attr" of its trainer class. Add one line per method.
TRAINERS = {
    "digan": "vidsynth.training.digan:DIGANTrainer",
    "stylegan2": "vidsynth.training.stylegan2:StyleGAN2Trainer",
    "mocogan-hd": "vidsynth.training.mocogan_hd:MoCoGANHDTrainer",
}


class Trainer(Protocol):
    """One method's networks, losses and optimisers, as the training loop drives them.

    Built as ``cls(cfg, device, c_dim=..., seed=..., dist=...)``. ``G`` is the trained generator
    (checked for non-finite weights at each snapshot)."""

    G: nn.Module

    def step(self, step: int, clips: torch.Tensor, labels: torch.Tensor, cur_nimg: int) -> dict[str, float]:
        """One optimisation step on a batch of real clips ``[B, 3, T, H, W]`` (uint8); returns loss statistics.

        A trainer that looks at only some frames of each clip may also define ``real_frames(step, n) ->
        [n, k]`` (clip frame numbers, known before the step): the loop then has only those decoded and
        calls ``step(step, clips, labels, cur_nimg, real_frames(step, n))`` with ``T = k`` (DIGAN: k = 2)."""

    def state_dict(self) -> dict:
        """Everything needed to resume exactly (weights, optimiser moments, schedules)."""

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned."""

    def export(self) -> tuple[nn.Module, dict]:
        """The module to export (the EMA generator) and the constructor kwargs that rebuild it."""

    def sample(self, z: torch.Tensor, z_motion: torch.Tensor, num_frames: int, c=None) -> torch.Tensor:
        """Snapshot videos ``[n, 3, T, R, R]`` in [-1, 1] on the CPU from fixed latents."""


def build_trainer(cfg, device, c_dim: int, seed: int, dist) -> Trainer:
    """The trainer of ``cfg.method`` (a name in ``TRAINERS``)."""
    if cfg.method not in TRAINERS:
        raise ConfigError(f"no trainer for method '{cfg.method}'")
    return resolve(TRAINERS[cfg.method])(cfg, device, c_dim=c_dim, seed=seed, dist=dist)


def lazy_regularized_adam(params, lr: float, beta1: float, beta2: float, reg_interval: int) -> torch.optim.Adam:
    """Adam whose lr and betas are scaled by ``interval / (interval + 1)``: StyleGAN2's way of folding a lazy
    regularisation phase (every ``reg_interval`` steps) into the main optimiser (0 = no lazy phase)."""
    ratio = reg_interval / (reg_interval + 1) if reg_interval else 1.0
    return torch.optim.Adam(params, lr=lr * ratio, betas=(beta1 ** ratio, beta2 ** ratio), eps=1e-8)


class GANTrainerState:
    """``state_dict`` / ``load_state_dict`` of a trainer holding G, D, G_ema, opt_G and opt_D (and ``dist``),
    plus the optimisation step every phase of a GAN step ends with."""

    _STATE = ("G", "D", "G_ema", "opt_G", "opt_D")

    def apply(self, loss, module: nn.Module, opt: torch.optim.Optimizer) -> torch.Tensor:
        """Backpropagate ``loss`` (a tensor, or one callable per micro-batch), average ``module``'s gradients
        over ranks, take ``opt``'s step (``self.amp``: fp16 loss scaling, ``training/precision.py``).
        Returns the loss, detached."""
        return self.amp.backward_step(loss, [module], [opt], self.dist)

    def state_dict(self) -> dict:
        state = {name: getattr(self, name).state_dict() for name in self._STATE}
        if self.amp.scaler.is_enabled():            # fp16: the loss scale, so a resumed run continues with it
            state["scaler"] = self.amp.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        for name in self._STATE:
            getattr(self, name).load_state_dict(state[name])
        self.amp.load_state_dict(state.get("scaler"))
