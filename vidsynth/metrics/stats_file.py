"""Portable files of real-data statistics and of extracted features.

``vidsynth metrics stats DATA --out real.npz`` writes the real side of one or more metrics; a later
``vidsynth metrics --real-stats real.npz`` (on this or any other machine) uses it instead of the data.
Each entry is keyed by a *record*: the dataset's content fingerprint (cache.py: relative names,
sizes and hashed bytes, no absolute path or mtime) plus every protocol detail that changes the
features (resolution, frames, subsampling, real stride, clip sampling, class balance, count, seed,
network, resize). An entry is used only when its record equals the one the metric needs; otherwise
the error names the fields that differ.

Layout (plain ``np.savez``, no pickles): ``meta`` (a JSON string: format, version, entries with their
record and class names), ``features_<i>`` float32 ``[N, D]`` and, for class-balanced entries,
``labels_<i>`` int64 ``[N]``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidsynth.errors import ConfigError

FORMAT, VERSION = "vidsynth-real-stats", 1


def _savez(path: Path, arrays: dict) -> Path:
    from vidsynth.utils.files import atomic_write

    def write(tmp: Path):
        with open(tmp, "wb") as f:  # a file object: np.savez would append .npz to a path
            np.savez(f, **arrays)

    return atomic_write(path, write)


def write_stats_file(path, entries: list[dict]) -> Path:
    """``entries``: dicts with ``record`` (dict), ``features`` ``[N, D]``, ``labels`` (``[N]`` or None),
    ``class_names`` (list). Written atomically."""
    arrays, meta = {}, {"format": FORMAT, "version": VERSION, "entries": []}
    for i, e in enumerate(entries):
        arrays[f"features_{i}"] = np.asarray(e["features"], dtype=np.float32)
        if e.get("labels") is not None:
            arrays[f"labels_{i}"] = np.asarray(e["labels"], dtype=np.int64)
        meta["entries"].append({"record": e["record"], "class_names": list(e.get("class_names") or [])})
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return _savez(Path(path), arrays)


def read_stats_file(path) -> list[dict]:
    """The entries of a file written by :func:`write_stats_file` (ConfigError if it is not one)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"--real-stats {path}: no such file (write one with `vidsynth metrics stats DATA --out FILE`)")
    try:
        with np.load(path, allow_pickle=False) as d:
            meta = json.loads(str(d["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}")
            return [{"record": m["record"], "class_names": m.get("class_names", []),
                     "features": d[f"features_{i}"].astype(np.float64),
                     "labels": d[f"labels_{i}"] if f"labels_{i}" in d.files else None}
                    for i, m in enumerate(meta["entries"])]
    except ConfigError:
        raise
    except Exception as e:  # not an npz, no meta, mangled JSON, missing arrays
        raise ConfigError(f"--real-stats {path}: not a vidsynth statistics file ({type(e).__name__}: {e}); "
                          "write one with `vidsynth metrics stats DATA --out FILE`") from None


def find_entry(entries: list[dict], record: dict, path, check_data: bool) -> dict:
    """The entry whose record equals ``record`` (the dataset fingerprint only when ``check_data``)."""
    def differences(entry_record):
        keys = sorted(set(record) | set(entry_record))
        return [k for k in keys if (k != "data" or check_data) and record.get(k) != entry_record.get(k)]

    best = None
    for e in entries:
        diff = differences(e["record"])
        if not diff:
            return e
        if best is None or len(diff) < len(best[1]):
            best = (e, diff)
    detail = ", ".join(f"{k}: file {best[0]['record'].get(k)!r}, needed {record.get(k)!r}" for k in best[1]
                       if k != "data") if best else "it holds no entries"
    if best and "data" in best[1]:
        detail = "it was computed from different data" + (f"; also {detail}" if detail else "")
    raise ConfigError(f"--real-stats {path} does not match this metric ({detail}); recompute it with "
                      "`vidsynth metrics stats DATA --out FILE` and the same options as this evaluation")


def write_features_file(path, arrays: dict, meta: dict) -> Path:
    """``--save-features``: every extracted feature array (real and per run fake) plus a JSON ``meta``."""
    out = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    out["meta"] = np.array(json.dumps(meta, sort_keys=True, default=str))
    return _savez(Path(path), out)
