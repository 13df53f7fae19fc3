"""Training clips: :func:`open_dataset` -> :class:`ClipDataset`, deterministic batch keys, and
:func:`iterate_batches` (a prefetching loader that yields the same batches for any worker count).

A *key* ``(video_index, start, flip)`` names one clip: frames ``start, start+stride, ...`` of one video,
centre-cropped, resized to ``R x R`` and optionally mirrored left-right. A fourth element
``positions`` (clip frame numbers, e.g. ``(3, 11)``) asks for only those frames of the clip: a trainer
that looks at 2 frames of each clip (DIGAN) has only those 2 decoded. Batch ``step`` is a pure
function of ``(seed, step)``, which makes resuming exact and sharding across ranks trivial.
"""
from __future__ import annotations

import random
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from vidsynth.data.images import PREFIX as IMAGES_PREFIX
from vidsynth.data.images import holds_videos
from vidsynth.data.labels import resolve_labels_origin
from vidsynth.data.sources import open_source
from vidsynth.data.split import apply_split
from vidsynth.data.videos import DataWarning
from vidsynth.errors import DatasetError, VidsynthError
from vidsynth.utils.seeding import seed_stream, stream_seed

# ClipDataset[key] tries this many videos (the asked one, then the next ones) before giving up.
FALLBACK_TRIES = 4
# How a clip is drawn: "per_video" picks a video uniformly, then a start in it (every video weighs the
# same); "per_clip" picks uniformly among all clip windows of all videos, so a video weighs by its
# number of windows (length - span + 1), as the official DIGAN / StyleGAN-V / TATS training loaders do.
CLIP_SAMPLING = ("per_video", "per_clip")


def check_clip_sampling(mode: str) -> str:
    if mode not in CLIP_SAMPLING:
        raise DatasetError(f"clip_sampling must be one of {', '.join(CLIP_SAMPLING)}, got {mode!r}")
    return mode


def windows_per_video(lengths, span: int) -> np.ndarray:
    """Number of clip windows (valid starts) of each video: ``max(length - span + 1, 0)``."""
    return np.maximum(np.asarray(lengths, dtype=np.int64) - int(span) + 1, 0)


def window_to_clip(windows: np.ndarray, r) -> tuple[np.ndarray, np.ndarray]:
    """Window numbers ``r`` (0 .. windows.sum() - 1, all videos' windows in order) -> (video, start)."""
    ends = np.cumsum(windows)                                  # [V]: one past each video's last window
    r = np.asarray(r, dtype=np.int64)
    videos = np.searchsorted(ends, r, side="right")
    return videos, r - (ends[videos] - windows[videos])


