"""FVD with the real I3D reacts to what it should: ~0 for a set against itself, and it grows when
videos get noisier, frames are shuffled, or motion is frozen. Few clips (the I3D costs ~0.3-1 s per
224x224 clip on 2 CPU cores); VIDSYNTH_FULL=1 uses more."""
import os

import numpy as np
import pytest
import torch

from tests.metrics.helpers import moving_square_videos
from vidsynth.metrics.features import I3DLogits
from vidsynth.metrics.fvd import frechet_distance

N = 16 if os.environ.get("VIDSYNTH_FULL") else 6
T = 16 if os.environ.get("VIDSYNTH_FULL") else 10


def fvd(a: np.ndarray, b: np.ndarray) -> float:
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


@pytest.fixture(scope="module")
def feats(i3d):
    """I3D logits of a real-like set A, a second draw B, and perturbed copies of B."""
    net = I3DLogits()
    net.model = i3d  # reuse the session's network
    a, b = moving_square_videos(N, T, seed=0), moving_square_videos(N, T, seed=1)
    g = torch.Generator().manual_seed(0)
    sets = {
        "A": a, "B": b,
        "B+noise0.2": (b + 0.2 * torch.randn(b.shape, generator=g)).clamp(-1, 1),
        "B+noise0.6": (b + 0.6 * torch.randn(b.shape, generator=g)).clamp(-1, 1),
        "B shuffled": b[:, :, torch.randperm(T, generator=g)],
        "B frozen": b[:, :, :1].expand_as(b),
    }
    with torch.inference_mode():
        return {k: torch.cat([net(v[i:i + 6]) for i in range(0, N, 6)]).double().numpy() for k, v in sets.items()}


@pytest.mark.slow
def test_fvd_of_set_with_itself_is_zero(feats):
    # not exactly 0: with fewer clips than dimensions the covariance is singular and sqrtm inexact
    assert abs(fvd(feats["A"], feats["A"])) < 1e-6 * fvd(feats["A"], feats["B"]) + 1e-2


@pytest.mark.slow
def test_fvd_grows_with_perturbation(feats):
    base = fvd(feats["A"], feats["B"])
    light, heavy = fvd(feats["A"], feats["B+noise0.2"]), fvd(feats["A"], feats["B+noise0.6"])
    assert base < light < heavy, (base, light, heavy)
    assert fvd(feats["A"], feats["B shuffled"]) > base, fvd(feats["A"], feats["B shuffled"])
    assert fvd(feats["A"], feats["B frozen"]) > base, fvd(feats["A"], feats["B frozen"])
