"""Kernel distances (KVD for videos, KID for frames): unbiased MMD^2 with a polynomial kernel.

k(x, y) = (x . y / d + 1)^3 (degree 3, gamma 1/d, coef0 1), as in KID (Binkowski et al. 2018) and
KVD (Unterthiner et al. 2018). The unbiased estimator drops the diagonal of the within-set kernel
matrices, so its expectation is exactly 0 when both sets come from the same distribution (it can
be negative). StyleGAN-V averages it over 100 random subsets of 1000; that has the same
expectation and more variance. ``num_subsets=0`` (our default) uses all samples at once, up to
``MAX_FULL`` samples per set; beyond that (e.g. per-frame KID over 2048 x 16 frames, whose kernel
matrices would not fit in memory) it falls back to 100 subsets of 1000, like KID.
"""
from __future__ import annotations

import numpy as np

MAX_FULL = 4096


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[m, d]``, ``[n, d]`` -> ``[m, n]`` kernel matrix (x . y / d + 1)^3."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2(x, y, unbiased: bool = True) -> float:
    """Squared MMD between samples ``x [m, d]`` and ``y [n, d]`` with the polynomial kernel."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    m, n = len(x), len(y)
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    if unbiased:
        if m < 2 or n < 2:
            raise ValueError("unbiased MMD needs at least 2 samples per set")
        within = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    else:
        within = kxx.mean() + kyy.mean()
    return float(within - 2.0 * kxy.mean())


def kernel_distance(x, y, num_subsets: int = 0, subset_size: int = 1000, seed: int = 0) -> float:
    """KVD/KID: unbiased MMD^2, on all samples (``num_subsets=0``) or averaged over random subsets."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if num_subsets <= 0:
        if max(len(x), len(y)) <= MAX_FULL:
            return mmd2(x, y)
        num_subsets = 100
    rng = np.random.default_rng(seed)
    m = min(len(x), len(y), subset_size)
    return float(np.mean([mmd2(x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)])
                          for _ in range(num_subsets)]))
