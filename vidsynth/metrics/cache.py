"""Real-data feature statistics, computed once per dataset and protocol and cached on disk.

The cache key is a SHA-256 of a JSON description of everything that changes the statistics:
- the dataset *content* (:func:`dataset_fingerprint`), portable between machines: for a folder,
  every file's path relative to the folder, its size and a SHA-256 of sampled bytes (the first,
  middle and last 64 KiB: the whole file when smaller); for a zip, every member's name, size and
  CRC-32; for ``builtin:NAME`` the spec and vidsynth version; for a dataset object its
  ``fingerprint`` (or ``spec``) attribute, else no caching. No absolute path or mtime enters it, so
  a copy of the data elsewhere has the same key, and replacing a file's content changes it. (Each
  machine memoises the sampled hashes by size, mtime, ctime and inode in
  ``$VIDSYNTH_CACHE/file-hashes``, so a large folder is read once; a file whose stamp changed, or
  that was written within 2 s of the last walk, is hashed again.)
  Folders are walked by the data layer's own walker (``DirStorage.list_files``, which follows
  symbolic links), so the fingerprint always covers exactly the files the loader reads;
- resolution, frames per clip, strides, clip sampling, number of clips, sampling seed;
- the feature network name, the resize rule, and a format version.
Files live in ``$VIDSYNTH_CACHE/stats`` (default ``~/.cache/vidsynth/stats``), written to a temp
file and moved into place (``utils.files.atomic_write``) so a crash never leaves a half-written entry.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from vidsynth.errors import VidsynthError
from vidsynth.metrics.i3d_weights import cache_dir
from vidsynth.metrics.stats import FeatureStats
from vidsynth.utils.files import atomic_write, atomic_write_text

FORMAT_VERSION = 2
SAMPLE_BYTES = 64 << 10  # bytes hashed at each of a file's start, middle and end


def sampled_hash(path: Path, size: int) -> str:
    """SHA-256 of a file's first, middle and last ``SAMPLE_BYTES`` (the whole file when it is small)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size <= 3 * SAMPLE_BYTES:
            h.update(f.read())
        else:
            for offset in (0, (size - SAMPLE_BYTES) // 2, size - SAMPLE_BYTES):
                f.seek(offset)
                h.update(f.read(SAMPLE_BYTES))
    return h.hexdigest()


def dataset_fingerprint(real) -> str | None:
    """A machine-independent string that changes whenever the real data changes, or None if we cannot tell."""
    if not isinstance(real, (str, os.PathLike)):
        for attr in ("fingerprint", "spec"):
            value = getattr(real, attr, None)
            if value:
                return dataset_fingerprint(value) if attr == "spec" else str(value)
        return None
    spec = str(real)
    if spec.startswith("builtin:"):
        import vidsynth

        return f"{spec}|vidsynth {vidsynth.__version__}"
    path = Path(spec).expanduser()
    if not path.exists():
        return None
    h = hashlib.sha256()
    if path.is_dir():
        from vidsynth.data.storage import DirStorage

        storage = DirStorage(path)
        known, trusted_before = _load_local_hashes(path)
        fresh = {}
        for name in storage.list_files():  # the loader's walker: follows links, skips hidden files
            file = storage.path(name)
            st = file.stat()
            stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            entry = known.get(name)
            reuse = entry and entry[:4] == stamp and st.st_ctime_ns < trusted_before
            digest = entry[4] if reuse else sampled_hash(file, st.st_size)
            fresh[name] = [*stamp, digest]
            h.update(f"\n{name}|{st.st_size}|{digest}".encode())
        if fresh != known:
            _save_local_hashes(path, fresh)
    elif path.suffix.lower() == ".zip":
        from vidsynth.data.zipdata import ZipStorage

        members = ZipStorage(path).members()
        for name in sorted(members):
            info = members[name]
            h.update(f"\n{name}|{info.file_size}|{info.CRC:08x}".encode())
    else:
        size = path.stat().st_size
        h.update(f"{path.suffix.lower()}|{size}|{sampled_hash(path, size)}".encode())
    return h.hexdigest()


def _hashes_path(root: Path) -> Path:
    """This machine's memo of a folder's per-file sampled hashes (keyed by the folder's real path)."""
    return cache_dir() / "file-hashes" / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]}.json"


# A memoised hash is trusted only for files whose ctime is this much older than the memo: a file
# rewritten within one coarse filesystem clock tick of the last walk keeps its stamp ("racy" files,
# as git calls them), so those are hashed again.
RACY_NS = 2_000_000_000


def _load_local_hashes(root: Path) -> tuple[dict, int]:
    """``({name: [size, mtime_ns, ctime_ns, inode, sampled hash]}, trusted_before_ns)`` from an earlier walk
    on this machine. A speed-up only: a file whose stamp changed (ctime changes on every write and
    cannot be set back) is hashed again, and the key never holds these stamps."""
    try:
        data = json.loads(_hashes_path(root).read_text())
        return dict(data["files"]), int(data["written_ns"]) - RACY_NS
    except (OSError, ValueError, KeyError, TypeError):
        return {}, 0


def _save_local_hashes(root: Path, hashes: dict) -> None:
    import time

    try:
        atomic_write_text(_hashes_path(root), json.dumps({"written_ns": time.time_ns(), "files": hashes}))
    except VidsynthError:  # a read-only cache only costs the re-hashing next time
        pass


def stats_key(fingerprint: str, **protocol) -> str:
    """Hex key of (dataset fingerprint, protocol details)."""
    desc = json.dumps({"data": fingerprint, "format": FORMAT_VERSION, **protocol}, sort_keys=True, default=str)
    return hashlib.sha256(desc.encode()).hexdigest()[:24]


def stats_path(key: str) -> Path:
    return cache_dir() / "stats" / f"real-{key}.npz"


def load_stats(key: str) -> FeatureStats | None:
    """The cached entry, or None. ``stats.labels``: class of each feature row (None when not class-split)."""
    path = stats_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            stats = FeatureStats.from_dict({k: d[k] for k in d.files})
            stats.labels = d["labels"] if "labels" in d.files else None
            return stats
    except Exception:  # unreadable entry: recompute and overwrite
        return None


def save_stats(key: str, stats: FeatureStats, labels=None) -> Path:
    """Write the entry atomically (``utils.files.atomic_write``)."""
    arrays = stats.to_dict()
    if labels is not None:
        arrays["labels"] = np.asarray(labels, dtype=np.int64)

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: savez would append ".npz" to the temporary name
            np.savez(f, **arrays)

    return atomic_write(stats_path(key), save)
