"""Real clips for the metrics: which clips are drawn from a dataset, and batches of them.

Each batch is float ``[b, 3, T, R, R]`` in [-1, 1]. Generated clips come from fake_sources.py.

Real clip sampling (documented in docs/metrics.md), ``clip_sampling``:
- ``per_video``: videos are visited in seeded random order (a fresh permutation every pass, so
  each video is used about N / num_videos times); each clip starts at a uniformly random frame
  such that the whole clip fits; no flips. Every video weighs the same (StyleGAN-V, MoCoGAN-HD).
- ``per_clip``: N clip windows drawn uniformly without replacement among all windows of all
  videos (with replacement only when there are fewer than N), so long videos weigh by their
  length, as the official DIGAN and TATS loaders do.
``class_balanced``: labelled data is split by class; class c gets ``N // K`` clips (the first
``N % K`` classes one more), each drawn from that class's videos by the rule above.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from vidsynth.errors import ConfigError, DatasetError


def uint8_to_video(clips: torch.Tensor) -> torch.Tensor:
    """uint8 ``[B, 3, T, H, W]`` -> float in [-1, 1], as the reference code does (2 x / 255 - 1)."""
    return clips.float() / 127.5 - 1.0


def _length(dataset, v: int, span: int) -> int:
    return dataset.num_frames(int(v)) if hasattr(dataset, "num_frames") else span


def real_clip_keys(dataset, num: int, span: int, seed: int = 0, clip_sampling: str = "per_video",
                   videos=None) -> list[tuple[int, int]]:
    """``num`` (video_index, start) pairs drawn by ``clip_sampling`` from ``videos`` (default: all).

    ``span``: source frames one clip covers. Uses ``dataset.num_frames(i)`` when the dataset offers
    it to draw the start uniformly from ``0 .. num_frames - span``; otherwise clips start at 0.
    """
    pool = np.arange(int(dataset.num_videos)) if videos is None else np.asarray(videos, dtype=np.int64)
    if len(pool) == 0:
        raise DatasetError("the real dataset has no videos")
    rng = np.random.default_rng(seed)
    if clip_sampling == "per_clip":
        from vidsynth.data.clips import window_to_clip, windows_per_video

        windows = windows_per_video([_length(dataset, v, span) for v in pool], span)
        total = int(windows.sum())
        picks = rng.choice(total, num, replace=total < num) if total else np.zeros(num, np.int64)
        where, starts = window_to_clip(windows, picks)
        return [(int(pool[w]), int(s)) for w, s in zip(where, starts)]
    if clip_sampling != "per_video":
        raise ConfigError(f"clip_sampling must be per_video or per_clip, got {clip_sampling!r}")
    order = np.concatenate([rng.permutation(pool) for _ in range(-(-num // len(pool)))])[:num]
    keys = []
    for v in order:
        keys.append((int(v), int(rng.integers(0, max(_length(dataset, v, span) - span, 0) + 1))))
    return keys


def video_labels(dataset) -> np.ndarray:
    """Label of every video (-1: none), from ``dataset.label(i)``; all -1 when the dataset has none."""
    n = int(dataset.num_videos)
    if not getattr(dataset, "class_names", None) or not hasattr(dataset, "label"):
        return np.full(n, -1, np.int64)
    return np.array([dataset.label(i) for i in range(n)], dtype=np.int64)


def class_quotas(num: int, num_classes: int) -> list[int]:
    """Split ``num`` clips over classes: ``num // K`` each, the first ``num % K`` classes one more."""
    return [num // num_classes + (1 if c < num % num_classes else 0) for c in range(num_classes)]


def balanced_clip_keys(dataset, num: int, span: int, seed: int = 0, clip_sampling: str = "per_video"
                       ) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Class-balanced keys (see module docstring) and the class of each key ``[num]``, grouped by class."""
    labels = video_labels(dataset)
    classes = [c for c in range(len(getattr(dataset, "class_names", []) or [])) if (labels == c).any()]
    if not classes:
        raise ConfigError("class-balanced sampling and --per-class need labelled real data (a labels.json at the "
                          "dataset root, --labels folders, or --labels FILE)")
    keys, key_labels = [], []
    for c, quota in zip(classes, class_quotas(num, len(classes))):
        if quota:
            keys += real_clip_keys(dataset, quota, span, seed * 100_003 + c, clip_sampling, np.flatnonzero(labels == c))
            key_labels += [c] * quota
    return keys, np.array(key_labels, dtype=np.int64)


def _stack_clips(items) -> torch.Tensor:
    """DataLoader collate: [(uint8 clip [3, T, R, R], label), ...] -> uint8 [b, 3, T, R, R]."""
    return torch.stack([torch.as_tensor(clip) for clip, _ in items])


def iter_real(dataset, num: int, span: int, batch_size: int = 8, seed: int = 0,
              take: slice = slice(None), num_workers: int = 0, keys=None) -> Iterator[torch.Tensor]:
    """Batches of ``num`` real clips, float in [-1, 1], ``[b, 3, T, R, R]``.

    ``keys``: the (video, start) pairs to read (default: ``real_clip_keys(dataset, num, span, seed)``).
    ``span``: source frames a clip covers (for drawing starts); ``take``: frames to keep from each
    clip the dataset returns (e.g. ``slice(0, 128, 8)`` for a dataset that returns 128 frames).
    ``num_workers > 0`` decodes in DataLoader worker processes (datasets indexable by
    ``(video, start, flip)`` keys, like ClipDataset) while the feature network runs on the previous
    batches; the clips are the same either way.
    """
    keys = real_clip_keys(dataset, num, span, seed) if keys is None else keys
    batches = [[(v, s, False) for v, s in keys[i:i + batch_size]] for i in range(0, len(keys), batch_size)]
    if num_workers > 0 and hasattr(dataset, "__getitem__"):
        from vidsynth.data.clips import WorkerInit

        loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches, num_workers=num_workers,
                                             collate_fn=_stack_clips, worker_init_fn=WorkerInit(seed, 0, 0),
                                             prefetch_factor=4)
    else:
        loader = (_stack_clips([dataset.clip(v, s, flip=f) for v, s, f in batch]) for batch in batches)
    for clips in loader:
        yield uint8_to_video(clips[:, :, take])  # uint8 [b, 3, T, R, R] -> float
