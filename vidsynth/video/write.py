"""Writing videos and grids to disk: mp4 (H.264 via PyAV), gif, png frames and npz.

Conventions used everywhere in vidsynth:
- a *video tensor* is float ``[B, C, T, H, W]`` (or ``[C, T, H, W]`` for one video) in [-1, 1];
- a *frame array* is uint8 ``[T, H, W, 3]``, the layout encoders and image libraries want.
"""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from vidsynth.utils.files import atomic_write
from vidsynth.video.formats import WRITE_SUFFIXES
from vidsynth.video.frame_rate import frame_rate


def to_uint8_frames(video: torch.Tensor | np.ndarray) -> np.ndarray:
    """One video ``[C, T, H, W]`` float in [-1, 1] (or uint8 ``[T, H, W, C]``) -> uint8 ``[T, H, W, 3]``."""
    if isinstance(video, np.ndarray):
        if video.dtype == np.uint8 and video.ndim == 4 and video.shape[-1] in (1, 3):
            return video if video.shape[-1] == 3 else np.repeat(video, 3, axis=-1)
        video = torch.from_numpy(video)
    if video.ndim != 4:
        raise ValueError(f"expected one video [C, T, H, W], got shape {tuple(video.shape)}")
    if video.dtype == torch.uint8:  # [C, T, H, W] uint8
        frames = video
    else:
        frames = ((video.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    frames = frames.permute(1, 2, 3, 0).cpu().numpy()  # [T, H, W, C]
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames)


def make_grid(videos: torch.Tensor, nrow: int | None = None, padding: int = 2) -> torch.Tensor:
    """Tile a batch ``[B, C, T, H, W]`` into one video ``[C, T, rows*H', cols*W']`` with white separator lines."""
    b, c, t, h, w = videos.shape
    ncol = nrow or max(1, math.ceil(math.sqrt(b)))
    nrows = math.ceil(b / ncol)
    grid = videos.new_ones(c, t, nrows * (h + padding) + padding, ncol * (w + padding) + padding)
    for i in range(b):
        r, col = divmod(i, ncol)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, :, y:y + h, x:x + w] = videos[i]
    return grid


def write_mp4(path: str | Path, frames: np.ndarray, fps: float | Fraction | str = 8, crf: int = 18) -> Path:
    """Encode uint8 ``[T, H, W, 3]`` as H.264 mp4 (yuv420p; odd sizes are padded by one pixel). Atomic.

    ``fps`` is kept exactly (``frame_rate.frame_rate``): ``"30000/1001"`` or ``29.97`` is written as 30000/1001."""
    import av

    t, h, w, _ = frames.shape
    ph, pw = h + h % 2, w + w % 2  # yuv420p needs even sizes
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")

    def encode(tmp: Path) -> None:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=frame_rate(fps))  # exact: 30000/1001 stays so
            stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
            stream.options = {"crf": str(crf), "preset": "medium"}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    return atomic_write(path, encode)


def write_gif(path: str | Path, frames: np.ndarray, fps: float = 8) -> Path:
    """Write uint8 ``[T, H, W, 3]`` as a looping gif (Pillow, adaptive palette per frame). Atomic."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    return atomic_write(path, lambda tmp: images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                                                         duration=max(1, int(round(1000 / frame_rate(fps)))),
                                                         loop=0))  # gif: whole ms only


def write_png_frames(folder: str | Path, frames: np.ndarray) -> Path:
    """Write uint8 ``[T, H, W, 3]`` as ``folder/000000.png ...`` (each frame atomic)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        write_png(folder / f"{i:06d}.png", f)
    return folder


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write one uint8 ``[H, W, 3]`` image. Atomic: a full disk never leaves a 0-byte or partial png."""
    from PIL import Image

    return atomic_write(path, lambda tmp: Image.fromarray(image).save(tmp, format="PNG"))


def write_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    """``np.savez_compressed(path, **arrays)``, atomic: a failed write leaves the old file intact."""
    def save(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: savez would append ".npz" to the temporary name
            np.savez_compressed(f, **arrays)

    return atomic_write(path, save)


def write_video(path: str | Path, video: torch.Tensor | np.ndarray, fps: float = 8) -> Path:
    """Write one video (tensor ``[C, T, H, W]`` in [-1, 1] or uint8 ``[T, H, W, 3]``); format from the suffix.

    ``.mp4`` -> H.264, ``.gif`` -> gif, ``.npz`` -> uint8 frames under key ``video``, a path
    without suffix -> a folder of png frames.
    """
    path = Path(path)
    frames = to_uint8_frames(video)
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        return write_mp4(path, frames, fps)
    if suffix == ".gif":
        return write_gif(path, frames, fps)
    if suffix == ".npz":
        return write_npz(path, video=frames)
    if suffix == "":
        return write_png_frames(path, frames)
    raise ValueError(f"cannot write video to '{path}': use a {', '.join(WRITE_SUFFIXES)} file, or a folder for png "
                     "frames")


def frame_strip(video: torch.Tensor, max_frames: int = 8) -> np.ndarray:
    """One video ``[C, T, H, W]`` -> uint8 image ``[H, k*W, 3]`` of ``k<=max_frames`` evenly spaced frames."""
    frames = to_uint8_frames(video)
    idx = np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int)
    return np.concatenate(list(frames[idx]), axis=1)
