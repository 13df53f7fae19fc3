"""Image datasets for training image generators: every image file is a one-frame "video".

``images:PATH`` (a folder or a ``.zip``, searched recursively) opens an :class:`ImageSource` with the
same small interface as ``sources.FileSource``, so :class:`~vidsynth.data.clips.ClipDataset` with
``frames=1`` serves uniformly drawn images ``[3, 1, R, R]``. (Without the prefix, a folder of images
would be read as frame folders, i.e. one video per folder, and images would not be drawn uniformly.)

:func:`holds_videos` tells image folders from video datasets; the dataset the StyleGAN2 trainer
opens from either is ``clips.open_image_dataset``. This module is a pure source: it imports no
dataset code (so ``clips -> sources -> images`` has no way back).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

import numpy as np

from vidsynth.data.frames import IMAGE_SUFFIXES, is_image, read_frames
from vidsynth.data.naming import natural_sorted
from vidsynth.errors import DatasetError

PREFIX = "images:"


class ImageSource:
    """Image files of a folder or zip as one-frame videos; picklable, opens files lazily."""

    def __init__(self, storage, names: list[str], spec: str):
        self.storage, self.names, self.spec = storage, names, spec
        self.skipped: list[tuple[str, str]] = []   # unreadable images fail when read, not when listed
        self.label_json = storage.read_bytes("labels.json") if storage.exists("labels.json") else None

    def __len__(self):
        return len(self.names)

    def name(self, i: int) -> str:
        return self.names[i]

    def num_frames(self, i: int) -> int:
        return 1

    def metadata(self, i: int) -> dict:
        return {"width": None, "height": None, "fps": None}

    def read(self, i: int, indices, resolution: int | None) -> np.ndarray:
        """Image ``i`` -> uint8 ``[1, R, R, 3]`` (centre crop + antialiased resize); ``indices`` must be ``[0]``."""
        if list(np.asarray(indices).reshape(-1)) != [0]:
            raise IndexError(f"an image has one frame; asked for frames {list(indices)}")
        try:
            return read_frames(self.storage, [self.names[i]], [0], resolution)
        except Exception as e:  # VideoReadError and decoder errors: name the file
            raise DatasetError(f"cannot read image '{self.storage.display(self.names[i])}': {e}") from None


def _storage(path: Path):
    from vidsynth.data.storage import DirStorage
    from vidsynth.data.zipdata import ZipStorage

    if path.is_dir():
        return DirStorage(path)
    if path.suffix.lower() == ".zip":
        return ZipStorage(path)
    raise DatasetError(f"'{path}' is not a folder or .zip of images ({', '.join(IMAGE_SUFFIXES)})")


def open_image_source(path: str | Path, min_frames: int = 1) -> ImageSource:
    """Every image under ``path`` (folder or zip, recursive, natural order) -> :class:`ImageSource`."""
    if min_frames > 1:
        raise DatasetError(f"'{PREFIX}{path}' holds still images; clips of {min_frames} frames need videos")
    path = Path(str(path)).expanduser()
    if not path.exists():
        raise DatasetError(f"image dataset '{path}' not found (no such file or folder)")
    storage = _storage(path)
    names = natural_sorted(f for f in storage.list_files() if is_image(f))
    if not names:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in '{path}'")
    return ImageSource(storage, names, PREFIX + str(path))


def holds_videos(spec: str) -> bool:
    """True for ``builtin:NAME`` and for folders/zips that contain at least one video file."""
    from vidsynth.video.formats import READ_SUFFIXES

    if spec.startswith("builtin:"):
        return True
    path = Path(spec).expanduser()
    if not path.exists():
        return True  # let the video opener raise its usual "not found" message
    files = _storage(path).list_files() if (path.is_dir() or path.suffix.lower() == ".zip") else []
    return any(PurePosixPath(f).suffix.lower() in READ_SUFFIXES for f in files)
