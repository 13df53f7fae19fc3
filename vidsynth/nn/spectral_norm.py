"""Spectral normalisation (Miyato et al. 2018) with BigGAN's power-iteration order.

``W_sn = W / sigma(W)`` with ``sigma = u^T W v`` from one power-iteration step per training forward.
BigGAN, ``torch.nn.utils.spectral_norm`` and hence the official MoCoGAN-HD BigGAN D update
``v = normalize(W^T u)`` first, then ``u = normalize(W v)``; ``torch.nn.utils.parametrizations.spectral_norm``
updates them the other way round (u from v, then v), which gives a different u, v sequence and
gradients several percent off in training (measured against the official D step,
``tests/mocogan/test_official_fixtures.py``). Eval mode uses the stored u, v (no iteration) in both.

Registered as a parametrization, so state-dict names are torch's: ``parametrizations.weight.original``,
``parametrizations.weight.0._u``, ``parametrizations.weight.0._v``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """Parametrization ``weight -> weight / sigma``; ``weight`` is viewed as ``[out, -1]``."""

    def __init__(self, weight: torch.Tensor, n_power_iterations: int = 1, eps: float = 1e-12):
        super().__init__()
        self.n_power_iterations, self.eps = n_power_iterations, eps
        rows, cols = weight.shape[0], weight[0].numel()
        self.register_buffer("_u", F.normalize(weight.new_empty(rows).normal_(0, 1), dim=0, eps=eps))
        self.register_buffer("_v", F.normalize(weight.new_empty(cols).normal_(0, 1), dim=0, eps=eps))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        mat = weight.flatten(1)                                                 # [out, in * k * k]
        if self.training:
            with torch.no_grad():                                               # in place: DataParallel-safe
                for _ in range(self.n_power_iterations):
                    self._v.copy_(F.normalize(mat.T @ self._u, dim=0, eps=self.eps))
                    self._u.copy_(F.normalize(mat @ self._v, dim=0, eps=self.eps))
        u, v = self._u.clone(), self._v.clone()                                 # constants for autograd
        return weight / torch.dot(u, mat @ v)


def spectral_norm(module: nn.Module, name: str = "weight") -> nn.Module:
    """Register :class:`SpectralNorm` on ``module.<name>`` and return the module."""
    parametrize.register_parametrization(module, name, SpectralNorm(getattr(module, name)))
    return module
