"""Streaming video writer: encode a long video chunk by chunk, never holding all of it in memory.

``video.write.write_mp4`` takes the whole ``[T, H, W, 3]`` array at once, which is fine for 16 frames but
not for a 1024-frame, 512 px render. :class:`VideoStreamWriter` opens one PyAV container when the
first chunk arrives and encodes every later chunk straight into it, so memory stays at one chunk
whatever the video length. The file is written under a temporary name and renamed into place on a
clean close, so an interrupted render never leaves a half-written video behind the final name.

    with VideoStreamWriter("long.mp4", fps=8) as out:
        for chunk in chunks:          # [C, t, H, W] float in [-1, 1] or uint8 [t, H, W, 3]
            out.write(chunk)

A path without suffix streams png frames into that folder instead (``000000.png ...``).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from vidsynth.errors import VidsynthError
from vidsynth.utils.files import atomic_target, is_write_failure
from vidsynth.video.formats import STREAM_SUFFIXES
from vidsynth.video.frame_rate import frame_rate
from vidsynth.video.write import to_uint8_frames, write_png


class VideoStreamWriter:
    """Append frames to one video file (H.264 mp4/mkv, VP9 webm) or a png folder, chunk by chunk."""

    def __init__(self, path: str | Path, fps: float = 8, crf: int = 18):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in STREAM_SUFFIXES:
            raise ValueError(f"cannot stream to '{self.path}': use .mp4, .mkv, .webm or a folder for png frames "
                             "(gif and npz need the whole video at once: use vidsynth.video.write.write_video)")
        self.fps, self.crf = frame_rate(fps), crf  # exact Fraction: 30000/1001 is written as such
        self.frames_written = 0
        self._container = self._stream = self._tmp = None
        self._size = None  # (H, W) of the first chunk; every chunk must match it

    # ------------------------------------------------------------------ writing
    def write(self, chunk: torch.Tensor | np.ndarray) -> None:
        """Append ``chunk``: one video ``[C, t, H, W]`` in [-1, 1] or uint8 ``[t, H, W, 3]``."""
        frames = to_uint8_frames(chunk)                                   # [t, H, W, 3] uint8
        size = frames.shape[1:3]
        if self._size is None:
            self._size = size
        elif size != self._size:
            raise ValueError(f"chunk frames are {size[0]}x{size[1]} but the video is {self._size[0]}x{self._size[1]}")
        if self.suffix == "":
            self._write_pngs(frames)
        else:
            try:
                self._encode(frames)
            except Exception as e:
                self._fail(e)
        self.frames_written += len(frames)

    def _write_pngs(self, frames: np.ndarray) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(frames):
            write_png(self.path / f"{self.frames_written + i:06d}.png", f)  # atomic: no 0-byte png on a full disk

    def _open(self, height: int, width: int) -> None:
        import av

        self._tmp = atomic_target(self.path)
        fmt = {".mp4": "mp4", ".mkv": "matroska", ".webm": "webm"}[self.suffix]
        codec = "libvpx-vp9" if self.suffix == ".webm" else "libx264"
        self._container = av.open(str(self._tmp), mode="w", format=fmt)
        self._stream = self._container.add_stream(codec, rate=self.fps)
        # yuv420p needs even sizes: odd ones are padded by one edge pixel
        self._stream.width, self._stream.height = width + width % 2, height + height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(self.crf)} | ({"preset": "medium"} if codec == "libx264" else {})

    def _encode(self, frames: np.ndarray) -> None:
        import av

        t, h, w, _ = frames.shape
        if self._container is None:
            self._open(h, w)
        if h % 2 or w % 2:
            frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        for frame in frames:
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                self._container.mux(packet)

    # ------------------------------------------------------------------ closing
    def close(self) -> Path:
        """Flush the encoder and move the file into place; returns its path."""
        if self._container is not None:
            try:
                for packet in self._stream.encode():
                    self._container.mux(packet)
                self._container.close()
                os.replace(self._tmp, self.path)
            except Exception as e:
                self._fail(e)
            finally:
                self._container = None
                self._tmp.unlink(missing_ok=True)
        elif self.frames_written == 0 and self.suffix:
            raise ValueError(f"no frames were written to '{self.path}'")
        return self.path

    def _fail(self, error: Exception):
        """A full disk or unwritable folder: drop the partial file, say so in one line."""
        if not is_write_failure(error):
            raise error
        self.abort()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)[:200]
        raise VidsynthError(f"could not write '{self.path}' ({reason}); nothing was left behind. Free some disk "
                            "space or choose a writable output path.") from None

    def abort(self) -> None:
        """Drop a partial file (used when rendering fails part way)."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:
                pass
            self._container = None
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoStreamWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


__all__ = ["VideoStreamWriter", "STREAM_SUFFIXES"]
