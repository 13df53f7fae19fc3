"""Frame folders: ``root/<video>/<frame>.png|jpg|jpeg|webp``, one image per frame.

A video is any folder that directly holds images; its frames are ordered *naturally*
(``frame2`` before ``frame10``; names need not be numbers). This is the format
``vidsynth dataset convert`` writes (inside a zip), the fastest to read.
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from vidsynth.data.naming import natural_sorted
from vidsynth.video.pixels import crop_resize, to_rgb_uint8
from vidsynth.data.videos import DataWarning
from vidsynth.video.read import VideoReadError, check_frame_pixels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")  # what PIL reads losslessly or as JPEG
_ORIENTATION = 0x0112  # the EXIF orientation tag


def is_image(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def group_frame_folders(names) -> dict[str, list[str]]:
    """Image file names -> ``{folder: [frame names in natural order]}`` (folder ``"."`` for the root)."""
    groups = defaultdict(list)
    for name in names:
        if is_image(name):
            parent = PurePosixPath(name).parent.as_posix()
            groups[parent].append(name)
    return {folder: natural_sorted(frames) for folder, frames in groups.items()}


@dataclass(frozen=True)
class FolderMeta:
    num_frames: int
    width: int
    height: int


def probe_frame_folder(storage, frames: list[str]) -> FolderMeta:
    """Size of a frame folder from its first image; raises :class:`VideoReadError` with a reason.

    Every frame file must be non-empty; only the first is opened (reading all would make opening a
    large dataset slow), so a corrupt later frame is caught when it is read.
    """
    empty = [f for f in frames if storage.size(f) == 0]
    if empty:
        raise VideoReadError(f"{len(empty)} empty frame file(s), e.g. '{empty[0]}'")
    from PIL import Image

    try:
        with Image.open(storage.open_binary(frames[0])) as im:
            width, height = im.size
            if im.getexif().get(_ORIENTATION) in (5, 6, 7, 8):  # EXIF: shown turned a quarter
                width, height = height, width
    except Exception as e:
        raise VideoReadError(f"cannot read frame '{frames[0]}' ({type(e).__name__}: {e})") from None
    check_frame_pixels(width, height)
    return FolderMeta(num_frames=len(frames), width=width, height=height)


def read_image(storage, name: str) -> np.ndarray:
    """One image file -> uint8 ``[H, W, 3]`` as displayed (gray, palette, alpha, 16-bit all converted;
    EXIF orientation applied, as phone cameras store portrait photos sideways)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(storage.open_binary(name)) as im:
            check_frame_pixels(*im.size)  # before decoding: the header is all we have read
            im = ImageOps.exif_transpose(im)
            if im.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
                im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
            return to_rgb_uint8(np.asarray(im))
    except Exception as e:
        raise VideoReadError(f"cannot read frame '{storage.display(name)}' ({type(e).__name__}: {e})") from None


def read_frames(storage, frames: list[str], indices, resolution: int | None) -> np.ndarray:
    """Images ``frames[i] for i in indices`` -> uint8 ``[n, R, R, 3]`` (``[n, H, W, 3]`` if no resolution).

    A frame that cannot be read (corrupt, deleted since the dataset was opened) is replaced by the
    nearest readable frame of the same folder, with a :class:`DataWarning` naming it: one bad frame
    should not stop a long training run (video files behave the same way: a truncated file repeats
    its last frame). Raises :class:`VideoReadError` only when no frame of the folder is readable.
    """
    if resolution is None:
        return np.stack([_read_or_substitute(storage, frames, int(i)) for i in indices])
    # resized one by one as read: full-size frames never pile up (9000x9000 PNGs are 243 MB each)
    return np.stack([crop_resize(_read_or_substitute(storage, frames, int(i))[None], resolution)[0]
                     for i in indices])


def _read_or_substitute(storage, frames: list[str], i: int) -> np.ndarray:
    """Frame ``i``, or (with a warning) the nearest readable one: ``i-1, i+1, i-2, i+2, ...``."""
    try:
        return read_image(storage, frames[i])
    except VideoReadError as e:
        error = e
    for d in range(1, len(frames)):
        for j in (i - d, i + d):
            if 0 <= j < len(frames):
                try:
                    image = read_image(storage, frames[j])
                except VideoReadError:
                    continue
                warnings.warn(f"{error}; using frame '{frames[j]}' in its place", DataWarning, stacklevel=3)
                return image
    raise VideoReadError(f"no readable frame in the folder of '{storage.display(frames[i])}' ({error})")