class ClipDataset(Dataset):
    """Fixed-size clips (uint8 ``[3, frames, R, R]``) from the videos of a source.

    Videos shorter than ``(frames - 1) * stride + 1`` were skipped when the source was opened.
    Picklable (DataLoader workers): files are opened lazily in each process.
    ``len(dataset)`` is the number of videos; index it with keys, not integers.
    """

    def __init__(self, source, resolution: int, frames: int, stride: int = 1, xflip: bool = False, labels=None,
                 clip_sampling: str = "per_video"):
        self.source, self.clip_sampling = source, check_clip_sampling(clip_sampling)
        self.resolution, self.frames, self.stride, self.xflip = _size(resolution), int(frames), int(stride), bool(xflip)
        self.span = (self.frames - 1) * self.stride + 1  # source frames one clip covers
        self.class_names, self._labels, self.label_origin = resolve_labels_origin(source, labels)
        self._lengths = np.array([source.num_frames(i) for i in range(len(source))], dtype=np.int64)

    def __repr__(self):
        return (f"ClipDataset('{self.source.spec}', videos={self.num_videos}, resolution={self.resolution}, "
                f"frames={self.frames}, stride={self.stride}, xflip={self.xflip}, classes={len(self.class_names)})")

    @property
    def num_videos(self) -> int:
        return len(self.source)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of every file left out when the dataset was opened."""
        return self.source.skipped

    def __len__(self):
        return self.num_videos

    def video_name(self, video_index: int) -> str:
        return self.source.name(video_index)

    def num_frames(self, video_index: int) -> int:
        return int(self._lengths[video_index])

    def label(self, video_index: int) -> int:
        return self._labels[video_index]

    def clip(self, video_index: int, start: int, flip: bool = False, positions=None) -> tuple[torch.Tensor, int]:
        """uint8 ``[3, frames, R, R]`` clip starting at frame ``start``, and the video's label (-1 if none).

        ``positions``: only these frames of the clip (numbers in ``0 .. frames - 1``, repeats allowed), as
        ``[3, len(positions), R, R]``; only they are decoded."""
        i, start = int(video_index), int(start)
        if not 0 <= i < self.num_videos:
            raise IndexError(f"video index {i} out of range for {self.num_videos} videos")
        last_start = self.num_frames(i) - self.span
        if not 0 <= start <= last_start:
            raise IndexError(f"clip start {start} out of range for video {i} "
                             f"({self.num_frames(i)} frames, clips span {self.span}): use 0..{last_start}")
        positions = np.arange(self.frames) if positions is None else np.asarray(positions, dtype=np.int64)
        if positions.size == 0 or positions.min() < 0 or positions.max() >= self.frames:
            raise IndexError(f"clip frame positions {positions.tolist()} out of range 0..{self.frames - 1}")
        indices = start + self.stride * positions
        x = self.source.read(i, indices, self.resolution)  # [T, R, R, 3] (T = len(positions))
        if flip:
            x = x[:, :, ::-1]
        # transpose in numpy: a small strided copy in torch can wait on its thread pool for milliseconds
        clip = torch.from_numpy(np.ascontiguousarray(x.transpose(3, 0, 1, 2)))  # [3, T, R, R]
        return clip, self._labels[i]

    def __getitem__(self, key) -> tuple[torch.Tensor, int]:
        """``clip(*key)``, except that a video which fails to read (corrupt part way, deleted or changed
        since the dataset was opened) is replaced by the clip at the same relative position of the next
        readable video, with a :class:`DataWarning` naming the file. This is what the training loader
        uses, so one bad file mid-run costs one clip, not the run; after ``FALLBACK_TRIES`` failures in a
        row (a missing disk, say) the :class:`DatasetError` is raised."""
        video_index, start, flip, positions = (*key, None) if len(key) == 3 else key
        try:
            return self.clip(video_index, start, flip, positions)
        except DatasetError as e:
            error = e
        for k in range(1, min(FALLBACK_TRIES, self.num_videos)):
            j = (int(video_index) + k) % self.num_videos
            room = self.num_frames(j) - self.span  # same relative start in the other video
            other = round(int(start) / max(self.num_frames(video_index) - self.span, 1) * room)
            try:
                out = self.clip(j, min(max(other, 0), room), flip, positions)
            except DatasetError:
                continue
            warnings.warn(f"{error}; using a clip of '{self.video_name(j)}' instead", DataWarning, stacklevel=2)
            return out
        raise error

    def clip_keys(self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1) -> list[tuple]:
        """Keys ``(video_index, start, flip)`` of this rank's share of global batch number ``step``.

        ``batch_size`` is the GLOBAL batch size (it must divide by ``world_size``); rank ``r`` gets
        items ``[r * b, (r + 1) * b)`` with ``b = batch_size // world_size``, so the ranks together
        cover the global batch exactly, whatever the world size. ``per_video`` sampling draws videos
        uniformly (with replacement), then starts uniformly among valid ones; ``per_clip`` draws clip
        windows uniformly over all videos. Flips with probability 1/2 when ``xflip``.
        A pure function of its arguments and the dataset's videos.
        """
        if batch_size < 1 or world_size < 1 or batch_size % world_size:
            raise ValueError(f"global batch_size {batch_size} must be a positive multiple of world_size {world_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} out of range for world_size {world_size}")
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, int(step) % 2**63]))
        if self.clip_sampling == "per_clip":
            windows = windows_per_video(self._lengths, self.span)
            videos, starts = window_to_clip(windows, np.floor(rng.random(batch_size) * windows.sum()).astype(np.int64))
        else:
            videos = rng.integers(0, self.num_videos, batch_size)
            starts = np.floor(rng.random(batch_size) * (self._lengths[videos] - self.span + 1)).astype(np.int64)
        flips = rng.random(batch_size) < 0.5  # drawn even without xflip: the rest stays the same
        flips &= self.xflip
        per = batch_size // world_size
        part = slice(rank * per, (rank + 1) * per)
        return [(int(v), int(s), bool(f)) for v, s, f in zip(videos[part], starts[part], flips[part])]


def _size(resolution) -> int | tuple[int, int]:
    """``R`` -> ``R``; ``(H, W)`` -> ``(H, W)`` for rectangular clips (``R`` when ``H == W``)."""
    if np.ndim(resolution) == 0:
        return int(resolution)
    h, w = (int(v) for v in resolution)
    return h if h == w else (h, w)


def open_dataset(spec, resolution: int, frames: int, stride: int = 1, xflip: bool = False, seed: int = 0,
                 labels=None, split=None, clip_sampling: str = "per_video") -> ClipDataset:
    """Open ``spec`` for training: ``builtin:NAME``, a folder of videos or frame folders, or a ``.zip`` of either.

    ``resolution``: ``R`` for ``R x R`` clips or ``(H, W)`` for rectangular ones (centre crop to that aspect
    ratio, see ``preprocess.crop_resize``). ``seed`` picks the built-in datasets' videos (file datasets ignore
    it). ``labels``: ``None``/``"auto"`` (a ``labels.json`` or ``dataset.json`` at the root, if any),
    ``"folders"``, ``"dataset.json"``, ``"none"`` or a path to a JSON file. ``split``: a split file keeping
    only the videos it lists (``data/split.py``).
    ``clip_sampling``: ``"per_video"`` or ``"per_clip"`` (see ``CLIP_SAMPLING``).
    Raises :class:`DatasetError` when nothing usable is found.
    """
    for name, value in (("resolution", min(np.atleast_1d(resolution))), ("frames", frames), ("stride", stride)):
        if int(value) < 1:
            raise DatasetError(f"{name} must be >= 1, got {value}")
    check_clip_sampling(clip_sampling)
    span = (int(frames) - 1) * int(stride) + 1
    source = open_source(spec, min_frames=span, seed=seed, need=f"{frames} frames at stride {stride}")
    source = apply_split(source, split)
    return ClipDataset(source, resolution, frames, stride, xflip, labels, clip_sampling)


class BatchKeys:
    """Batch sampler for a DataLoader: the key lists of steps ``start_step, start_step + 1, ...``.

    ``frames_of_step(step)``, when given, says which frames of each clip step ``step`` uses (``[b, k]``
    clip frame numbers for this rank's ``b`` clips); the keys then carry them, so only those are decoded.
    It runs here, in the main process, ahead of the step (the DataLoader prefetches)."""

    def __init__(self, dataset: ClipDataset, batch_size: int, seed: int, start_step: int = 0,
                 rank: int = 0, world_size: int = 1, num_steps: int | None = None, frames_of_step=None):
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.start_step, self.rank, self.world_size, self.num_steps = start_step, rank, world_size, num_steps
        self.frames_of_step = frames_of_step
        dataset.clip_keys(start_step, batch_size, seed, rank, world_size)  # validate arguments now

    def keys(self, step: int) -> list[tuple]:
        """The keys of step ``step`` (with each clip's frame positions when ``frames_of_step`` is set)."""
        keys = self.dataset.clip_keys(step, self.batch_size, self.seed, self.rank, self.world_size)
        if self.frames_of_step is None:
            return keys
        positions = np.asarray(self.frames_of_step(step), dtype=np.int64)   # [b, k]
        if positions.shape[0] != len(keys):
            raise ValueError(f"frames_of_step({step}) gave {positions.shape[0]} rows for {len(keys)} clips")
        return [(*key, tuple(int(p) for p in row)) for key, row in zip(keys, positions)]

    def __iter__(self):
        step = self.start_step
        while self.num_steps is None or step < self.start_step + self.num_steps:
            yield self.keys(step)
            step += 1

    def __len__(self):
        if self.num_steps is None:
            raise TypeError("an endless BatchKeys has no length")
        return self.num_steps


def collate_clips(items) -> tuple[torch.Tensor, torch.Tensor]:
    """``[(clip [3, T, R, R], label), ...]`` -> ``(uint8 [B, 3, T, R, R], int64 [B])``."""
    clips, labels = zip(*items)
    return torch.stack(clips), torch.tensor(labels, dtype=torch.int64)


def worker_seed(seed: int, start_step: int, rank: int, worker_id: int) -> int:
    """The seed of loader worker ``worker_id`` (torch, numpy and ``random`` in that process).

    A pure function of the run's seed, the step the loader started at, the rank and the worker, so a
    resumed run seeds its workers as any rerun from that step would. Clip content does not depend on it
    (the keys fix every clip); it pins whatever else a decoder or user transform might draw."""
    return stream_seed(seed, start_step, rank, worker_id) % 2**32   # numpy takes 32-bit seeds


class WorkerInit:
    """``worker_init_fn``: one torch thread per worker, and the worker seeded by :func:`worker_seed`."""

    def __init__(self, seed: int, start_step: int, rank: int):
        self.seed, self.start_step, self.rank = seed, start_step, rank

    def __call__(self, worker_id: int) -> None:
        torch.set_num_threads(1)  # workers run side by side; one thread each avoids oversubscription
        s = worker_seed(self.seed, self.start_step, self.rank, worker_id)
        torch.manual_seed(s)
        np.random.seed(s)
        random.seed(s)


def iterate_batches(dataset: ClipDataset, batch_size: int, seed: int, start_step: int = 0, rank: int = 0,
                    world_size: int = 1, num_workers: int = 0, num_steps: int | None = None,
                    frames_of_step=None, pin_memory: bool = False):
    """Yield ``(uint8 [B, 3, T, R, R], int64 labels [B])`` for steps ``start_step, start_step + 1, ...``.

    ``batch_size`` is global; each rank gets ``B = batch_size // world_size``. ``num_workers`` processes
    decode and resize (persistent for the whole iteration, each seeded by :func:`worker_seed`) and
    prefetch two batches each; the batches are identical for any ``num_workers`` (they come back in order
    and the keys fix the content). ``frames_of_step(step) -> [B, k]``: only those clip frames are decoded
    and ``T = k`` (see :class:`BatchKeys`). ``pin_memory``: page-locked batches for fast copies to a CUDA
    device (only useful, and only allowed, when CUDA is present). Endless unless ``num_steps`` is given.
    """
    sampler = BatchKeys(dataset, batch_size, seed, start_step, rank, world_size, num_steps, frames_of_step)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=num_workers, collate_fn=collate_clips,
                        worker_init_fn=WorkerInit(seed, start_step, rank) if num_workers else None,
                        prefetch_factor=2 if num_workers else None, persistent_workers=num_workers > 0,
                        pin_memory=bool(pin_memory) and torch.cuda.is_available(),
                        generator=seed_stream(seed, start_step, rank))  # not the global RNG: the step's draws stay put
    try:
        yield from loader
    except VidsynthError as e:
        raise type(e)(_worker_message(e)) from None


def _worker_message(error: Exception) -> str:
    """The original message of an error re-raised from a DataLoader worker.

    PyTorch re-raises a worker's exception as ``type(e)("Caught ... Original Traceback ...: msg")``; the
    CLI prints user errors as one line, so keep only what our code said."""
    text = str(error)
    if "Original Traceback" not in text:
        return text
    marker = f"{type(error).__module__}.{type(error).__qualname__}: "
    return text.rsplit(marker, 1)[-1].strip() if marker in text else text.strip().splitlines()[-1]


def open_image_dataset(spec: str, resolution: int, xflip: bool = False, seed: int = 0, split=None):
    """A :class:`ClipDataset` of one-frame samples ``[3, 1, R, R]`` for image-generator training.

    ``images:PATH`` or a folder/zip without video files: each image is one sample (drawn uniformly).
    ``builtin:NAME`` or a video dataset: each sample is a random frame of a random video.
    """
    spec = str(spec)
    if not spec.startswith(IMAGES_PREFIX) and not holds_videos(spec):
        spec = IMAGES_PREFIX + spec
    return open_dataset(spec, resolution=resolution, frames=1, stride=1, xflip=xflip, seed=seed, labels="none",
                        split=split)
