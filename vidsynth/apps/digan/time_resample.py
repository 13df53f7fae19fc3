"""Time interpolation and extrapolation (DIGAN paper §4.2, Table 2, Figure 4, Appendix G).

Because time is just an input coordinate, a trained DIGAN can be asked for frames the training
clips never had:

- *interpolation*: ``factor`` times denser sampling of the training interval [0, 1]: a 16-frame
  model gives ``(16 - 1) * factor + 1`` frames over the same span (smoother, slow-motion video);
- *extrapolation*: the training frame spacing kept, the video continued ``factor`` times longer:
  ``16 * factor`` frames, t in [0, factor * 16 / 15 - 1/15] -- frames past t = 1 were never seen.
"""
from __future__ import annotations

import torch


def interpolation_times(train_frames: int, factor: int) -> torch.Tensor:
    """``[(train_frames - 1) * factor + 1]`` evenly spaced times in [0, 1] (every ``factor``-th is a training frame)."""
    if factor < 1:
        raise ValueError(f"interpolation factor must be >= 1, got {factor}")
    return torch.linspace(0.0, 1.0, (train_frames - 1) * int(factor) + 1)


def extrapolation_times(train_frames: int, factor: float) -> torch.Tensor:
    """``[round(train_frames * factor)]`` times at the training spacing 1 / (train_frames - 1), from 0 on."""
    if factor <= 0:
        raise ValueError(f"extrapolation factor must be > 0, got {factor}")
    n = max(1, int(round(train_frames * factor)))
    return torch.arange(n, dtype=torch.float32) / max(train_frames - 1, 1)

