"""Small builders of good and bad dataset files for the robustness tests (all tiny: 32 px, <= 10 frames)."""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tests.data.helpers import pattern, write_with_pyav

GOOD_FRAMES = 10


def good_mp4(path, frames: int = GOOD_FRAMES, width: int = 32, height: int = 32, seed: int = 0) -> Path:
    """A valid H.264 mp4 (a smooth moving pattern)."""
    return write_with_pyav(path, pattern(frames, height, width, seed), "libx264", "yuv420p")


def mp4_bytes(frames: int = 6, size: int = 16) -> bytes:
    """The bytes of a tiny valid mp4 (for mutation fuzzing)."""
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as c:
        s = c.add_stream("libx264", rate=8)
        s.width = s.height = size
        s.pix_fmt = "yuv420p"
        for f in pattern(frames, size, size):
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return buf.getvalue()


def faststart_mp4(path, frames: int = GOOD_FRAMES) -> Path:
    """An mp4 with its index (moov) at the front: truncating it keeps the header readable."""
    path = Path(path)
    with av.open(str(path), mode="w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("mpeg4", rate=8)
        s.width = s.height = 32
        s.pix_fmt = "yuv420p"
        for f in pattern(frames, 32, 32):
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def audio_only(path) -> Path:
    """A container with one AAC audio stream and no video."""
    path = Path(path)
    with av.open(str(path), mode="w") as c:
        s = c.add_stream("aac", rate=8000)
        samples = np.zeros((1, 1024), dtype=np.float32)
        for i in range(4):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 8000, i * 1024
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def gray_video(path, frames: int = GOOD_FRAMES) -> Path:
    """A lossless FFV1 video in the ``gray`` pixel format (one channel)."""
    rgb = pattern(frames, 32, 32)
    gray = rgb.mean(-1).astype(np.uint8)[..., None]
    return write_with_pyav(path, gray[..., 0], "ffv1", "gray", src_format="gray")


def png_frames(folder, frames: int = GOOD_FRAMES, mode: str = "RGB", size=(32, 32)) -> Path:
    """A frame folder of PNGs in PIL ``mode`` (RGB, L, LA, RGBA, P, I;16)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for t, rgb in enumerate(pattern(frames, size[1], size[0])):
        im = Image.fromarray(rgb)
        if mode == "I;16":
            im = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)  # mode I;16
        elif mode != "RGB":
            im = im.convert(mode)
        im.save(folder / f"frame{t}.png")
    return folder


def png_bytes(size: int = 8, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pattern(1, size, size, seed)[0]).save(buf, format="PNG")
    return buf.getvalue()


def truncate(path, keep: float) -> Path:
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


def zip_of(path, members: dict[str, bytes]) -> Path:
    """A zip with exactly these member names (no sanitising: used to write hostile names)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return Path(path)


class Boom:
    """Unpickling this runs ``open(marker, 'w')``: a stand-in for arbitrary code in a hostile file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def malicious_pickle(path, marker) -> Path:
    """A plain pickle that creates ``marker`` when loaded with ``pickle.load``."""
    Path(path).write_bytes(pickle.dumps({"trainer": Boom(marker), "step": 0}))
    return Path(path)


def png_huge_header() -> bytes:
    """A tiny PNG whose header claims 100000 x 100000 pixels (a decompression bomb to PIL)."""
    import struct
    import zlib

    data = bytearray(png_bytes(1))
    ihdr = bytearray(data[16:29])  # after signature(8) + length(4) + b"IHDR"(4): 13 bytes of fields
    ihdr[0:8] = struct.pack(">II", 100_000, 100_000)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(data)


# --- frames that carry their own index (to catch a reader returning the wrong frame) ---------------

def coded_frame(i: int, size: int = 64) -> np.ndarray:
    """uint8 ``[size, size, 3]``: the 16 bits of ``i`` as a 4x4 grid of black/white cells (bit 0 top-left)."""
    img = np.zeros((size, size, 3), np.uint8)
    c = size // 4
    for b in range(16):
        y, x = divmod(b, 4)
        img[y * c:(y + 1) * c, x * c:(x + 1) * c] = 255 * ((i >> b) & 1)
    return img


def read_code(img: np.ndarray) -> int:
    """The index painted by :func:`coded_frame` (any square size >= 16 px; reads each cell's centre)."""
    c = img.shape[0] // 4
    m = max(c // 4, 0)
    return sum(1 << b for b in range(16)
               if img[(b // 4) * c + m:(b // 4 + 1) * c - m, (b % 4) * c + m:(b % 4 + 1) * c - m].mean() > 127)


def coded_mp4(path, frames: int, kind: str, size: int = 64) -> Path:
    """An H.264 mp4 whose frame ``i`` shows :func:`coded_frame` ``(i)``, keyframe every 24 frames.

    ``kind``: ``"vfr"`` (frame gaps of 10, 33, 50 or 100 ms, no B-frames), ``"bframes"`` (3 B-frames,
    closed GOPs) or ``"opengop"`` (3 B-frames, open GOPs: leading B-frames reference the previous GOP).
    """
    from fractions import Fraction

    params = {"vfr": "keyint=24:min-keyint=24:bframes=0:scenecut=0",
              "bframes": "keyint=24:min-keyint=24:bframes=3:b-adapt=0:scenecut=0",
              "opengop": "keyint=24:min-keyint=24:bframes=3:b-adapt=0:scenecut=0:open-gop=1"}[kind]
    gaps = np.random.default_rng(0).choice([10, 33, 50, 100], frames) if kind == "vfr" else np.full(frames, 33)
    path = Path(path)
    with av.open(str(path), mode="w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width = s.height = size
        s.pix_fmt = "yuv420p"
        s.options = {"x264-params": params}
        s.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(coded_frame(i, size), format="rgb24")
            f.pts, f.time_base = t, Fraction(1, 1000)
            t += int(gaps[i])
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def fifo_unblocker(path, after: float = 5.0, until: float = 60.0):
    """From ``after`` seconds on, keep opening the FIFO ``path`` for writing and closing it: a reader
    blocked on it (the bug under test) gets end-of-file, so a regression fails the test instead of
    hanging the run forever. A separate process, as a reader stuck in a C extension may hold the GIL.
    It stops when ``path`` is gone or after ``until`` seconds."""
    import subprocess
    import sys

    code = ("import os, sys, time\n"
            "path, after, until = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])\n"
            "start = time.time(); time.sleep(after)\n"
            "while os.path.exists(path) and time.time() - start < until:\n"
            "    try:\n"
            "        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))\n"
            "    except OSError:\n"
            "        pass\n"
            "    time.sleep(0.2)\n")
    return subprocess.Popen([sys.executable, "-c", code, str(path), str(after), str(until)])
