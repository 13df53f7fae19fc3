"""Path-length regularisation (StyleGAN2, Karras et al. 2020, Sec. 3.2), as rosinality's and
StyleGAN2-ADA's trainers compute it.

For images ``x = G(w)`` and a random image-space direction ``y ~ N(0, I) / sqrt(H W)``, the Jacobian
norm ``a = sqrt(mean_layers sum_dim (d(x . y) / dw)^2)`` should be the same for every w: equal steps
in W then change the image equally much, which is what MoCoGAN-HD's equal-step walks in W need.
Penalty ``mean (a - a_mean)^2`` with ``a_mean`` an EMA of ``a`` (decay 0.01), weight 2, every
4 steps on a batch shrunk by 2 (both references' defaults); the trainer multiplies it by the
interval (lazy regularisation). ``a_mean`` is state (saved in checkpoints).
"""
from __future__ import annotations

import math

import torch


def path_lengths(images: torch.Tensor, ws: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """``a`` per sample ``[N]`` for ``images [N, 3, H, W]`` made from ``ws [N, num_ws, D]`` (with graph)
    along ``direction`` (same shape as ``images``, ``~ N(0, 1) / sqrt(H W)``)."""
    (grad,) = torch.autograd.grad((images * direction).sum(), ws, create_graph=True)   # [N, num_ws, D]
    return grad.square().sum(2).mean(1).sqrt()


class PathLengthRegularizer:
    """Holds ``a_mean`` and turns images + ws into the penalty."""

    def __init__(self, decay: float = 0.01):
        self.decay, self.mean = decay, 0.0

    def direction(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h, w = images.shape[2:]
        y = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        return y / math.sqrt(h * w)

    def penalty(self, images: torch.Tensor, ws: torch.Tensor, generator: torch.Generator | None = None,
                all_reduce_mean=None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean (a - a_mean)^2, a [N])``; updates ``a_mean <- a_mean + decay * (mean a - a_mean)`` first, as
        the references (``all_reduce_mean`` averages ``mean a`` over ranks)."""
        lengths = path_lengths(images, ws, self.direction(images, generator))
        batch_mean = lengths.detach().mean()
        if all_reduce_mean is not None:
            batch_mean = all_reduce_mean(batch_mean)
        self.mean = self.mean + self.decay * (float(batch_mean) - self.mean)
        return (lengths - self.mean).square().mean(), lengths

    def state_dict(self) -> dict:
        return {"mean": self.mean}

    def load_state_dict(self, state: dict) -> None:
        self.mean = float(state["mean"])
