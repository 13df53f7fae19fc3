"""utils/files.py: the one set of atomic writers and the JSON-lines logs (the full-disk and read-only
cases are in tests/robustness)."""
import json

import numpy as np

from vidsynth.utils.files import append_jsonl, atomic_target, atomic_write_text, read_jsonl


def test_append_jsonl_writes_every_record_and_read_skips_a_torn_line(tmp_path):
    log = tmp_path / "metrics.jsonl"
    append_jsonl(log, {"metric": "fvd", "kimg": 1}, {"metric": "kvd", "kimg": 1})  # one write for both
    append_jsonl(log, {"metric": "fvd", "kimg": 2})
    with open(log, "a") as f:
        f.write('{"metric": "fv')                                           # a crash mid-line
    assert read_jsonl(log) == [{"metric": "fvd", "kimg": 1}, {"metric": "kvd", "kimg": 1}, {"metric": "fvd", "kimg": 2}]
    assert [json.loads(line)["metric"] for line in log.read_text().splitlines()[:3]] == ["fvd", "kvd", "fvd"]


def test_atomic_target_is_a_hidden_sibling(tmp_path):
    out = tmp_path / "sub" / "video.mp4"
    tmp = atomic_target(out)
    assert tmp.parent == out.parent and tmp.name.startswith(".video.mp4.") and tmp.suffix == ".mp4"
    assert tmp.exists() and tmp != out


def test_cache_entries_are_written_whole(tmp_path, monkeypatch):
    """metrics/cache.py writes its statistics through atomic_write: an entry is there whole or not at all."""
    from vidsynth.metrics import cache
    from vidsynth.metrics.stats import FeatureStats

    monkeypatch.setenv("VIDSYNTH_CACHE", str(tmp_path))
    feats = np.arange(12, dtype=np.float64).reshape(4, 3)
    stats = FeatureStats()
    stats.update(feats)
    path = cache.save_stats("k", stats, labels=[0, 1, 0, 1])
    loaded = cache.load_stats("k")
    assert np.array_equal(loaded.labels, [0, 1, 0, 1]) and np.array_equal(loaded.mean, stats.mean)  # exact: npz
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    atomic_write_text(path, "torn")                                          # an unreadable entry is recomputed
    assert cache.load_stats("k") is None


def test_written_files_get_the_umask_mode_or_keep_the_replaced_files_mode(tmp_path):
    """mkstemp creates files 0o600: without the chmod every model, sample and report of a run would be
    unreadable to the user's group on a shared machine."""
    import os
    import stat

    old = os.umask(0o027)
    try:
        new = atomic_write_text(tmp_path / "new.json", "{}")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640        # what open() gives under umask 027
        streamed = atomic_target(tmp_path / "video.mp4")
        assert stat.S_IMODE(streamed.stat().st_mode) == 0o640
        os.chmod(new, 0o604)                                    # a mode the user chose is kept on rewrite
        atomic_write_text(new, "[]")
        assert stat.S_IMODE(new.stat().st_mode) == 0o604 and new.read_text() == "[]"
    finally:
        os.umask(old)
