"""Test helpers: smooth synthetic frames and writers for every container the readers accept."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def pattern(frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth, moving colour pattern uint8 ``[T, H, W, 3]`` (survives lossy codecs well).

    Brightness also encodes the frame number (coarsely), so a wrong frame is detectable.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    fx, fy, ph = rng.uniform(0.5, 1.5, 3), rng.uniform(0.5, 1.5, 3), rng.uniform(0, 6, 3)
    out = []
    for t in range(frames):
        chans = [0.5 + 0.3 * np.sin(2 * np.pi * (fx[c] * x / width + fy[c] * y / height) + ph[c] + 0.3 * t)
                 for c in range(3)]
        out.append(np.stack(chans, -1))
    return (np.clip(np.stack(out), 0, 1) * 255).round().astype(np.uint8)


def counter_frames(frames: int, size: int = 32) -> np.ndarray:
    """Flat grey frames whose level is ``(3 * t) % 250``: the frame number can be read back from the mean."""
    levels = (np.arange(frames) * 3) % 250
    return np.broadcast_to(levels[:, None, None, None], (frames, size, size, 3)).astype(np.uint8).copy()


def write_with_pyav(path, frames: np.ndarray, codec: str, pix_fmt: str, fps: int = 8, options=None,
                    src_format: str = "rgb24") -> Path:
    """Encode uint8 ``[T, H, W, C]`` with any PyAV codec/container (container from the suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        if options:
            stream.options = options
        for f in frames:
            frame = av.VideoFrame.from_ndarray(f, format=src_format)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def mae(a, b) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).mean())


def write_lossless_h264(path, frames: np.ndarray, gaps_ms=None, keyint: int = 24, bframes: int = 2) -> Path:
    """A lossless RGB H.264 file (libx264rgb, qp 0: decoded frames equal ``frames`` exactly) with a keyframe
    every ``keyint`` frames and B-frames. ``gaps_ms``: per-frame display durations in milliseconds (a
    variable frame rate when they differ); default 40 ms each (25 fps)."""
    from fractions import Fraction

    path = Path(path)
    gaps = np.full(len(frames), 40) if gaps_ms is None else np.asarray(gaps_ms)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264rgb", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "rgb24"
        stream.options = {"qp": "0", "x264-params": f"keyint={keyint}:min-keyint={keyint}:bframes={bframes}:"
                                                    "b-adapt=0:scenecut=0"}
        stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for f, gap in zip(frames, gaps):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += int(gap)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
