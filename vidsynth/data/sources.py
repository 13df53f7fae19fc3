"""Open a dataset spec as a *source*: an indexed list of videos that can render any of their frames
at a chosen square resolution.

Two kinds share one small interface (``len``, ``name(i)``, ``num_frames(i)``, ``metadata(i)``,
``read(i, indices, resolution) -> uint8 [n, R, R, 3]``, ``skipped``, ``label_json``):
:class:`FileSource` (video files and frame folders, in a folder or a zip) and
``synthetic.SyntheticSource`` (``builtin:NAME``).
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from vidsynth.data.cache import ByteLRU
from vidsynth.data.frames import IMAGE_SUFFIXES, group_frame_folders, probe_frame_folder, read_frames
from vidsynth.data.naming import natural_key
from vidsynth.data.storage import DirStorage
from vidsynth.data.synthetic import BUILTINS, SyntheticSource
from vidsynth.data.videos import DataWarning, probe_video
from vidsynth.data.zipdata import ZipStorage
from vidsynth.errors import ConfigError, DatasetError
from vidsynth.video.formats import READ_SUFFIXES
from vidsynth.video.read import VideoReadError, read_video

# Decoded, resized frames kept per process (each DataLoader worker has its own cache): at most
# CACHE_BYTES, least recently used evicted first. A whole short video (at most CACHE_ITEM_BYTES at the
# training resolution) is decoded once and kept when ALL the dataset's videos fit in CACHE_BYTES (then
# every later clip is a slice); otherwise only the frames a step asks for are decoded (seeking), and
# kept frame by frame (frame folders always): 256 MiB holds ~5,400 frames at 128 px (48 KiB each).
CACHE_BYTES = 256 << 20
CACHE_ITEM_BYTES = 48 << 20

FORMATS_HELP = (f"video files ({', '.join(READ_SUFFIXES)}), frame folders (<video>/<frame>"
                f"{'|'.join(IMAGE_SUFFIXES)}), a .zip of either, or builtin:NAME "
                f"({', '.join('builtin:' + n for n in BUILTINS)})")


@dataclass(frozen=True)
class VideoRecord:
    """One usable video of a :class:`FileSource`."""
    name: str  # POSIX path relative to the dataset root: a video file, or a frame folder
    num_frames: int
    width: int
    height: int
    fps: float | None
    frames: tuple[str, ...] = ()  # frame-folder images in natural order; empty for a video file


class FileSource:
    """Videos stored as files (in a folder or a zip); picklable, opens files lazily per process."""

    def __init__(self, storage, records: list[VideoRecord], skipped: list[tuple[str, str]], spec: str):
        self.storage, self.records, self.skipped, self.spec = storage, records, skipped, spec
        self.label_json = storage.read_bytes("labels.json") if storage.exists("labels.json") else None
        self.set_cache_bytes(CACHE_BYTES)

    def __getstate__(self):  # workers start with an empty cache instead of a copy of ours
        state = self.__dict__.copy()
        state["_cache"] = ByteLRU(self._cache.max_bytes)
        return state

    def set_cache_bytes(self, max_bytes: int) -> None:
        """Bound (and empty) this process's cache of decoded frames; workers get the same bound. 0 turns it
        off (every frame is decoded each time it is read: what a dataset far larger than the cache sees)."""
        self._cache = ByteLRU(int(max_bytes))
        self._fits: dict = {}  # resolution -> whether all videos decoded whole fit in the cache

    def __len__(self):
        return len(self.records)

    def name(self, i: int) -> str:
        return self.records[i].name

    def num_frames(self, i: int) -> int:
        return self.records[i].num_frames

    def metadata(self, i: int) -> dict:
        r = self.records[i]
        return {"width": r.width, "height": r.height, "fps": r.fps}

    def read(self, i: int, indices, resolution: int | None) -> np.ndarray:
        """Frames ``indices`` of video ``i`` -> uint8 ``[n, R, R, 3]`` (centre crop + antialiased resize).

        Only the frames asked for are decoded (see ``CACHE_BYTES`` for when a short video is decoded whole
        instead), and only the members of a zip they are stored in are read."""
        rec = self.records[i]
        indices = np.asarray(indices, dtype=np.int64)
        try:
            if resolution is None:  # full-size frames: never cached
                return self._decode(rec, indices, None)
            if not rec.frames and self._whole_videos_fit(resolution):
                video = self._cache.get((i, resolution))
                if video is None:  # decode the whole (short) video once: [N, R, R, 3]
                    video = self._decode(rec, np.arange(rec.num_frames), resolution)
                    self._cache.put((i, resolution), video)
                return video[indices]
            return self._cached_frames(i, rec, indices, resolution)
        except VideoReadError as e:
            raise DatasetError(f"cannot read '{self.storage.display(rec.name)}': {e}") from None

    def _decode(self, rec: VideoRecord, indices: np.ndarray, resolution) -> np.ndarray:
        if rec.frames:
            return read_frames(self.storage, rec.frames, indices, resolution)
        return read_video(self.storage, rec.name, indices, resolution, rec.fps)

    def _cached_frames(self, i: int, rec: VideoRecord, indices: np.ndarray, resolution) -> np.ndarray:
        """The frame-level cache: frames ``(i, index, resolution)`` already decoded are reused, the rest
        decoded in one call (one seek for a video file) and kept."""
        frames = {int(j): self._cache.get((i, int(j), resolution)) for j in set(indices.tolist())}
        missing = np.array(sorted(j for j, f in frames.items() if f is None), dtype=np.int64)
        if missing.size:
            for j, frame in zip(missing.tolist(), self._decode(rec, missing, resolution)):
                frames[j] = frame
                self._cache.put((i, j, resolution), frame)
        return np.stack([frames[int(j)] for j in indices])  # [n, R, R, 3]

    def _whole_videos_fit(self, resolution) -> bool:
        """Whether every video file of the source, decoded whole at ``resolution``, fits in the cache (each at
        most ``CACHE_ITEM_BYTES``): then decoding each once serves the whole run."""
        if resolution not in self._fits:
            frame = int(np.prod(resolution)) * 3 if np.ndim(resolution) else int(resolution) ** 2 * 3  # (H, W) or R
            sizes = [r.num_frames * frame for r in self.records if not r.frames]
            self._fits[resolution] = (max(sizes, default=0) <= CACHE_ITEM_BYTES
                                      and sum(sizes) <= self._cache.max_bytes)
        return self._fits[resolution]


def open_source(spec, min_frames: int = 1, seed: int = 0, need: str = "") -> FileSource | SyntheticSource:
    """Open ``spec`` (``builtin:NAME``, a folder, or a ``.zip``), skipping videos shorter than ``min_frames``.

    Each skipped file is named in a :class:`DataWarning` (and listed in ``source.skipped``), followed by
    a summary count. ``need`` explains ``min_frames`` in messages (e.g. ``"16 frames at stride 2"``).
    Raises :class:`DatasetError` for a missing path, an unknown built-in, or nothing usable.
    """
    spec = str(spec)
    if spec.startswith("images:"):  # every image a one-frame video (vidsynth/data/images.py)
        from vidsynth.data.images import open_image_source

        return open_image_source(spec[len("images:"):], min_frames)
    if spec.startswith("builtin:"):
        source = SyntheticSource(spec[len("builtin:"):], seed=seed)
        if source.frames_per_video < min_frames:
            raise DatasetError(f"'{spec}' videos have {source.frames_per_video} frames; clips need {min_frames}"
                               + (f" ({need})" if need else ""))
        return source
    path = Path(spec).expanduser()
    if not path.exists():
        raise DatasetError(f"dataset '{spec}' not found (no such file or folder). Expected {FORMATS_HELP}.")
    if path.is_dir():
        storage = DirStorage(path)
    elif path.suffix.lower() == ".zip":
        storage = ZipStorage(path)
    elif path.suffix.lower() in READ_SUFFIXES:
        raise DatasetError(f"'{spec}' is a single video file; give the folder that holds your videos "
                           f"(e.g. '{path.parent}').")
    else:
        raise DatasetError(f"'{spec}' is not a dataset. Expected {FORMATS_HELP}.")
    records, skipped = _scan(storage, min_frames, need)
    if not records:
        found = len(skipped)
        msg = f"no usable videos in '{spec}'"
        msg += f": {found} found, all skipped:\n{describe_skips(skipped)}" if found else f". Expected {FORMATS_HELP}."
        if any("frames; clips need" in r for _, r in skipped):
            msg += "\nShorter clips (--frames) or a smaller --stride would keep the short videos."
        raise DatasetError(msg)
    return FileSource(storage, records, skipped, spec)


def _scan(storage, min_frames: int, need: str):
    """Probe every video file and frame folder; returns ``(records, skipped)`` in natural order."""
    files = storage.list_files()
    items = [(f, None) for f in files if PurePosixPath(f).suffix.lower() in READ_SUFFIXES]
    items += list(group_frame_folders(files).items())
    items.sort(key=lambda item: natural_key(item[0]))
    records, skipped = [], []
    for name, frames in items:
        try:
            if frames is None:
                meta = probe_video(storage, name)
                rec = VideoRecord(name, meta.num_frames, meta.width, meta.height, meta.fps)
            else:
                meta = probe_frame_folder(storage, frames)
                rec = VideoRecord(name, meta.num_frames, meta.width, meta.height, None, tuple(frames))
        except VideoReadError as e:
            reason = str(e)
        except ConfigError:
            raise  # a bad setting (e.g. VIDSYNTH_MAX_FRAME_PIXELS) concerns every file, not this one
        except Exception as e:  # permissions, I/O errors: skip the file, never the whole dataset
            reason = f"unreadable ({type(e).__name__}: {e})"
        else:
            if rec.num_frames >= min_frames:
                records.append(rec)
                continue
            reason = f"only {rec.num_frames} frames; clips need {min_frames}" + (f" ({need})" if need else "")
        skipped.append((storage.display(name), reason))
        warnings.warn(f"skipping '{storage.display(name)}': {reason}", DataWarning, stacklevel=3)
    if skipped:
        warnings.warn(f"{len(skipped)} of {len(items)} videos skipped in '{storage.root}' "
                      f"({len(records)} usable)", DataWarning, stacklevel=3)
    return records, skipped


def source_fingerprint(source) -> str:
    """A short hash of what a run trains on: each video's name, frame count and byte size (the sizes
    of its frames for a frame folder). ``--resume`` compares it to notice a dataset that changed."""
    import hashlib

    h = hashlib.sha256(str(getattr(source, "spec", "")).encode() if not hasattr(source, "storage") else b"")
    storage, records = getattr(source, "storage", None), getattr(source, "records", None)
    for i in range(len(source)):
        name, size = source.name(i), -1
        if records is not None and records[i].frames:
            size = sum(storage.size(f) for f in records[i].frames)
        elif storage is not None and storage.exists(name):
            size = storage.size(name)
        h.update(f"{name}\0{source.num_frames(i)}\0{size}\n".encode())
    return h.hexdigest()[:16]


def describe_skips(skipped, limit: int = 8) -> str:
    """Human-readable list of ``(path, reason)``: a count per kind of reason, then the first few files."""
    kinds = Counter(reason.split(" (")[0].split(";")[0] for _, reason in skipped)
    lines = [f"  {n} x {kind}" for kind, n in kinds.most_common()]
    lines += [f"  - {path}: {reason}" for path, reason in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more")
    return "\n".join(lines)
