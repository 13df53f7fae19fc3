"""Streaming float64 mean and covariance of feature vectors (plus the raw features when needed).

Features arrive in batches; we merge per-batch statistics with Chan et al.'s pairwise update, which
stays accurate in float64 even when the mean is large compared with the spread. ``cov`` is the
unbiased sample covariance (divides by n - 1), as ``np.cov`` and the reference FVD/FID code use.
"""
from __future__ import annotations

import numpy as np


class FeatureStats:
    """Accumulates ``[N, D]`` features batch by batch. ``keep_features`` also stores them (for KVD/KID)."""

    def __init__(self, keep_features: bool = False):
        self.n = 0
        self._mean = None   # [D] float64
        self._m2 = None     # [D, D] float64: sum of outer products of deviations from the mean
        self.keep_features = keep_features
        self._chunks: list[np.ndarray] = []

    def update(self, feats) -> None:
        """Add a batch ``[B, D]`` (numpy or torch)."""
        x = np.asarray(feats.detach().cpu() if hasattr(feats, "detach") else feats, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"features must be [B, D], got {x.shape}")
        if len(x) == 0:
            return
        if self.keep_features:
            self._chunks.append(x.astype(np.float32) if x.dtype != np.float32 else x)
        b, mean_b = len(x), x.mean(axis=0)
        dev = x - mean_b
        m2_b = dev.T @ dev
        if self.n == 0:
            self.n, self._mean, self._m2 = b, mean_b, m2_b
            return
        n = self.n + b
        delta = mean_b - self._mean
        self._mean = self._mean + delta * (b / n)
        self._m2 = self._m2 + m2_b + np.outer(delta, delta) * (self.n * b / n)
        self.n = n

    @property
    def mean(self) -> np.ndarray:
        return self._mean

    @property
    def cov(self) -> np.ndarray:
        if self.n < 2:
            raise ValueError("need at least 2 samples for a covariance")
        return self._m2 / (self.n - 1)

    @property
    def features(self) -> np.ndarray:
        """All features ``[N, D]`` (float64); only if ``keep_features``."""
        if not self.keep_features:
            raise ValueError("features were not kept (FeatureStats(keep_features=True))")
        return np.concatenate(self._chunks).astype(np.float64)

    def to_dict(self) -> dict:
        out = {"n": np.int64(self.n), "mean": self._mean, "m2": self._m2}
        if self.keep_features:
            out["features"] = np.concatenate(self._chunks).astype(np.float32)
        return out

    @classmethod
    def from_dict(cls, d) -> "FeatureStats":
        s = cls(keep_features="features" in d)
        s.n, s._mean, s._m2 = int(d["n"]), np.asarray(d["mean"]), np.asarray(d["m2"])
        if s.keep_features:
            s._chunks = [np.asarray(d["features"])]
        return s
