"""Everything a report shows, read from a run folder (missing files just leave fields empty).

Run folder contents (written by ``vidsynth/training/loop.py``): ``config.json``, ``stats.jsonl``
(one line per tick: ``loss/*``, ``D/*``, ``kimg``, ``time``, ``sec_per_kimg``...),
``snapshots.jsonl``, ``samples-<kimg>kimg.mp4``, ``samples-latest.gif|png``, ``reals.mp4`` and
``metrics.jsonl`` (``vidsynth metrics``: one JSON line per result, with the metric name and value).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from vidsynth.training.run_dir import require_run_folder
from vidsynth.utils.files import read_jsonl

_SAMPLE_RE = re.compile(r"samples-(\d+(?:\.\d+)?)kimg\.mp4$")
_NOT_METRICS = {"kimg", "step", "time", "snapshot", "model", "metric", "value", "name", "num_videos", "frames",
                "seed", "timestamp", "n", "path"}


@dataclass
class RunData:
    path: Path
    config: dict = field(default_factory=dict)
    stats: list[dict] = field(default_factory=list)
    snapshots: list[dict] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)      # normalised: {"metric", "value", "kimg"?}
    samples: list[tuple[float, Path]] = field(default_factory=list)   # (kimg, mp4), oldest first
    reals: Path | None = None
    latest_gif: Path | None = None
    latest_png: Path | None = None

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def latest_sample(self) -> Path | None:
        return self.samples[-1][1] if self.samples else None


def load_run(run_dir: str | Path) -> RunData:
    path = require_run_folder(run_dir)
    data = RunData(path=path, config=json.loads((path / "config.json").read_text()))
    data.stats = read_jsonl(path / "stats.jsonl")
    data.snapshots = read_jsonl(path / "snapshots.jsonl")
    data.metrics = normalise_metrics(read_jsonl(path / "metrics.jsonl"))
    for p in path.glob("samples-*kimg.mp4"):
        m = _SAMPLE_RE.search(p.name)
        if m:
            data.samples.append((float(m.group(1)), p))
    data.samples.sort()
    for attr, name in (("reals", "reals.mp4"), ("latest_gif", "samples-latest.gif"),
                       ("latest_png", "samples-latest.png")):
        if (path / name).is_file():
            setattr(data, attr, path / name)
    return data


def normalise_metrics(records: list[dict]) -> list[dict]:
    """Accept ``{"metric": name, "value": v, ...}`` lines and lines holding several ``{name: value}``;
    return one ``{"metric", "value", "kimg" (or None)}`` per number."""
    out = []
    for r in records:
        kimg = r.get("kimg")
        if kimg is None and isinstance(r.get("model"), str):           # e.g. ".../samples-000050.000kimg"
            m = re.search(r"(\d+(?:\.\d+)?)kimg", r["model"])
            kimg = float(m.group(1)) if m else None
        name = r.get("metric", r.get("name"))
        if name is not None and isinstance(r.get("value"), (int, float)):
            out.append({"metric": str(name), "value": float(r["value"]), "kimg": kimg})
            continue
        for k, v in r.items():
            if k not in _NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append({"metric": k, "value": float(v), "kimg": kimg})
    return out


def timing_summary(stats: list[dict]) -> dict:
    """Totals from ``stats.jsonl``: kimg, wall time, kimg/s overall, median seconds per kimg."""
    if not stats:
        return {}
    kimg = max(s.get("kimg", 0) for s in stats)
    total = max(s.get("time", 0) for s in stats)
    per = sorted(s["sec_per_kimg"] for s in stats if isinstance(s.get("sec_per_kimg"), (int, float)))
    out = {"ticks": len(stats), "kimg": kimg, "total_time_s": total,
           "kimg_per_s": kimg / total if total > 0 else None,
           "median_sec_per_kimg": per[len(per) // 2] if per else None,
           "steps": max((s.get("step", 0) for s in stats), default=0)}
    peaks = [s["peak_mem_gb"] for s in stats if isinstance(s.get("peak_mem_gb"), (int, float))]
    if peaks:
        out["peak_mem_gb"] = max(peaks)
    return out
