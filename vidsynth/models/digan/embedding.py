"""DIGAN's space-time input: Fourier features of (x, y) whose phase is moved by the motion code.

For every video, w predicts a frequency matrix W (E x 2, scaled by sigma_x = sqrt(10)) and a phase
b (E). The motion generator turns (w, z_M) and the time t into a phase shift:

    m = A([w; z_M]);   m_t = f_M(leaky_relu(m * t * sigma_t));   e(x, y, t) = [sin, cos](W (x, y) + b + m_t)

so time acts only through the phase of the spatial embedding (paper §3.1, official CoordFuser).
A small sigma_t (0.25) keeps consecutive frames coherent.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.equalized import EqualLinear


class SpaceTimeEmbedding(nn.Module):
    """Outputs ``[B, 2E, T, H*W]`` (sin then cos) for grid coordinates ``[2, H*W]`` and times ``[B, T]``."""

    def __init__(self, w_dim: int, motion_dim: int, emb_size: int = 128, fourier_scale: float = math.sqrt(10),
                 sigma_t: float = 0.25):
        super().__init__()
        self.emb_size, self.fourier_scale, self.sigma_t = emb_size, fourier_scale, sigma_t
        self.xyaffine = EqualLinear(w_dim, emb_size * 3, bias_init=0.0)         # -> W (E x 2) and b (E)
        self.motion_affine = EqualLinear(w_dim + motion_dim, emb_size, bias_init=0.0)
        self.f_motion = nn.Sequential(EqualLinear(emb_size, emb_size, activation="lrelu"),
                                      EqualLinear(emb_size, emb_size))

    @property
    def out_channels(self) -> int:
        return 2 * self.emb_size

    def motion_phase(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        """Phase shift ``[B, T, E]`` of each frame: f_M(leaky_relu(A([w; z_M]) * t * sigma_t))."""
        m = self.motion_affine(torch.cat([w, z_motion], dim=1))                # [B, E]
        m = F.leaky_relu(m.unsqueeze(1) * times.unsqueeze(2) * self.sigma_t)    # [B, T, E] (slope 0.01 as official)
        return self.f_motion(m)

    def forward(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        b, e = w.shape[0], self.emb_size
        mod = self.xyaffine(w)
        freq = self.fourier_scale * mod[:, : 2 * e].view(b, e, 2)                # [B, E, 2]
        phase = mod[:, 2 * e:].unsqueeze(1) + self.motion_phase(w, z_motion, times)  # [B, T, E]
        raw = (freq @ coords).unsqueeze(2) + phase.transpose(1, 2).unsqueeze(3)    # [B, E, T, HW]
        return torch.cat([raw.sin(), raw.cos()], dim=1)                          # [B, 2E, T, HW]
