"""StyleGAN's mapping network z (+ optional class label c) -> w, with a tracked average of w for truncation."""
from __future__ import annotations

import torch
from torch import nn

from vidsynth.nn.equalized import EqualLinear
from vidsynth.nn.precision import fp32_forward


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class MappingNetwork(nn.Module):
    """``z [N, z_dim]``, ``c [N, c_dim]`` (one-hot, optional) -> ``w [N, w_dim]``.

    Layers use lr multiplier 0.01 (StyleGAN2). In training mode ``w_avg`` follows the mean w with
    decay ``w_avg_beta``; ``truncation_psi < 1`` pulls w towards it at sampling time.
    """

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 2, c_dim: int = 0, lr_multiplier: float = 0.01,
                 w_avg_beta: float = 0.995):
        super().__init__()
        self.z_dim, self.w_dim, self.c_dim, self.w_avg_beta = z_dim, w_dim, c_dim, w_avg_beta
        embed = w_dim if c_dim > 0 else 0
        if c_dim > 0:
            self.embed = EqualLinear(c_dim, embed)
        dims = [z_dim + embed] + [w_dim] * num_layers
        self.layers = nn.Sequential(*[EqualLinear(a, b, activation="lrelu", lr_multiplier=lr_multiplier)
                                      for a, b in zip(dims[:-1], dims[1:])])
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @fp32_forward      # fp32 under autocast too (--precision bf16/fp16), as StyleGAN2-ADA's mapping network
    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                update_w_avg: bool | None = None) -> torch.Tensor:
        x = normalize_2nd_moment(z.float())
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this generator is class-conditional: pass one-hot labels c [N, c_dim]")
            x = torch.cat([x, normalize_2nd_moment(self.embed(c.float()))], dim=1)
        w = self.layers(x)
        if self.training if update_w_avg is None else update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(w.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if truncation_psi != 1:
            w = self.w_avg.lerp(w, truncation_psi)
        return w
