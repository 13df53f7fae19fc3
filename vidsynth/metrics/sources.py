"""Where clips come from: real clips sampled from a dataset, generated clips from a sampler or a
folder of video files. Each source yields float video batches ``[b, 3, T, H, W]`` in [-1, 1].

Real clip sampling (documented in docs/metrics.md): videos are visited in seeded random order
(a fresh permutation every pass, so each video is used about N / num_videos times); each clip
starts at a uniformly random frame such that all T frames fit; no flips.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from vidsynth.errors import DatasetError


def uint8_to_video(clips: torch.Tensor) -> torch.Tensor:
    """uint8 ``[B, 3, T, H, W]`` -> float in [-1, 1], as the reference code does (2 x / 255 - 1)."""
    return clips.float() / 127.5 - 1.0


def real_clip_keys(dataset, num: int, span: int, seed: int = 0) -> list[tuple[int, int]]:
    """``num`` (video_index, start) pairs: seeded permutations of the videos, uniform random starts.

    ``span``: source frames one clip covers. Uses ``dataset.num_frames(i)`` when the dataset offers
    it to draw the start uniformly from ``0 .. num_frames - span``; otherwise clips start at 0.
    """
    nvid = int(dataset.num_videos)
    if nvid == 0:
        raise DatasetError("the real dataset has no videos")
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(nvid) for _ in range(-(-num // nvid))])[:num]
    keys = []
    for v in order:
        length = dataset.num_frames(int(v)) if hasattr(dataset, "num_frames") else span
        keys.append((int(v), int(rng.integers(0, max(length - span, 0) + 1))))
    return keys


def _stack_clips(items) -> torch.Tensor:
    """DataLoader collate: [(uint8 clip [3, T, R, R], label), ...] -> uint8 [b, 3, T, R, R]."""
    return torch.stack([torch.as_tensor(clip) for clip, _ in items])


def iter_real(dataset, num: int, span: int, batch_size: int = 8, seed: int = 0,
              take: slice = slice(None), num_workers: int = 0) -> Iterator[torch.Tensor]:
    """Batches of ``num`` real clips, float in [-1, 1], ``[b, 3, T, R, R]``.

    ``span``: source frames a clip covers (for drawing starts); ``take``: frames to keep from each
    clip the dataset returns (e.g. ``slice(0, 128, 8)`` for a dataset that returns 128 frames).
    ``num_workers > 0`` decodes in DataLoader worker processes (datasets indexable by
    ``(video, start, flip)`` keys, like ClipDataset); the clips are the same either way.
    """
    keys = real_clip_keys(dataset, num, span, seed)
    batches = [[(v, s, False) for v, s in keys[i:i + batch_size]] for i in range(0, num, batch_size)]
    if num_workers > 0 and hasattr(dataset, "__getitem__"):
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches, num_workers=num_workers,
                                             collate_fn=_stack_clips)
    else:
        loader = (_stack_clips([dataset.clip(v, s, flip=f) for v, s, f in batch]) for batch in batches)
    for clips in loader:
        yield uint8_to_video(clips[:, :, take])  # uint8 [b, 3, T, R, R] -> float


def iter_sampler(sampler, num: int, frames: int, subsample: int = 1, batch_size: int = 8,
                 seed: int = 0) -> Iterator[torch.Tensor]:
    """Batches of ``num`` generated clips from ``sampler.sample(n, frames=, seed=, batch_size=)``.

    One ``sample`` call per batch (128-frame clips at 256^2 are 100 MB each); batch ``c`` uses seed
    ``seed * 1_000_003 + c`` so runs with different seeds never share noise.
    """
    done, c = 0, 0
    while done < num:
        n = min(batch_size, num - done)
        videos = sampler.sample(n, frames=frames, seed=seed * 1_000_003 + c, batch_size=batch_size)
        yield torch.as_tensor(videos)[:, :, :frames:subsample].float()
        done, c = done + n, c + 1


def list_video_files(folder: str | Path) -> list[Path]:
    from vidsynth.io import VIDEO_SUFFIXES

    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


def read_video_frames(path: Path, frames: int) -> np.ndarray:
    """The first ``frames`` frames of a video file as uint8 ``[T, H, W, 3]`` (PyAV)."""
    import av

    out = []
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                out.append(frame.to_ndarray(format="rgb24"))
                if len(out) == frames:
                    break
    except Exception as e:  # av.error.* are many classes
        raise DatasetError(f"cannot decode {path}: {e}") from e
    if len(out) < frames:
        raise DatasetError(f"{path} has {len(out)} frames; the metric needs {frames}")
    return np.stack(out)


def iter_folder(folder: str | Path, num: int, frames: int, subsample: int = 1, batch_size: int = 8, seed: int = 0) -> Iterator[torch.Tensor]:
    """Batches from the first ``frames`` frames of ``num`` video files (sorted by path) in ``folder``.

    ``seed`` is unused: the same files give the same clips in every run.
    """
    files = list_video_files(folder)
    if len(files) < num:
        raise DatasetError(f"{folder} holds {len(files)} video files; the metric needs {num} "
                           "(generate more, or lower the count with --num-fake)")
    for i in range(0, num, batch_size):
        batch = [torch.from_numpy(read_video_frames(p, frames)).permute(3, 0, 1, 2) for p in files[i:i + batch_size]]
        sizes = {tuple(b.shape) for b in batch}
        if len(sizes) > 1:
            raise DatasetError(f"videos in {folder} differ in size: {sorted(sizes)}")
        yield uint8_to_video(torch.stack(batch)[:, :, ::subsample])
