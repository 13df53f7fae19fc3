"""DIGAN's motion generator and the space-time input it drives (paper §3.1, official CoordFuser).

For every video, w predicts a frequency matrix W (E x 2, scaled by sigma_x = sqrt(10)) and a phase
b (E) of spatial Fourier features. The *motion generator* turns the content code w, the motion code
z_M and the time t into a phase shift of those features:

    m = A([w; z_M]);   m_t = f_M(leaky_relu(m * t * sigma_t));   e(x, y, t) = [sin, cos](W (x, y) + b + m_t)

(the paper's w_t = G_M(z_I, z_M) is ``A``; its non-linear mapping f_M a 2-layer MLP). Time acts only
through this phase, and a small sigma_t (0.25) keeps consecutive frames coherent.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.nn.equalized import EqualLinear
from vidsynth.nn.precision import fp32_forward


class DIGANMotionGenerator(nn.Module):
    """G_M with f_M: ``(w [B, w_dim], z_M [B, motion_dim], times [B, T])`` -> phase shift ``m_t [B, T, E]``."""

    def __init__(self, w_dim: int, motion_dim: int, emb_size: int = 128, sigma_t: float = 0.25):
        super().__init__()
        self.sigma_t = sigma_t
        self.motion_affine = EqualLinear(w_dim + motion_dim, emb_size, bias_init=0.0)   # A: conditioned on content
        self.f_motion = nn.Sequential(EqualLinear(emb_size, emb_size, activation="lrelu"),  # f_M (paper App. A.1)
                                      EqualLinear(emb_size, emb_size))

    def forward(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        m = self.motion_affine(torch.cat([w, z_motion], dim=1))                 # [B, E]
        m = F.leaky_relu(m.unsqueeze(1) * times.unsqueeze(2) * self.sigma_t)     # [B, T, E] (slope 0.01 as official)
        return self.f_motion(m)


class SpaceTimeEmbedding(nn.Module):
    """Outputs ``[B, 2E, T, H*W]`` (sin then cos) for grid coordinates ``[2, H*W]`` and times ``[B, T]``.

    The motion generator's weights are stored flat beside ``xyaffine`` (keys ``motion_affine.*``,
    ``f_motion.*``), as in checkpoints and the official CoordFuser: the two hooks below rename
    ``motion.`` away on save and back on load, so state-dict keys did not change when the motion
    generator became its own class.
    """

    def __init__(self, w_dim: int, motion_dim: int, emb_size: int = 128, fourier_scale: float = math.sqrt(10),
                 sigma_t: float = 0.25):
        super().__init__()
        self.emb_size, self.fourier_scale = emb_size, fourier_scale
        self.xyaffine = EqualLinear(w_dim, emb_size * 3, bias_init=0.0)         # -> W (E x 2) and b (E)
        self.motion = DIGANMotionGenerator(w_dim, motion_dim, emb_size, sigma_t)   # built second: init order kept
        self.register_state_dict_post_hook(_flat_motion_keys)
        self.register_load_state_dict_pre_hook(_nested_motion_keys)

    @property
    def out_channels(self) -> int:
        return 2 * self.emb_size

    @fp32_forward    # fp32 under autocast too: bf16 phases of |x| ~ 10-50 rad would be off by 0.1 rad or more
    def forward(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        spatial, phase = self.fourier_terms(w, z_motion, times, coords)
        raw = spatial.unsqueeze(2) + phase.unsqueeze(3)                          # [B, E, T, HW]
        return torch.cat([raw.sin(), raw.cos()], dim=1)                          # [B, 2E, T, HW]

    def fourier_terms(self, w: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor,
                      coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two parts of the features' argument ``W (x, y) + (b + m_t)``: the spatial one ``[B, E, HW]``
        and the phase ``[B, E, T]``. Their sum over a grid of points and times is what :meth:`forward`
        takes sin and cos of; a renderer that works on a few points at a time adds them per piece."""
        b, e = w.shape[0], self.emb_size
        mod = self.xyaffine(w)
        freq = self.fourier_scale * mod[:, : 2 * e].view(b, e, 2)                # [B, E, 2]
        phase = mod[:, 2 * e:].unsqueeze(1) + self.motion(w, z_motion, times)   # [B, T, E]
        return freq @ coords, phase.transpose(1, 2)


def _flat_motion_keys(module, state_dict, prefix, local_metadata) -> None:
    """Save: ``<prefix>motion.motion_affine.weight`` -> ``<prefix>motion_affine.weight`` (order kept: they are last)."""
    inner = prefix + "motion."
    for table in (state_dict, getattr(state_dict, "_metadata", {})):        # tensors, then per-module versions
        for key in [k for k in table if k.startswith(inner)]:
            table[prefix + key[len(inner):]] = table.pop(key)
    getattr(state_dict, "_metadata", {}).pop(prefix + "motion", None)


def _nested_motion_keys(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs) -> None:
    """Load: the flat keys of :func:`_flat_motion_keys` back under ``<prefix>motion.``."""
    for key in [k for k in state_dict if k.startswith((prefix + "motion_affine.", prefix + "f_motion."))]:
        state_dict[prefix + "motion." + key[len(prefix):]] = state_dict.pop(key)
