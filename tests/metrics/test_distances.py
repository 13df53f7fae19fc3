"""Frechet distance against closed forms; KVD/MMD unbiasedness and a naive reference."""
import numpy as np
import pytest

from vidsynth.metrics.fvd import frechet_distance
from vidsynth.metrics.kvd import kernel_distance, mmd2


def test_frechet_diagonal_closed_form():
    rng = np.random.default_rng(0)
    d = 7
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = rng.uniform(0.1, 3, d), rng.uniform(0.1, 3, d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-10)


def test_frechet_rotated_gaussians_closed_form():
    """Same diagonal covariances expressed in a random orthonormal basis: the distance is unchanged."""
    rng = np.random.default_rng(1)
    d = 5
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s1, s2 = rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = frechet_distance(q @ mu1, q @ np.diag(s1) @ q.T, q @ mu2, q @ np.diag(s2) @ q.T)
    assert got == pytest.approx(expected, rel=1e-8)


def test_frechet_identical_is_zero_and_one_dimensional():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 20))
    mu, cov = x.mean(0), np.cov(x, rowvar=False)
    assert abs(frechet_distance(mu, cov, mu, cov)) < 1e-8
    # 1-D: (m1 - m2)^2 + (sd1 - sd2)^2
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)


def naive_mmd2_unbiased(x, y):
    k = lambda a, b: (a @ b / len(a) + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kyy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return kxx + kyy - 2 * kxy


def test_mmd2_matches_naive_loop():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(9, 4)), rng.normal(0.5, 1, size=(7, 4))
    assert mmd2(x, y) == pytest.approx(naive_mmd2_unbiased(x, y), rel=1e-10)


def test_kvd_unbiased_on_equal_distributions():
    """Mean over many draws ~ 0 for the unbiased estimator; the biased one is clearly positive."""
    rng = np.random.default_rng(4)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = rng.normal(size=(20, 8)), rng.normal(size=(20, 8))
        unbiased.append(mmd2(x, y))
        biased.append(mmd2(x, y, unbiased=False))
    unbiased, biased = np.array(unbiased), np.array(biased)
    stderr = unbiased.std() / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 4 * stderr
    assert biased.mean() > 10 * stderr + abs(unbiased.mean())
    # and it detects a shift
    x, y = rng.normal(size=(200, 8)), rng.normal(0.5, 1, size=(200, 8))
    assert mmd2(x, y) > 20 * stderr


def test_kernel_distance_subsets_close_to_full():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 6)), rng.normal(0.3, 1, size=(300, 6))
    full = kernel_distance(x, y)
    sub = kernel_distance(x, y, num_subsets=50, subset_size=100)
    assert sub == pytest.approx(full, rel=0.3)


def test_large_sets_fall_back_to_subsets(monkeypatch):
    import vidsynth.metrics.kvd as kvd

    monkeypatch.setattr(kvd, "MAX_FULL", 50)
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(80, 4)), rng.normal(size=(80, 4))
    assert kvd.kernel_distance(x, y) == pytest.approx(kvd.kernel_distance(x, y, num_subsets=100, subset_size=1000))
