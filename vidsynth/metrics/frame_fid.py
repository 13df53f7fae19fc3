"""Per-frame FID over time: for each frame index t, the Frechet distance between frame t of the
generated clips and real frames (all frames of the real clips pooled).

``ffid`` (protocols.py) pools every generated frame into one number; this keeps the frame index, so
a generator whose later frames drift away from the image manifold (MoCoGAN-HD's motion generator
unrolled past its training length) shows a rising curve. Features: ``features.I3DFrameFeatures``
(the per-frame static I3D, 1024-d) unless another per-frame network is given. Each index uses the
same number of generated frames, so the values compare with each other (with few clips they are all
biased upward by about the same amount), not with FIDs computed from other counts.
``fid_bootstrap_std`` is the noise of one such value (resampling the generated frames), from which
a margin between two frame indices is stated (bench/frame_curve.py).
"""
from __future__ import annotations

import numpy as np
import torch

from vidsynth.metrics.fvd import frechet_distance
from vidsynth.metrics.stats import FeatureStats


def frame_features(network, videos: torch.Tensor, batch_size: int = 4) -> np.ndarray:
    """``[N, 3, T, H, W]`` -> per-frame features ``[N, T, D]`` float64."""
    with torch.inference_mode():
        return np.concatenate([network(part).double().cpu().numpy() for part in videos.split(batch_size)])


def reference_stats(real_feats: np.ndarray) -> FeatureStats:
    """Mean and covariance of real per-frame features ``[N, T, D]`` with every frame pooled (N * T samples)."""
    ref = FeatureStats()
    ref.update(real_feats.reshape(-1, real_feats.shape[-1]))
    return ref


def fid_to_reference(ref: FeatureStats, feats: np.ndarray) -> float:
    """FID of a set of frame features ``[M, D]`` against the pooled real frames ``ref``."""
    if len(feats) < 2:
        raise ValueError("a FID needs at least 2 generated frames")
    feats = np.asarray(feats, np.float64)
    if len(feats) - 1 >= feats.shape[1]:
        stats = FeatureStats()
        stats.update(feats)
        return float(frechet_distance(ref.mean, ref.cov, stats.mean, stats.cov))
    # Fewer frames than dimensions: the generated covariance is X^T X / (M - 1) with X the centred frames [M, D],
    # and tr sqrt(S_ref X^T X) / sqrt(M - 1) = sum of sqrt(eigenvalues of X S_ref X^T / (M - 1)) (AB and BA share
    # their non-zero eigenvalues): an M x M problem instead of a D x D sqrtm (the bootstrap calls this 20 times).
    x = feats - feats.mean(axis=0)
    cov = x.T @ x / (len(feats) - 1)
    eig = np.linalg.eigvalsh(x @ ref.cov @ x.T / (len(feats) - 1))
    diff = ref.mean - feats.mean(axis=0)
    return float(diff @ diff + np.trace(ref.cov) + np.trace(cov) - 2.0 * np.sqrt(np.clip(eig, 0, None)).sum())


def fid_per_frame(ref: FeatureStats, fake_feats: np.ndarray) -> list[float]:
    """``[M, T, D]`` generated features -> the FID of every frame index (M samples each) against ``ref``."""
    return [fid_to_reference(ref, fake_feats[:, t]) for t in range(fake_feats.shape[1])]


def fid_bootstrap_std(ref: FeatureStats, feats: np.ndarray, draws: int = 20, seed: int = 0) -> float:
    """Standard deviation of ``fid_to_reference(ref, feats)`` over ``draws`` resamplings (with replacement)
    of the ``[M, D]`` generated frames: the noise of one per-frame FID at this M (the real side, pooled
    over many more frames, is held fixed)."""
    rng = np.random.default_rng(seed)
    values = [fid_to_reference(ref, feats[rng.integers(0, len(feats), len(feats))]) for _ in range(draws)]
    return float(np.std(values, ddof=1))


def frame_fid_over_time(real: torch.Tensor, fake: torch.Tensor, network=None, device="cpu",
                        batch_size: int = 4) -> list[float]:
    """FID of generated frame t against the pooled real frames, for every t of ``fake``.

    real: ``[N, 3, T, H, W]`` in [-1, 1] (every frame is one real sample: N * T of them);
    fake: ``[M, 3, T', H, W]`` in [-1, 1] (index t has M samples; T' may exceed T, e.g. an unrolled clip).
    network: per-frame features ``[B, 3, T, H, W] -> [B, T, D]`` (default: the static I3D, 1024-d).
    """
    if len(fake) < 2 or real.shape[0] * real.shape[2] < 2:
        raise ValueError("a per-frame FID needs at least 2 generated clips and 2 real frames")
    if network is None:
        from vidsynth.metrics.features import I3DFrameFeatures

        network = I3DFrameFeatures(device)
    ref = reference_stats(frame_features(network, real, batch_size))   # [N * T, D]: frames pooled
    return fid_per_frame(ref, frame_features(network, fake, batch_size))
