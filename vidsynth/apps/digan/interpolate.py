"""Latent / INR-weight interpolation between two videos, as video.

What is interpolated: DIGAN's INR has no free weights per video -- every layer's weight is the
shared base weight modulated (FMM, demodulated) by a style computed from w, and the spatial
Fourier features' bias is predicted from w too. So w *is* the video's INR-weight code, and a
straight line in w is a path through INR-weight space ("INR weight interpolation"). We

- interpolate w linearly (W space is where StyleGAN-type mappings are close to linear), and
- interpolate the motion code z_M spherically (slerp): z_M is fed to the motion network
  unnormalised as a draw from N(0, I), and slerp keeps its norm typical, where a straight line
  would shrink it towards 0 (= almost no motion) in the middle.

With ``space="z"`` the content codes z are slerped instead and mapped to w afterwards.
"""
from __future__ import annotations

import torch

from vidsynth.apps.digan.render import mapped_w, render


def slerp(a: torch.Tensor, b: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of ``a, b [D]`` at ``alpha [K]`` -> ``[K, D]`` (the norm is interpolated linearly)."""
    alpha = alpha.view(-1, 1).to(a.dtype)
    na, nb = a.norm(), b.norm()
    ua, ub = a / na.clamp_min(1e-8), b / nb.clamp_min(1e-8)
    omega = torch.arccos((ua * ub).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    if so.abs() < 1e-6:
        direction = torch.lerp(ua.expand(len(alpha), -1), ub.expand(len(alpha), -1), alpha)
    else:
        direction = (torch.sin((1 - alpha) * omega) * ua + torch.sin(alpha * omega) * ub) / so
    return direction * torch.lerp(na, nb, alpha)


def interpolation_codes(sampler, steps: int = 8, seed: int = 0, index_a: int = 0, index_b: int = 1, label=None,
                        truncation_psi: float = 1.0, space: str = "w", seed_b: int | None = None):
    """``(w [steps, w_dim], z_M [steps, motion_dim])`` from video ``index_a`` of ``seed`` to video ``index_b``
    of ``seed_b`` (default: ``seed``)."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    if space not in ("w", "z"):
        raise ValueError(f"space must be 'w' or 'z', got {space!r}")
    za, zma = sampler.latents(1, seed, index_a)
    zb, zmb = sampler.latents(1, seed if seed_b is None else seed_b, index_b)
    alpha = torch.linspace(0, 1, steps)
    c = sampler.labels(1, label, seed)
    c = c.expand(steps, -1) if c is not None else None
    if space == "w":
        wa, wb = mapped_w(sampler, torch.cat([za, zb]), torch.cat([c[:1], c[:1]]) if c is not None else None,
                          truncation_psi).cpu()
        w = torch.lerp(wa.expand(steps, -1), wb.expand(steps, -1), alpha.view(-1, 1))
    else:
        w = mapped_w(sampler, slerp(za[0].cpu(), zb[0].cpu(), alpha), c, truncation_psi).cpu()
    zm = slerp(zma[0].cpu(), zmb[0].cpu(), alpha)
    return w, zm


def interpolate_latents(sampler, times, steps: int = 8, seed: int = 0, index_a: int = 0, index_b: int = 1,
                        label=None, truncation_psi: float = 1.0, space: str = "w",
                        chunk_frames: int = 16, seed_b: int | None = None) -> torch.Tensor:
    """``steps`` videos on the path from video ``index_a`` to ``index_b`` (of ``seed_b``) -> ``[steps, 3, T, H, W]``."""
    w, zm = interpolation_codes(sampler, steps, seed, index_a, index_b, label, truncation_psi, space, seed_b)
    return render(sampler, w, zm, times, chunk_frames)


def morph(sampler, num_frames: int = 64, seed: int = 0, index_a: int = 0, index_b: int = 1, label=None,
          truncation_psi: float = 1.0, space: str = "w", time: float | None = None,
          seed_b: int | None = None) -> torch.Tensor:
    """One video ``[1, 3, num_frames, H, W]`` whose frame k shows step k of the path.

    ``time=None`` lets the video play on (frame k at its own time k / (train_frames - 1)); a number
    freezes time, so only the latents change.
    """
    w, zm = interpolation_codes(sampler, num_frames, seed, index_a, index_b, label, truncation_psi, space, seed_b)
    if time is None:
        t = torch.arange(num_frames, dtype=torch.float32) / max(sampler.train_frames - 1, 1)
    else:
        t = torch.full((num_frames,), float(time))
    frames = render(sampler, w, zm, t.view(-1, 1), chunk_frames=1)   # [K, 3, 1, H, W]: one frame per code
    return frames.permute(2, 1, 0, 3, 4)                               # [1, 3, K, H, W]
