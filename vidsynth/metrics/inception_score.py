"""Video Inception Score: exp(E_x KL(p(y|x) || p(y))) from a classifier's class probabilities.

The literature (TGAN, TGANv2, MoCoGAN-HD, DIGAN on UCF-101) uses a C3D fine-tuned on UCF-101 whose
weights are not on the package registry, so vidsynth takes a user-supplied TorchScript classifier
(see features.VideoClassifier) and records which one a score used. Scores from different
classifiers are not comparable.
"""
from __future__ import annotations

import numpy as np


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """``probs [N, K]`` -> (mean, std) of IS over ``splits`` equal parts (10, as the original IS)."""
    p = np.asarray(probs, np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(np.clip(part, 1e-12, None)) - np.log(np.clip(marginal, 1e-12, None))), axis=1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))
