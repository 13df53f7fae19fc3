"""The real-statistics cache key changes with the data and the protocol; writes are atomic."""
import os

import numpy as np

from vidsynth.metrics.cache import dataset_fingerprint, load_stats, save_stats, stats_key, stats_path
from vidsynth.metrics.stats import FeatureStats

PROTO = dict(resolution=64, frames=16, subsample=1, num=2048, seed=0, network="i3d", resize="tf1_bilinear")


def test_fingerprint_changes_with_files(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.mp4").write_bytes(b"y" * 10)
    f0 = dataset_fingerprint(tmp_path)
    assert f0 == dataset_fingerprint(str(tmp_path))
    (tmp_path / "sub" / "b.mp4").write_bytes(b"y" * 11)          # size
    f1 = dataset_fingerprint(tmp_path)
    st = (tmp_path / "a.mp4").stat()
    os.utime(tmp_path / "a.mp4", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # mtime
    f2 = dataset_fingerprint(tmp_path)
    (tmp_path / "c.mp4").write_bytes(b"z")                       # new file
    f3 = dataset_fingerprint(tmp_path)
    assert len({f0, f1, f2, f3}) == 4
    assert dataset_fingerprint("builtin:shapes") != dataset_fingerprint("builtin:scene")
    assert dataset_fingerprint(tmp_path / "missing") is None


def test_key_changes_with_protocol():
    base = stats_key("data", **PROTO)
    assert base == stats_key("data", **PROTO)
    for change in (dict(resolution=128), dict(frames=128), dict(subsample=8), dict(num=256),
                   dict(seed=1), dict(network="other"), dict(resize="torch_bilinear")):
        assert stats_key("data", **{**PROTO, **change}) != base, change
    assert stats_key("data2", **PROTO) != base


def test_atomic_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSYNTH_CACHE", str(tmp_path))
    s = FeatureStats(keep_features=True)
    s.update(np.random.default_rng(0).normal(size=(8, 3)))
    key = stats_key("d", **PROTO)
    assert load_stats(key) is None
    path = save_stats(key, s)
    assert path == stats_path(key) and path.parent == tmp_path / "stats"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    np.testing.assert_allclose(load_stats(key).cov, s.cov)
    path.write_bytes(b"garbage")  # a corrupt entry is treated as missing
    assert load_stats(key) is None
