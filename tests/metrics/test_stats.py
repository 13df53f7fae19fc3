"""Streaming float64 statistics equal numpy's mean/cov; serialisation round-trips."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vidsynth.metrics.stats import FeatureStats


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 17), min_size=1, max_size=8), seed=st.integers(0, 1000))
def test_streaming_equals_numpy(sizes, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(1000.0, 2.0, size=(sum(sizes) + 2, 5)).astype(np.float32)  # large offset, small spread
    stats = FeatureStats()
    for chunk in np.split(x, np.cumsum(sizes + [2])[:-1]):
        stats.update(chunk)
    x64 = x.astype(np.float64)
    assert stats.n == len(x)
    np.testing.assert_allclose(stats.mean, x64.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.cov, np.cov(x64, rowvar=False), rtol=1e-8, atol=1e-10)


def test_keep_features_and_roundtrip():
    import torch

    x = np.random.default_rng(0).normal(size=(10, 3))
    s = FeatureStats(keep_features=True)
    s.update(torch.from_numpy(x[:4]))
    s.update(x[4:])
    np.testing.assert_allclose(s.features, x, rtol=1e-6)
    t = FeatureStats.from_dict(s.to_dict())
    assert t.n == 10
    np.testing.assert_allclose(t.cov, s.cov)
    np.testing.assert_allclose(t.features, x, rtol=1e-6)
    with pytest.raises(ValueError):
        FeatureStats().features
