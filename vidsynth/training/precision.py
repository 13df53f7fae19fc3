"""Mixed-precision training: autocast of a trainer's forward passes and, for fp16, loss scaling.

``MixedPrecision(cfg.precision, device)`` is what a trainer asks for both:

- ``autocast()``: the forward passes of G and D (and their losses) run under ``torch.autocast``
  in ``bf16`` or ``fp16`` (``vidsynth.nn.precision``); ``fp32`` is a no-op, so the default path is
  exactly the fp32 code.
- ``backward_step(loss, modules, optimizers)``: backward, gradient averaging over ranks, optimizer
  steps. With ``fp16`` the loss is multiplied by a dynamic scale before the backward (gradients
  that would underflow fp16's 6e-8 stay representable), the averaged gradients are unscaled, and a
  step whose gradients hold an inf/NaN is skipped while the scale halves (``torch.amp.GradScaler``).
  Ranks average the *scaled* gradients before the inf check, so an overflow on one rank reaches
  every rank and all of them skip the same step: their weights stay identical.

Gradient penalties (R1, MoCoGAN-HD's WGAN-GP, path length) differentiate a gradient a second time;
the inner, unscaled gradient under- or overflows in fp16 (an R1 of NaN on the first step of the
test configuration) and loses too many bits in bf16 (MoCoGAN-HD's D went NaN at step 1 in the
gpu_check dry run), so the passes they are taken through run in fp32 (``autocast(regularizer=True)``).

Why loss scaling and not StyleGAN2-ADA's scheme (fp16 weights in the top ``num_fp16_res = 4``
resolutions, activations clamped at ``conv_clamp = 256``, no scaler; DIGAN's official D does the
same): that scheme is built into the official layers; here autocast covers every network of both
methods without touching their code, and the scale is saved in checkpoints so a resumed fp16 run
continues with it. bf16 has fp32's exponent range: no scaler, and it works on CPUs too.
"""
from __future__ import annotations

import torch

from vidsynth.nn.precision import autocast


class MixedPrecision:
    """Autocast and loss scaling of one trainer (``precision``: fp32, bf16 or fp16)."""

    def __init__(self, precision: str, device):
        self.precision, self.device = precision, torch.device(device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=precision == "fp16")

    def autocast(self, regularizer: bool = False):
        """Autocast for the forward passes; ``regularizer``: a pass differentiated twice (R1, gradient
        penalty, path length), which stays fp32."""
        return autocast(self.device, "fp32" if regularizer else self.precision)

    def backward_step(self, loss: torch.Tensor, modules, optimizers, dist) -> None:
        """Zero the grads, backpropagate ``loss`` (scaled for fp16), average each module's gradients over
        ranks, step each optimizer (fp16: unscaled, skipped on inf/NaN), update the scale."""
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        for module in modules:
            dist.sync_grads(module)
        for opt in optimizers:
            self.scaler.step(opt)       # == opt.step() when the scaler is off (fp32, bf16)
        self.scaler.update()

    def state_dict(self) -> dict:
        """The loss scale and its growth counter (empty unless fp16)."""
        return self.scaler.state_dict()

    def load_state_dict(self, state: dict | None) -> None:
        if state and self.scaler.is_enabled():
            self.scaler.load_state_dict(state)
