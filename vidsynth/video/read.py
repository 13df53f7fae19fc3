"""The one PyAV decoder: video files (``formats.READ_SUFFIXES``) -> RGB uint8 frames.

``read_video`` decodes chosen frames, seeking first when they lie deep in a long video; the
dataset index (``data/videos.probe_video``) and every other reader of video files use the helpers
here (``open_video``, ``choose_stream``, ``decode_rgb``). Every pixel format FFmpeg knows (yuv,
gray, alpha, 16-bit, palette) comes out as RGB uint8, with the file's display rotation applied.

A file is named by a *storage* and a name, so that folders and zips read alike: any object with
``av_input(name)`` (what ``av.open`` takes), ``display(name)`` (for messages) and ``size(name)``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from vidsynth.video.pixels import MAX_PIXELS_ENV, crop_resize, max_frame_pixels

# Seek instead of decoding on when the next wanted frame is at least this many frames ahead (from frame 0
# for the first one; from the last decoded frame to the keyframe before it for later ones): below that,
# decoding the frames in between costs less than a seek and the decoder restart after it.
SEEK_MIN_FRAME = 64


class VideoReadError(Exception):
    """A video file cannot be used; the message is the reason shown to the user."""


class DataWarning(UserWarning):
    """A dataset file was skipped or is not what its metadata said."""


def open_video(source):
    """``av.open`` for reading; any failure becomes :class:`VideoReadError` with the reason."""
    import av

    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except Exception as e:  # av.error.* / OSError / ValueError: all mean "not a readable video"
        raise VideoReadError(f"cannot open as a video ({type(e).__name__}: {e})") from None


@dataclass(frozen=True)
class _Layout:
    """Which stream of a file is the video, and where its frames are (built once per file, by demuxing).

    ``pts`` holds every frame's presentation timestamp in display order, so frame ``i`` is the frame
    whose timestamp is ``pts[i]``: right for variable frame rates, B-frames and open GOPs alike.
    ``None`` when some packet has no timestamp (then only sequential decoding is trusted).
    ``keys`` are the timestamps of the keyframes (where a seek can land and decoding start cleanly).
    """
    stream: int  # index into container.streams.video
    pts: np.ndarray | None  # int64 [N], ascending
    keys: np.ndarray  # int64 [K], ascending


_LAYOUTS: dict = {}  # (display name, size) -> _Layout, per process
_LAYOUTS_MAX = 4096


def _layout(storage, name: str) -> _Layout:
    """The :class:`_Layout` of a video file, cached per process (one demux pass, no decoding)."""
    key = (storage.display(name), storage.size(name))
    layout = _LAYOUTS.get(key)
    if layout is None:
        with open_video(storage.av_input(name)) as container:
            layout = _demux_layout(container)
        if len(_LAYOUTS) >= _LAYOUTS_MAX:
            _LAYOUTS.clear()
        _LAYOUTS[key] = layout
    return layout


def _demux_layout(container) -> _Layout:
    streams = list(container.streams.video)
    if not streams:
        raise VideoReadError("no video stream")
    pts = {s.index: [] for s in streams}
    keys = {s.index: [] for s in streams}
    try:
        for packet in container.demux(*streams):
            if packet.size and not packet.is_discard:
                pts[packet.stream.index].append(packet.pts)
                if packet.is_keyframe:
                    keys[packet.stream.index].append(packet.pts)
    except Exception:
        pass  # a corrupt packet part way: index what came before it
    best = max(range(len(streams)), key=lambda k: (len(pts[streams[k].index]), -k))  # most frames; first on ties
    own, own_keys = pts[streams[best].index], keys[streams[best].index]
    if any(p is None for p in own) or any(p is None for p in own_keys):
        return _Layout(best, None, np.zeros(0, np.int64))
    return _Layout(best, np.sort(np.asarray(own, np.int64)), np.sort(np.asarray(own_keys, np.int64)))


def choose_stream(container, storage, name: str):
    """The video stream to read: the only one, or (several, e.g. cover art + the film) the one with most frames."""
    streams = container.streams.video
    if not streams:
        raise VideoReadError("no video stream")
    if len(streams) == 1:
        return streams[0]
    return streams[_layout(storage, name).stream]


def check_frame_pixels(width: int, height: int) -> None:
    """Refuse a frame larger than the per-frame pixel limit (``limits.max_frame_pixels``), before decoding it."""
    limit = max_frame_pixels()
    if width * height > limit:
        raise VideoReadError(f"frames are {width}x{height} ({width * height / 1e6:.1f} megapixels), above the "
                             f"limit of {limit / 1e6:g} megapixels per frame; set {MAX_PIXELS_ENV} to a larger "
                             "number of pixels to allow them")


def quarter_turns(frame) -> int:
    """Counter-clockwise quarter turns the file's display matrix asks for (phone videos: often 1 or 3)."""
    try:
        degrees = frame.rotation or 0
    except Exception:
        return 0
    return int(round(degrees / 90)) % 4


