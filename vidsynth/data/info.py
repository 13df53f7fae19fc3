"""``vidsynth dataset info``: what a dataset holds (counts, sizes, lengths, fps, classes, skipped files)."""
from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from vidsynth.data.labels import resolve_labels_origin
from vidsynth.data.sources import open_source
from vidsynth.data.split import apply_split
from vidsynth.data.videos import DataWarning
from vidsynth.video.frame_rate import frame_rate, rate_to_json


def dataset_info(spec, labels=None, seed: int = 0, split=None) -> dict:
    """Summary of ``spec`` (only the videos of split file ``split``, if given) as a JSON-ready dict.
    Skipped files are listed, not warned about; ``labels_from`` says where the classes came from."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        source = apply_split(open_source(spec, min_frames=1, seed=seed), split)
        class_names, labs, origin = resolve_labels_origin(source, labels)
    n = len(source)
    lengths = np.array([source.num_frames(i) for i in range(n)], dtype=np.int64)
    builtin = str(spec).startswith("builtin:")
    if builtin:
        sizes, fps, kinds = {"any (rendered at the requested size)": n}, {"8": n}, {"procedural": n}
    elif not hasattr(source, "records"):  # images:PATH, every image a one-frame video (sizes not probed)
        sizes, fps = {"not probed (images)": n}, {"none (images)": n}
        kinds = Counter(source.name(i).rsplit(".", 1)[-1].lower() for i in range(n))
    else:
        sizes = Counter(f"{r.width}x{r.height}" for r in source.records)
        fps = Counter(_rate(r.fps) for r in source.records)
        kinds = Counter("frame folder" if r.frames else r.name.rsplit(".", 1)[-1].lower() for r in source.records)
    counts = Counter(labs)
    return {
        "spec": str(spec),
        "num_videos": n,
        "total_frames": int(lengths.sum()),
        "lengths": {"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())},
        "resolutions": dict(Counter(sizes).most_common()),
        "fps": dict(Counter(fps).most_common()),
        "formats": dict(Counter(kinds).most_common()),
        "classes": {name: counts[k] for k, name in enumerate(class_names)},
        "unlabeled": counts[-1] if class_names else n,
        "labels_from": origin,
        "skipped": [{"path": p, "reason": r} for p, r in source.skipped],
    }


def _rate(fps) -> str:
    """``8`` -> "8"; NTSC 29.97... -> "29.97 (30000/1001)": the exact rate, as the container stores it."""
    if fps is None:
        return "unknown"
    exact = rate_to_json(frame_rate(fps))
    return str(exact) if isinstance(exact, int) else f"{fps:.4g} ({exact})"


def format_info(info: dict) -> str:
    """The dict of :func:`dataset_info` as a few readable lines."""
    def hist(d, limit=8):
        items = list(d.items())
        text = ", ".join(f"{k} ({v})" for k, v in items[:limit])
        return text + (f", ... {len(items) - limit} more" if len(items) > limit else "")

    ln = info["lengths"]
    lines = [
        f"dataset      {info['spec']}",
        f"videos       {info['num_videos']}",
        f"frames       {info['total_frames']} in all; per video min {ln['min']}, median {ln['median']:g}, max {ln['max']}",
        f"resolutions  {hist(info['resolutions'])}",
        f"fps          {hist(info['fps'])}",
        f"formats      {hist(info['formats'])}",
    ]
    if info["classes"]:
        lines.append(f"classes      {len(info['classes'])}: {hist(info['classes'], 12)}"
                     + (f"; unlabeled {info['unlabeled']}" if info["unlabeled"] else ""))
    else:
        lines.append("classes      none (unlabeled)")
    lines.append(f"labels from  {info['labels_from']}")
    lines.append(f"skipped      {len(info['skipped'])}")
    lines += [f"  - {s['path']}: {s['reason']}" for s in info["skipped"]]
    return "\n".join(lines)
