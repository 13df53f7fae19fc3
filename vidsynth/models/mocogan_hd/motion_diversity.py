"""Do different videos move differently? A collapse check of the motion generator on its latent trajectories.

A GAN's motion generator can collapse to one motion: every video, whatever its content code and noise,
walks the same straight line through latent space. The tiny presets do (issue 15, docs/performance.md): the
cosine between two videos' latent steps rose from 0.02 (0.25 kimg) to 0.90 at 1.26 kimg of motion training on
builtin:shapes and to 0.997 by 2 kimg, every tanh coefficient the same at every step. FVD and per-frame
FID see this only indirectly (a straight line leaves the image manifold when unrolled), so the learning
benchmark reports these numbers beside them.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# Mean cosine between videos' latent steps above which the motion generator draws one motion for all of them.
# Independent directions in a D-dimensional space have cosines of about +-1/sqrt(D) (0.09 for the tiny
# presets' 128-d W); the collapsed runs measured 0.94-1.00. Real data can share a direction (a dataset that
# always pans right), so the line is drawn high.
COLLAPSED_COSINE = 0.9


def motion_diversity(latents: torch.Tensor) -> dict:
    """Latent trajectories ``[B, T, D]`` (``w_1..w_T`` of B >= 2 videos, T >= 3) ->

    - ``between_videos``: mean cosine between the steps ``w_{t+1} - w_t`` of two different videos at the same
      t (0: unrelated motions, 1: every video moves the same way);
    - ``over_time``: mean cosine between a video's consecutive steps (1: a constant direction);
    - ``straightness``: mean ``|w_T - w_1| / sum_t |w_{t+1} - w_t|`` (1: a straight line, ~1/sqrt(T-1) for a
      random walk);
    - ``step``: mean step length; ``collapsed``: ``between_videos > COLLAPSED_COSINE``.
    """
    if latents.ndim != 3 or latents.shape[0] < 2 or latents.shape[1] < 3:
        raise ValueError(f"motion_diversity needs latents [B >= 2, T >= 3, D], got {tuple(latents.shape)}")
    latents = latents.detach().double()
    b = latents.shape[0]
    steps = latents[:, 1:] - latents[:, :-1]                             # [B, T-1, D]
    unit = F.normalize(steps, dim=-1)
    gram = torch.einsum("itd,jtd->tij", unit, unit)                      # [T-1, B, B]
    off_diagonal = gram.sum((1, 2)) - gram.diagonal(dim1=1, dim2=2).sum(-1)
    between = float((off_diagonal / (b * (b - 1))).mean())
    over_time = float((unit[:, 1:] * unit[:, :-1]).sum(-1).mean())
    lengths = steps.norm(dim=-1)                                          # [B, T-1]
    straight = float(((latents[:, -1] - latents[:, 0]).norm(dim=-1) / lengths.sum(1).clamp_min(1e-12)).mean())
    return {"between_videos": between, "over_time": over_time, "straightness": straight,
            "step": float(lengths.mean()), "collapsed": between > COLLAPSED_COSINE}


def describe(diversity: dict) -> str:
    """One line for logs and reports: ``cosine between videos' latent steps 0.99, ...: COLLAPSED, ...``."""
    m = diversity
    return (f"cosine between videos' latent steps {m['between_videos']:.2f}, between a video's steps "
            f"{m['over_time']:.2f}, straightness {m['straightness']:.2f}"
            + (": COLLAPSED, one motion for every video" if m["collapsed"] else ""))