def decode_rgb(frame) -> np.ndarray:
    """A decoded frame as displayed -> uint8 ``[H, W, 3]``: any pixel format, rotation applied."""
    check_frame_pixels(frame.width, frame.height)  # a stream may change size after the probed first frame
    rgb = frame.to_ndarray(format="rgb24")  # [H, W, 3] uint8 from any pixel format
    turns = quarter_turns(frame)
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def read_video(storage, name: str, indices, resolution: int | None, fps: float | None = None) -> np.ndarray:
    """Frames ``indices`` (ascending or not, repeats allowed) of a video -> uint8 ``[n, R, R, 3]``.

    Frame ``i`` is the ``i``-th frame in display order. With ``resolution=None`` frames keep their
    size (``[n, H, W, 3]``). Frames past the real end of a truncated file repeat the last decoded
    frame (with a :class:`DataWarning`). ``fps`` is the probed rate; ``None`` (unknown) means the
    file is always decoded from its start instead of seeking.
    """
    indices = [int(i) for i in indices]
    if not indices:
        raise ValueError("no frames requested")
    wanted = set(indices)
    got = _Collector(resolution)  # index -> [R, R, 3], resized as decoded
    try:
        with open_video(storage.av_input(name)) as container:
            stream = choose_stream(container, storage, name)
            stream.thread_type = "AUTO"
            done = False
            if _worth_seeking(wanted) and fps and not name.lower().endswith(".gif"):
                done = _decode_after_seek(container, stream, wanted, _layout(storage, name), got)
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


def read_first_frames(storage, name: str, count: int) -> np.ndarray:
    """The first ``count`` frames of a video as displayed -> uint8 ``[n, H, W, 3]``; ``n < count`` when the file
    is shorter (never padded: the caller says what it needed). :class:`VideoReadError` when nothing decodes."""
    got = _Collector(None)
    try:
        with open_video(storage.av_input(name)) as container:
            _decode_sequential(container, choose_stream(container, storage, name), set(range(count)), got)
    except VideoReadError:
        raise
    except Exception as e:  # av raises many error types; a decode error part way keeps the frames before it
        if not got:
            raise VideoReadError(f"cannot decode ({type(e).__name__}: {e})") from None
    frames = got.finish()
    if not frames:
        raise VideoReadError("no decodable frames")
    return np.stack([frames[i] for i in sorted(frames)])  # [n, H, W, 3]


def _decode_sequential(container, stream, wanted: set, out) -> None:
    """Fill ``out[index] = rgb`` for the ``wanted`` frames, decoding from the start."""
    last = max(wanted)
    for i, frame in enumerate(container.decode(stream)):
        if i in wanted:
            out.add(i, decode_rgb(frame))
        if i >= last:
            break


def _worth_seeking(wanted: set) -> bool:
    """Whether some wanted frame lies ``SEEK_MIN_FRAME`` or more past the previous one (or past frame 0)."""
    order = sorted(wanted)
    return max(b - a for a, b in zip([0] + order, order)) >= SEEK_MIN_FRAME


