"""Generated ("fake") clips for the metrics, from whatever the user has.

:func:`open_fake` turns any of these into a :class:`FakeSource`:
- a sampler (``vidsynth.load(run)``, or any object with ``sample(n, frames=, seed=, batch_size=)``
  returning float ``[n, 3, T, H, W]`` in [-1, 1]); a run or exported-model folder is loaded first;
- a dataset spec the data layer reads (vidsynth/data): a folder or ``.zip`` of video files or of
  frame folders (natural order), or ``builtin:NAME``. The first frames of each video are used,
  videos in natural path order, frames at their own size (never cropped or stretched);
- a ``.npz`` / ``.npy`` file, or a numpy array / torch tensor, of uint8 ``[N, T, H, W, 3]``
  (``vidsynth generate --out x.npz`` writes one; TATS saves ``.npy`` this way);
- a Python iterable or generator (API only) of uint8 ``[T, H, W, 3]`` / ``[B, T, H, W, 3]`` arrays or
  float ``[3, T, H, W]`` / ``[B, 3, T, H, W]`` tensors in [-1, 1].

Every source yields exactly ``num`` clips (the last batch is cut), float ``[b, 3, T', H, W]``.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from vidsynth.errors import ConfigError, DatasetError, VidsynthError
from vidsynth.metrics.sources import uint8_to_video

ARRAY_SUFFIXES = (".npz", ".npy")
BUILTIN_RESOLUTION = 64  # size builtin:NAME fakes are rendered at unless a resolution is given


class FakeSource:
    """Interface: ``description``, ``size`` ``(H, W)``, ``train_stride`` (None: unknown),
    ``class_names``, ``reusable`` (can be read again for another run), and ``batches``."""

    description = ""
    train_stride: int | None = None
    class_names: list[str] = []
    reusable = True

    @property
    def size(self) -> tuple[int, int]:
        raise NotImplementedError

    def batches(self, num: int, frames: int, step: int, batch_size: int, seed: int,
                label: int | None = None) -> Iterator[torch.Tensor]:
        """``num`` clips of ``frames`` frames taken every ``step``-th generated frame, in batches."""
        raise NotImplementedError


def _need(frames: int, step: int) -> int:
    """Generated frames a clip of ``frames`` frames every ``step``-th frame covers."""
    return (frames - 1) * step + 1


def _frame_error(where: str, have: int, frames: int, step: int) -> DatasetError:
    return DatasetError(f"{where} has {have} frames, but the metric takes {frames} frames every {step}-th "
                        f"({_need(frames, step)} frames): generate longer videos (vidsynth generate --frames "
                        f"{_need(frames, step)}), or use a metric with fewer frames / a smaller --fake-stride")


class SamplerFake(FakeSource):
    """Clips drawn from a sampler; batch ``c`` of a run with seed ``s`` uses seed ``s * 1_000_003 + c``."""

    def __init__(self, sampler, description: str | None = None):
        self.sampler = sampler
        self.description = description or type(sampler).__name__
        meta = getattr(sampler, "metadata", None) or {}
        self.train_stride = int(meta["train_stride"]) if meta.get("train_stride") else None
        self.class_names = list(getattr(sampler, "class_names", []) or [])

    @property
    def size(self) -> tuple[int, int]:
        res = getattr(self.sampler, "resolution", None)
        if res:
            return int(res), int(res)
        shape = self.sampler.sample(1, frames=1, seed=0, batch_size=1).shape
        return int(shape[-2]), int(shape[-1])

    def batches(self, num, frames, step, batch_size, seed, label=None):
        done, c = 0, 0
        kwargs = {} if label is None else {"label": label}
        while done < num:
            n = min(batch_size, num - done)
            videos = self.sampler.sample(n, frames=frames * step, seed=seed * 1_000_003 + c, batch_size=batch_size,
                                         **kwargs)
            yield torch.as_tensor(videos)[:, :, ::step][:, :, :frames].float()
            done, c = done + n, c + 1


class DatasetFake(FakeSource):
    """The first frames of the first ``num`` videos (natural order) of a folder / zip / builtin spec."""

    def __init__(self, spec: str, labels=None, render_resolution: int | None = None):
        from vidsynth.data.labels import resolve_labels
        from vidsynth.data.sources import open_source

        self.spec, self.description = str(spec), str(spec)
        # builtin:NAME videos have no size of their own: render them at this one (files: None = as stored)
        self.render = (render_resolution or BUILTIN_RESOLUTION) if self.spec.startswith("builtin:") else None
        self.source = open_source(self.spec, min_frames=1, seed=0)
        if len(self.source) == 0:
            raise DatasetError(f"--fake {spec}: no videos found")
        self.num_workers = 0  # DataLoader processes decoding the videos (set by evaluate)
        self.class_names, self._labels = resolve_labels(self.source, labels)
        self._labels = np.asarray(self._labels, dtype=np.int64)

    @property
    def size(self) -> tuple[int, int]:
        meta = self.source.metadata(0)
        if meta.get("height") and meta.get("width"):
            return int(meta["height"]), int(meta["width"])
        return tuple(self.source.read(0, [0], self.render).shape[1:3])

    def videos(self, label: int | None) -> np.ndarray:
        return np.arange(len(self.source)) if label is None else np.flatnonzero(self._labels == label)

    def batches(self, num, frames, step, batch_size, seed, label=None):
        pool = self.videos(label)
        if len(pool) < num:
            which = "" if label is None else f" of class '{self.class_names[label]}'"
            raise DatasetError(f"{self.spec} holds {len(pool)} videos{which}; the metric needs {num} "
                               "(generate more, or lower the count with --num-fake)")
        reader = _FirstFrames(self.source, self.spec, np.arange(frames) * step, self.render, frames, step)
        batches = [list(pool[i:min(i + batch_size, num)]) for i in range(0, num, batch_size)]
        if self.num_workers > 0:  # decode in worker processes while the feature network runs
            from vidsynth.data.clips import WorkerInit

            loader = torch.utils.data.DataLoader(reader, batch_sampler=batches, num_workers=self.num_workers,
                                                 collate_fn=list, worker_init_fn=WorkerInit(seed, 0, 0), prefetch_factor=4)
        else:
            loader = ([reader[v] for v in batch] for batch in batches)
        try:
            for batch in loader:
                sizes = {tuple(b.shape[1:3]) for b in batch}
                if len(sizes) > 1:
                    raise DatasetError(f"videos in {self.spec} differ in size: {sorted(sizes)}; the metric needs one "
                                       "size (re-encode them, e.g. vidsynth dataset convert ... -r R)")
                yield uint8_to_video(torch.stack(batch).permute(0, 4, 1, 2, 3))  # [b, T, H, W, 3] -> [b, 3, T, H, W]
        except VidsynthError as e:
            if self.num_workers > 0:  # the worker's message, without DataLoader's traceback text
                from vidsynth.data.clips import _worker_message

                raise type(e)(_worker_message(e)) from None
            raise


class _FirstFrames(torch.utils.data.Dataset):
    """Video index -> its frames ``indices`` as uint8 ``[T, H, W, 3]`` (picklable for DataLoader workers)."""

    def __init__(self, source, spec, indices, render, frames, step):
        self.source, self.spec, self.indices, self.render = source, spec, indices, render
        self.frames, self.step = frames, step

    def __len__(self):
        return len(self.source)

    def __getitem__(self, v):
        have = self.source.num_frames(int(v))
        if have < self.indices[-1] + 1:
            raise _frame_error(f"'{self.source.name(int(v))}' in {self.spec}", have, self.frames, self.step)
        return torch.from_numpy(np.ascontiguousarray(self.source.read(int(v), self.indices, self.render)))


def _as_video_batch(item, where: str) -> torch.Tensor:
    """One item of an array / iterable source -> float ``[b, 3, T, H, W]`` in [-1, 1]."""
    x = item if isinstance(item, torch.Tensor) else torch.from_numpy(np.array(item))  # a copy: memmaps are read-only
    if x.dtype == torch.uint8:
        if x.ndim == 4:
            x = x[None]
        if x.ndim != 5 or x.shape[-1] not in (1, 3):
            raise DatasetError(f"{where}: uint8 videos must be [N, T, H, W, 3] (or one [T, H, W, 3]); "
                               f"got {tuple(x.shape)}")
        x = x.expand(*x.shape[:-1], 3) if x.shape[-1] == 1 else x
        return uint8_to_video(x.permute(0, 4, 1, 2, 3))
    if x.is_floating_point():
        if x.ndim == 4:
            x = x[None]
        if x.ndim != 5 or x.shape[1] != 3:
            raise DatasetError(f"{where}: float videos must be [N, 3, T, H, W] in [-1, 1] (or one [3, T, H, W]); "
                               f"got {tuple(x.shape)}")
        return x.float()
    raise DatasetError(f"{where}: expected uint8 [N, T, H, W, 3] or float [N, 3, T, H, W] videos, got {x.dtype}")


class ArrayFake(FakeSource):
    """Videos in one array (uint8 ``[N, T, H, W, 3]`` or float ``[N, 3, T, H, W]``), e.g. from a .npz/.npy file."""

    def __init__(self, array, description: str):
        self.array, self.description = array, description
        probe = _as_video_batch(array[:1], description)
        self._size = tuple(probe.shape[-2:])
        self._frames = int(probe.shape[2])

    @classmethod
    def from_file(cls, path: Path) -> "ArrayFake":
        try:
            if path.suffix.lower() == ".npy":
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                with np.load(path, allow_pickle=False) as d:
                    names = list(d.files)
                    name = "videos" if "videos" in names else (names[0] if len(names) == 1 else None)
                    if name is None:
                        raise DatasetError(f"{path}: holds arrays {names}; name the videos array 'videos'")
                    array = d[name]
        except DatasetError:
            raise
        except Exception as e:  # BadZipFile, ValueError (pickled objects), OSError
            raise DatasetError(f"cannot read {path}: {type(e).__name__}: {e}") from None
        if array.dtype != np.uint8 or array.ndim != 5:
            raise DatasetError(f"{path}: expected uint8 videos [N, T, H, W, 3], got {array.dtype} {array.shape} "
                               "(convert floats in [0, 1] with (x * 255).round().astype(np.uint8))")
        return cls(array, str(path))

    @property
    def size(self):
        return self._size

    def batches(self, num, frames, step, batch_size, seed, label=None):
        if len(self.array) < num:
            raise DatasetError(f"{self.description} holds {len(self.array)} videos; the metric needs {num} "
                               "(generate more, or lower the count with --num-fake)")
        if self._frames < _need(frames, step):
            raise _frame_error(f"the videos of {self.description}", self._frames, frames, step)
        for i in range(0, num, batch_size):
            x = _as_video_batch(self.array[i:min(i + batch_size, num)], self.description)
            yield x[:, :, ::step][:, :, :frames]


class IterableFake(FakeSource):
    """Videos from a Python iterable or generator (re-batched to ``batch_size``)."""

    def __init__(self, iterable, description: str | None = None):
        self.description = description or type(iterable).__name__
        self.reusable = iter(iterable) is not iterable  # a list can be read again, a generator once
        self._iterable = iterable
        first = next(iter(iterable), None) if self.reusable else next(iterable, None)
        if first is None:
            raise DatasetError(f"{self.description}: the iterable yielded no videos")
        first = _as_video_batch(first, self.description)
        self._size = tuple(first.shape[-2:])
        self._pending = None if self.reusable else first
        self._used = False

    @property
    def size(self):
        return self._size

    def _items(self):
        if self.reusable:
            return iter(self._iterable)
        if self._used:
            raise ConfigError(f"{self.description} is a one-shot iterator and was used by an earlier run or metric: "
                              "pass a list (or a sampler) for several runs or metrics")
        self._used = True
        return itertools.chain([self._pending], self._iterable)

    def batches(self, num, frames, step, batch_size, seed, label=None):
        pending, done = None, 0  # pending: clips read but not yet yielded, [p, 3, T', H, W]
        for item in self._items():
            x = _as_video_batch(item, self.description)
            if x.shape[2] < _need(frames, step):
                raise _frame_error(f"a video of {self.description}", int(x.shape[2]), frames, step)
            x = x[:, :, ::step][:, :, :frames]
            pending = x if pending is None else torch.cat([pending, x])
            while pending is not None and (len(pending) >= batch_size or done + len(pending) >= num):
                n = min(batch_size, num - done, len(pending))
                yield pending[:n]
                done += n
                pending = pending[n:] if len(pending) > n else None
                if done >= num:
                    return
        have = done + (0 if pending is None else len(pending))
        raise DatasetError(f"{self.description} yielded {have} videos; the metric needs {num} "
                           "(yield more, or lower the count with num_fake)")


def open_fake(fake, device="cpu", labels=None, resolution: int | None = None) -> FakeSource:
    """Any supported fake input (see module docstring) -> :class:`FakeSource`.

    ``resolution``: only for ``builtin:NAME``, which renders at any size (default ``BUILTIN_RESOLUTION``)."""
    if isinstance(fake, FakeSource):
        return fake
    if isinstance(fake, (str, Path)):
        spec = str(fake)
        if spec.startswith("builtin:"):
            return DatasetFake(spec, labels, resolution)
        path = Path(spec).expanduser()
        if not path.exists():
            raise ConfigError(f"--fake {spec}: no such file or folder (expected a run or model folder, a folder or "
                              ".zip of videos or frame folders, a .npz/.npy of uint8 [N, T, H, W, 3], or builtin:NAME)")
        if path.suffix.lower() in ARRAY_SUFFIXES and path.is_file():
            return ArrayFake.from_file(path)
        from vidsynth.training.run_dir import is_model_folder

        if is_model_folder(path) or (path.suffix == ".pt" and path.is_file()):   # .pt: a resume checkpoint
            import vidsynth

            return SamplerFake(vidsynth.load(str(path), device=str(device)), spec)
        if path.is_file() and path.suffix.lower() != ".zip":
            raise ConfigError(f"--fake {spec}: a single file; give the folder or .zip that holds the generated videos "
                              "(one file per video), or a .npz/.npy array")
        return DatasetFake(str(path), labels)
    if hasattr(fake, "sample"):
        return SamplerFake(fake)
    if isinstance(fake, (np.ndarray, torch.Tensor)):
        return ArrayFake(fake, f"array {tuple(fake.shape)}")
    if hasattr(fake, "__iter__"):
        return IterableFake(fake)
    raise ConfigError(f"cannot read fake videos from {type(fake).__name__}: give a sampler, a path, an array or "
                      "an iterable of videos")
