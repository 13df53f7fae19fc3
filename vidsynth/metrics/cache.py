"""Real-data feature statistics, computed once per dataset and protocol and cached on disk.

The cache key is a SHA-256 of a JSON description of everything that changes the statistics:
- the dataset identity: for a path, every file's relative path, size and mtime (ns) (a zip or a
  single file: its own name, size and mtime); for ``builtin:NAME`` the spec and vidsynth version;
  for a dataset object, its ``fingerprint`` (or ``spec``) attribute, else no caching;
- resolution, frames per clip, subsampling, number of clips, sampling seed;
- the feature network name, the resize rule, and a format version.
Files live in ``$VIDSYNTH_CACHE/stats`` (default ``~/.cache/vidsynth/stats``), written to a temp
file and moved into place with ``os.replace`` so a crash never leaves a half-written entry.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from vidsynth.metrics.i3d_weights import cache_dir
from vidsynth.metrics.stats import FeatureStats

FORMAT_VERSION = 1


def dataset_fingerprint(real) -> str | None:
    """A string that changes whenever the real data changes, or None if we cannot tell."""
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
    h = hashlib.sha256(str(path.resolve()).encode())
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        st = p.stat()
        h.update(f"\n{p.relative_to(path) if path.is_dir() else p.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def stats_key(fingerprint: str, **protocol) -> str:
    """Hex key of (dataset fingerprint, protocol details)."""
    desc = json.dumps({"data": fingerprint, "format": FORMAT_VERSION, **protocol}, sort_keys=True, default=str)
    return hashlib.sha256(desc.encode()).hexdigest()[:24]


def stats_path(key: str) -> Path:
    return cache_dir() / "stats" / f"real-{key}.npz"


def load_stats(key: str) -> FeatureStats | None:
    path = stats_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            return FeatureStats.from_dict({k: d[k] for k in d.files})
    except Exception:  # unreadable entry: recompute and overwrite
        return None


def save_stats(key: str, stats: FeatureStats) -> Path:
    """Write atomically (temp file in the same folder + os.replace)."""
    path = stats_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **stats.to_dict())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
