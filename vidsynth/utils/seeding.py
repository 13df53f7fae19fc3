"""The one way vidsynth names a random stream: a ``torch.Generator`` seeded by a tuple of integers.

Every per-item or per-step draw takes its own stream, keyed by what it belongs to, so a result never
depends on how the work was batched, split over processes or resumed:

- sampling: video ``i`` of ``sample(n, seed=s)`` draws from ``seed_stream(s, i)`` (MoCoGAN-HD adds a
  purpose tag: ``seed_stream(s, i, tag)`` for its content code, motion noise and noise maps), so it is
  the same video whatever ``n`` and the batch size;
- training: step ``k`` draws from ``seed_stream(seed, k)`` (DIGAN: the global batch, sliced per rank)
  or ``seed_stream(seed, k, rank)`` (StyleGAN2 / MoCoGAN-HD: per rank), so a resumed run replays the
  uninterrupted one.

The seed is Python's ``hash`` of the integer tuple, which is deterministic for integers (no hash
randomisation), folded to 63 bits because ``manual_seed`` takes a non-negative int64.
"""
from __future__ import annotations

import torch


def stream_seed(*key: int) -> int:
    """The 63-bit seed of the stream named ``key`` (a tuple of integers)."""
    return hash(tuple(int(k) for k in key)) & 0x7FFF_FFFF_FFFF_FFFF


def seed_stream(*key: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` for the stream named ``key``, e.g. ``(seed, index)``."""
    return torch.Generator(device=device).manual_seed(stream_seed(*key))
