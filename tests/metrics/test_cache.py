"""The real-statistics cache key changes with the data and the protocol; writes are atomic."""
import os
import shutil

import numpy as np

from vidsynth.metrics.cache import dataset_fingerprint, load_stats, save_stats, stats_key, stats_path
from vidsynth.metrics.stats import FeatureStats

PROTO = dict(resolution=64, frames=16, subsample=1, num=2048, seed=0, network="i3d", resize="tf1_bilinear")


def test_fingerprint_follows_content_not_place_or_mtime(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.mp4").write_bytes(b"x" * 10)
    (data / "sub" / "b.mp4").write_bytes(b"y" * 10)
    f0 = dataset_fingerprint(data)
    assert f0 == dataset_fingerprint(str(data))
    shutil.copytree(data, tmp_path / "elsewhere")                 # another machine / folder: same key
    assert dataset_fingerprint(tmp_path / "elsewhere") == f0
    st = (data / "a.mp4").stat()
    os.utime(data / "a.mp4", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched, same bytes: same key
    assert dataset_fingerprint(data) == f0
    (data / "sub" / "b.mp4").write_bytes(b"z" * 10)               # same size, new content
    f1 = dataset_fingerprint(data)
    (data / "sub" / "b.mp4").write_bytes(b"z" * 11)               # size
    f2 = dataset_fingerprint(data)
    (data / "c.mp4").write_bytes(b"z")                            # new file
    f3 = dataset_fingerprint(data)
    (data / "c.mp4").rename(data / "d.mp4")                       # renamed
    f4 = dataset_fingerprint(data)
    assert len({f0, f1, f2, f3, f4}) == 5
    assert dataset_fingerprint("builtin:shapes") != dataset_fingerprint("builtin:scene")
    assert dataset_fingerprint(tmp_path / "missing") is None


def test_fingerprint_samples_start_middle_and_end_of_big_files(tmp_path):
    from vidsynth.metrics.cache import SAMPLE_BYTES

    size = 10 * SAMPLE_BYTES
    blob = bytearray(size)
    (tmp_path / "v.mp4").write_bytes(bytes(blob))
    seen = {dataset_fingerprint(tmp_path)}
    for offset in (0, size // 2, size - 1):  # a byte changed in each sampled block changes the key
        changed = bytearray(blob)
        changed[offset] = 1
        (tmp_path / "v.mp4").write_bytes(bytes(changed))
        seen.add(dataset_fingerprint(tmp_path))
    assert len(seen) == 4


def test_fingerprint_walks_symlinked_folders_like_the_loader(tmp_path):
    """Issue 14 item 2: data behind a symlinked folder; replacing the videos must change the key."""
    from vidsynth.data.storage import DirStorage

    target = tmp_path / "store"
    target.mkdir()
    (target / "v0.mp4").write_bytes(b"old" * 100)
    data = tmp_path / "data"
    data.mkdir()
    (data / "videos").symlink_to(target, target_is_directory=True)
    assert DirStorage(data).list_files() == ["videos/v0.mp4"]   # what the loader reads
    before = dataset_fingerprint(data)
    (target / "v0.mp4").write_bytes(b"new" * 100)
    assert dataset_fingerprint(data) != before


def test_zip_fingerprint_uses_member_crcs(tmp_path):
    import zipfile

    def make(name, payload):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("v/000.png", payload)
        return dataset_fingerprint(tmp_path / name)

    assert make("a.zip", b"abc") == make("b.zip", b"abc") != make("c.zip", b"abd")


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


def test_local_hash_memo_skips_unchanged_files_and_rehashes_changed_ones(tmp_path, monkeypatch):
    import time

    import vidsynth.metrics.cache as cache

    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (data / name).write_bytes(name.encode() * 50)
    hashed = []
    real = cache.sampled_hash
    monkeypatch.setattr(cache, "sampled_hash", lambda p, size: hashed.append(p.name) or real(p, size))
    first = dataset_fingerprint(data)
    assert sorted(hashed) == ["a.mp4", "b.mp4"]
    hashed.clear()
    assert dataset_fingerprint(data) == first and sorted(hashed) == ["a.mp4", "b.mp4"]  # racy: written < 2 s ago
    monkeypatch.setattr(cache, "RACY_NS", 0)  # as if the files were old: the memo is trusted
    dataset_fingerprint(data)
    hashed.clear()
    assert dataset_fingerprint(data) == first and hashed == []
    st = (data / "b.mp4").stat()
    (data / "b.mp4").write_bytes(b"x" * st.st_size)                        # same size ...
    os.utime(data / "b.mp4", ns=(st.st_atime_ns, st.st_mtime_ns))         # ... and mtime put back
    time.sleep(0.01)
    assert dataset_fingerprint(data) != first and hashed == ["b.mp4"]      # ctime gave it away
