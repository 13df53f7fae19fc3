"""Video files (mp4, avi, webm, mkv, mov, gif, ...) decoded with PyAV.

``probe_video`` reads the metadata a dataset index needs (and proves the file decodes);
``read_video`` decodes chosen frames, seeking first when they lie deep in a long video.
Every pixel format FFmpeg knows (yuv, gray, alpha, 16-bit, palette) comes out as RGB uint8.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from vidsynth.data.preprocess import crop_resize

VIDEO_SUFFIXES = (".mp4", ".m4v", ".avi", ".webm", ".mkv", ".mov", ".gif")

# Seek instead of decoding from frame 0 when the first wanted frame is at least this far in.
SEEK_MIN_FRAME = 64


class VideoReadError(Exception):
    """A video file cannot be used; the message is the reason shown to the user."""


class DataWarning(UserWarning):
    """A dataset file was skipped or is not what its metadata said."""


@dataclass(frozen=True)
class VideoMeta:
    num_frames: int
    width: int
    height: int
    fps: float | None


def _open(source):
    import av

    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except Exception as e:  # av.error.* / OSError / ValueError: all mean "not a readable video"
        raise VideoReadError(f"cannot open as a video ({type(e).__name__}: {e})") from None


def probe_video(storage, name: str) -> VideoMeta:
    """Frame count, size and fps of a video file; raises :class:`VideoReadError` with a reason.

    The count comes from the stream metadata, or from counting packets (no decoding) when the
    metadata is missing (webm, gif) or disagrees with duration x frame rate. The first frame is
    decoded to prove the file is a usable video, not just a readable header.
    """
    if storage.size(name) == 0:
        raise VideoReadError("empty file (0 bytes)")
    with _open(storage.av_input(name)) as container:
        if not container.streams.video:
            raise VideoReadError("no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        count = int(stream.frames or 0)
        if count > 0 and fps and stream.duration and stream.time_base:
            expected = float(stream.duration * stream.time_base) * fps
            if abs(expected - count) > max(2.0, 0.05 * count):
                count = 0  # metadata disagrees with itself: count for real
        try:
            first = next(container.decode(stream), None)
        except Exception as e:
            raise VideoReadError(f"cannot decode ({type(e).__name__}: {e})") from None
        if first is None:
            raise VideoReadError("no decodable frames")
        width, height = first.width, first.height
        if count <= 0:
            count = _count_packets(container, stream)
    return VideoMeta(num_frames=max(count, 1), width=width, height=height, fps=fps)


def _count_packets(container, stream) -> int:
    """Number of frames by demuxing (cheap: no decoding). Stops at the first corrupt packet."""
    container.seek(0)
    n = 0
    try:
        for packet in container.demux(stream):
            if packet.size:
                n += 1
    except Exception:
        pass
    return n


def _decode_rgb(frame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")  # [H, W, 3] uint8 from any pixel format


def read_video(storage, name: str, indices, resolution: int | None, fps: float | None = None) -> np.ndarray:
    """Frames ``indices`` (ascending or not, repeats allowed) of a video -> uint8 ``[n, R, R, 3]``.

    With ``resolution=None`` frames keep their size (``[n, H, W, 3]``). Frames past the real end
    of a truncated file repeat the last decoded frame (with a :class:`DataWarning`).
    """
    indices = [int(i) for i in indices]
    if not indices:
        raise ValueError("no frames requested")
    wanted = set(indices)
    got = _Collector(resolution)  # index -> [R, R, 3], resized in small batches as decoded
    try:
        with _open(storage.av_input(name)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            first = min(wanted)
            done = False
            if first >= SEEK_MIN_FRAME and fps and not name.lower().endswith(".gif"):
                done = _decode_after_seek(container, stream, wanted, fps, got)
                if not done:
                    got.clear()
                    container.seek(0)
            if not done:
                _decode_sequential(container, stream, wanted, got)
    except VideoReadError:
        raise
    except Exception as e:
        if not got:
            raise VideoReadError(f"cannot decode ({type(e).__name__}: {e})") from None
        # a decode error part way: keep what we have, pad below
    got = got.finish()
    if not got:
        raise VideoReadError("no decodable frames")
    last = max(got)
    missing = [i for i in wanted if i not in got]
    if missing:
        warnings.warn(f"{storage.display(name)}: decoded only {last + 1} frames, wanted frame {max(missing)}; "
                      "repeating the last frame (file truncated or its frame count metadata is wrong)",
                      DataWarning, stacklevel=2)
        for i in missing:
            got[i] = got[max(j for j in got if j <= i)] if any(j <= i for j in got) else got[min(got)]
    return np.stack([got[i] for i in indices])  # [n, R, R, 3]


def _decode_sequential(container, stream, wanted: set, out) -> None:
    """Fill ``out[index] = rgb`` for the ``wanted`` frames, decoding from the start."""
    last = max(wanted)
    for i, frame in enumerate(container.decode(stream)):
        if i in wanted:
            out.add(i, _decode_rgb(frame))
        if i >= last:
            break


def _decode_after_seek(container, stream, wanted: set, fps: float, out) -> bool:
    """Fill ``out[index] = rgb`` for the ``wanted`` frames after seeking to the keyframe before the first.

    Frame indices come from timestamps (constant frame rate assumed). Returns False when that
    cannot be trusted (no timestamps, seek landed after the first) so the caller decodes from 0.
    """
    first, last = min(wanted), max(wanted)
    tb = stream.time_base
    start = stream.start_time or 0
    if tb is None:
        return False
    target = start + int(first / fps / tb)
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
    except Exception:
        return False
    seen = False
    for frame in container.decode(stream):
        if frame.pts is None:
            return False
        i = int(round(float((frame.pts - start) * tb) * fps))
        if not seen and i > first:
            return False  # overshot: the seek went past the first wanted frame
        seen = True
        if i in wanted:
            out.add(i, _decode_rgb(frame))
        if i >= last:
            break
    return len(out) > 0


class _Collector:
    """Keeps decoded frames by index, resizing them in batches of ``BATCH`` (one resize call per
    batch is several times faster than one per frame, and full-size frames never pile up)."""

    BATCH = 16

    def __init__(self, resolution: int | None):
        self.resolution, self.done, self.pending = resolution, {}, []

    def __len__(self):
        return len(self.done) + len(self.pending)

    def clear(self):
        self.done, self.pending = {}, []

    def add(self, index: int, rgb: np.ndarray) -> None:
        if self.resolution is None:
            self.done[index] = rgb
            return
        if self.pending and self.pending[0][1].shape != rgb.shape:  # the stream changed size
            self._flush()
        self.pending.append((index, rgb))
        if len(self.pending) >= self.BATCH:
            self._flush()

    def _flush(self):
        if self.pending:
            resized = crop_resize(np.stack([f for _, f in self.pending]), self.resolution)
            self.done.update((i, f) for (i, _), f in zip(self.pending, resized))
            self.pending = []

    def finish(self) -> dict[int, np.ndarray]:
        self._flush()
        return self.done
