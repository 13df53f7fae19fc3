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

Two schemes, chosen by the trainer:

- whole-model autocast (MoCoGAN-HD, StyleGAN2; ``MixedPrecision(precision, device)``): every forward pass
  under ``torch.autocast``, and for fp16 dynamic loss scaling (``torch.amp.GradScaler``), whose scale is
  saved in checkpoints so a resumed fp16 run continues with it. The official MoCoGAN-HD (rosinality's
  StyleGAN2) has no reduced precision at all; autocast is vidsynth's way to run it on tensor cores.
- StyleGAN2-ADA's scheme, as the official DIGAN trains (``MixedPrecision(precision, device, blockwise=[D])``):
  ``src/train.py`` gives both Ds ``num_fp16_res = 4`` and ``conv_clamp = 256`` and keeps G in fp32
  (``configs/digan.yml`` ``generator.fp32: true``). So no autocast at all (``autocast()`` is a no-op: G
  and the losses are fp32), the ``blockwise`` modules run their top-resolution blocks in the reduced
  format (``nn.precision.set_reduced_precision``; R1 passes too, as the official ``loss.py`` runs the same
  D for R1), and no loss scaling: the official ``training_loop.py`` has no scaler; it replaces NaN
  gradients by 0 and +-inf by +-1e5 (``misc.nan_to_num``) before every optimizer step, which
  ``backward_step`` does too (after averaging over ranks, so all ranks step alike). The weights are
  fp32 (cast per call), so their gradients are fp32; only the activation gradients inside the reduced
  blocks are fp16/bf16, kept in range by the clamp.
"""
from __future__ import annotations

import torch

from vidsynth.nn.precision import autocast, set_reduced_precision

# StyleGAN2-ADA's training_loop.py: misc.nan_to_num(param.grad, nan=0, posinf=1e5, neginf=-1e5) before each step
GRAD_NAN, GRAD_POSINF, GRAD_NEGINF = 0.0, 1e5, -1e5


class MixedPrecision:
    """Autocast and loss scaling of one trainer (``precision``: fp32, bf16 or fp16). ``blockwise``: the
    modules with mixed-precision blocks (DIGAN's D) for StyleGAN2-ADA's scheme (no autocast, no scaler)."""

    def __init__(self, precision: str, device, blockwise=()):
        self.precision, self.device = precision, torch.device(device)
        blocks = [m for module in blockwise for m in set_reduced_precision(module, precision)]
        if blockwise and not blocks:
            raise ValueError("blockwise modules given but none has mixed-precision blocks (set_reduced_dtype)")
        self.blockwise = bool(blocks) and precision != "fp32"
        self.scheme = "fp32" if precision == "fp32" else "blocks" if self.blockwise else "autocast"
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=precision == "fp16" and not self.blockwise)

    def autocast(self, regularizer: bool = False):
        """Autocast for the forward passes; ``regularizer``: a pass differentiated twice (R1, gradient
        penalty, path length), which stays fp32. No-op in the blockwise scheme (the modules' blocks
        choose their own format; everything else is fp32)."""
        if self.blockwise:
            return autocast(self.device, "fp32")
        return autocast(self.device, "fp32" if regularizer else self.precision)

    def backward_step(self, loss, modules, optimizers, dist) -> torch.Tensor:
        """Zero the grads, backpropagate ``loss`` (scaled for fp16), average each module's gradients over
        ranks, step each optimizer (fp16: unscaled, skipped on inf/NaN), update the scale.

        ``loss`` is a tensor, or a list of callables, one per micro-batch (``training/micro_batch.py``): each
        is computed and back-propagated in turn, divided by their number, so only one piece's graph is held
        and the summed gradients are the mean. Returns the loss (the mean of the pieces), detached."""
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        if isinstance(loss, torch.Tensor):
            self.scaler.scale(loss).backward()
            total = loss.detach()
        else:
            total = 0
            for piece in loss:
                value = piece() / len(loss)
                self.scaler.scale(value).backward()
                total = total + value.detach()
        for module in modules:
            dist.sync_grads(module)
            if self.blockwise:                 # StyleGAN2-ADA: no scaler, non-finite gradients replaced
                for p in module.parameters():
                    if p.grad is not None:
                        torch.nan_to_num(p.grad, nan=GRAD_NAN, posinf=GRAD_POSINF, neginf=GRAD_NEGINF, out=p.grad)
        for opt in optimizers:
            self.scaler.step(opt)       # == opt.step() when the scaler is off (fp32, bf16)
        self.scaler.update()
        return total

    def state_dict(self) -> dict:
        """The loss scale and its growth counter (empty unless fp16)."""
        return self.scaler.state_dict()

    def load_state_dict(self, state: dict | None) -> None:
        if state and self.scaler.is_enabled():
            self.scaler.load_state_dict(state)
