"""Diverse motion and content/motion swapping (DIGAN paper §4.2 "Diverse motion sampling", Figure 6).

DIGAN splits a video's latents into a content code z (-> w: the INR's weights and spatial
features) and a motion code z_M (how the feature phases move over time). Keeping one and redrawing
the other separates "what" from "how it moves":

- :func:`diverse_motion`: one content code, ``n`` motion codes: same first frame (roughly),
  different dynamics;
- :func:`swap_grid`: each motion code applied to many contents (a column is one motion
  transferred to every content); it returns a table whose row ``i`` is content ``i`` and column ``j`` motion ``j``.

Latents come from :meth:`DIGANSampler.latents`, so video ``k`` of a seed is the same everywhere.
"""
from __future__ import annotations

import torch

from vidsynth.apps.digan.render import mapped_w, render


def _codes(sampler, n: int, seed: int, start: int = 0):
    return sampler.latents(n, seed, start)


def diverse_motion(sampler, times, num_motions: int = 8, seed: int = 0, content_index: int = 0, label=None,
                   truncation_psi: float = 1.0, chunk_frames: int = 16) -> torch.Tensor:
    """Content ``content_index`` of ``seed`` with motions ``0..num_motions-1`` of seed ``seed + 1`` -> ``[M, 3, T, H, W]``."""
    z, _ = _codes(sampler, 1, seed, content_index)
    _, zm = _codes(sampler, num_motions, seed + 1)
    w = mapped_w(sampler, z, sampler.labels(1, label, seed), truncation_psi).expand(num_motions, -1)
    return render(sampler, w, zm, times, chunk_frames)


def swap_grid(sampler, times, num_contents: int = 4, num_motions: int = 4, seed: int = 0, label=None,
              truncation_psi: float = 1.0, chunk_frames: int = 16) -> torch.Tensor:
    """Every content x every motion -> ``[num_contents * num_motions, 3, T, H, W]``, row-major (row = content).

    Contents are videos ``0..`` of ``seed``; motions are the motion codes of the same videos, so the
    diagonal reproduces the original videos and off-diagonal entries swap motions between them.
    """
    z, zm = _codes(sampler, max(num_contents, num_motions), seed)
    w = mapped_w(sampler, z[:num_contents], sampler.labels(num_contents, label, seed), truncation_psi)
    w = w.repeat_interleave(num_motions, dim=0)                       # [C*M, w_dim]: c0 c0 .. c1 c1 ..
    zm = zm[:num_motions].repeat(num_contents, 1)                     # [C*M, motion_dim]: m0 m1 .. m0 m1 ..
    return render(sampler, w, zm, times, chunk_frames)