def _decode_after_seek(container, stream, wanted: set, layout: _Layout, out) -> bool:
    """Fill ``out[index] = rgb`` for the ``wanted`` frames: seek to the keyframe before the first, decode
    forward, and seek again whenever the keyframe before the next wanted frame is ``SEEK_MIN_FRAME`` or
    more frames ahead (two frames far apart in a long clip cost two short decodes, not everything between).

    A frame's index is the position of its timestamp in the file's index (``layout.pts``), never
    ``time x fps``: phone videos have variable frame rates. Frames shown before the keyframe we seek
    to (the leading frames of an open GOP, whose references were skipped) are dropped. Returns False
    when the result cannot be trusted (no index, a timestamp not in it, a seek that landed after the
    frame it was for) so the caller decodes from the start.
    """
    pts = layout.pts
    order = sorted(wanted)
    if pts is None or order[0] >= len(pts):
        return False
    k = 0  # order[k]: the next wanted frame not yet decoded
    while k < len(order) and order[k] < len(pts):
        first = order[k]
        key = _key_before(layout, first)
        if key is None:
            return False
        try:
            container.seek(key, stream=stream, backward=True, any_frame=False)
        except Exception:
            return False
        seen = False
        for frame in container.decode(stream):
            if frame.pts is None:
                return False
            if frame.pts < key:
                continue  # shown before the keyframe: may lack its references after a seek
            i = int(np.searchsorted(pts, frame.pts))
            if i >= len(pts) or pts[i] != frame.pts:
                return False  # a timestamp the index does not know
            if not seen and i > first:
                return False  # overshot: the seek went past the wanted frame
            seen = True
            if i in wanted:
                out.add(i, decode_rgb(frame))
            while k < len(order) and order[k] <= i:
                k += 1
            if k == len(order):
                return True
            nxt = order[k]
            if nxt < len(pts) and int(np.searchsorted(pts, _key_before(layout, nxt))) - i >= SEEK_MIN_FRAME:
                break  # far ahead: seek to it
        else:
            break  # the stream ended (a truncated file): the caller pads what is missing
    return len(out) > 0


def _key_before(layout: _Layout, index: int) -> int | None:
    """Timestamp of the last keyframe at or before frame ``index`` (None if there is none)."""
    before = layout.keys[layout.keys <= int(layout.pts[index])]
    return int(before[-1]) if len(before) else None


class _Collector:
    """Keeps decoded frames by index, resizing them as they arrive.

    Small frames are resized in batches (one resize call per batch is several times faster than one
    per frame); full-size frames waiting for their batch never exceed ``PENDING_BYTES``, so a huge
    frame is resized alone, before the next one is decoded.
    """

    BATCH = 16
    PENDING_BYTES = 8 << 20  # a 1080p RGB frame is 6.2 MB: at most one waits beside the one decoded

    def __init__(self, resolution: int | None):
        self.resolution, self.done, self.pending, self.pending_bytes = resolution, {}, [], 0

    def __len__(self):
        return len(self.done) + len(self.pending)

    def clear(self):
        self.done, self.pending, self.pending_bytes = {}, [], 0

    def add(self, index: int, rgb: np.ndarray) -> None:
        if self.resolution is None:
            self.done[index] = rgb
            return
        if self.pending and self.pending[0][1].shape != rgb.shape:  # the stream changed size
            self._flush()
        self.pending.append((index, rgb))
        self.pending_bytes += rgb.nbytes
        if len(self.pending) >= self.BATCH or self.pending_bytes >= self.PENDING_BYTES:
            self._flush()

    def _flush(self):
        if self.pending:
            resized = crop_resize(np.stack([f for _, f in self.pending]), self.resolution)
            self.done.update((i, f) for (i, _), f in zip(self.pending, resized))
            self.pending, self.pending_bytes = [], 0

    def finish(self) -> dict[int, np.ndarray]:
        self._flush()
        return self.done
