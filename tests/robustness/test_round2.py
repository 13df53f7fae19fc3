"""The second catalogue of bad inputs, faults and hostile files (issue 14; see docs/robustness.md).

Each test here failed before its fix. Grouped like the issue: silent wrong results first, then data
loss, memory and time attacks, and errors that must be one clear line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from vidsynth.data import open_dataset
from vidsynth.data import videos as videos_mod
from vidsynth.data.sources import open_source
from vidsynth.data.storage import DirStorage
from vidsynth.data.videos import SEEK_MIN_FRAME, DataWarning, probe_video, read_video
from vidsynth.errors import CheckpointError, ConfigError, DatasetError

from . import makers as mk


def _cli(*args, cwd=None, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "vidsynth", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)


def _one_error_line(result):
    """The CLI's contract for bad input: exit code 2, one ``Error: ...`` line, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# ---------------------------------------------------------------------------------------------------
# 1. variable frame rate, B-frames, open GOPs: frame i is the i-th frame shown, also after a seek
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["vfr", "bframes", "opengop"])
def test_seeking_reads_the_right_frames(tmp_path, kind, monkeypatch):
    n = 150
    mk.coded_mp4(tmp_path / "v.mp4", n, kind)
    store = DirStorage(tmp_path)
    meta = probe_video(store, "v.mp4")
    assert meta.num_frames == n
    # the seek path must be the one answering (a fallback to decoding from frame 0 would hide the bug)
    monkeypatch.setattr(videos_mod, "_decode_sequential", lambda *a: pytest.fail("did not seek"))
    for wanted in ([100, 101, 102, 103], [SEEK_MIN_FRAME, 95, 120, n - 1], [71, 72, 73]):
        got = read_video(store, "v.mp4", wanted, None, meta.fps)
        assert [mk.read_code(f) for f in got] == wanted
        got = read_video(store, "v.mp4", wanted, 32, meta.fps)  # resized: still the right frames
        assert [mk.read_code(f) for f in got] == wanted


def test_vfr_video_trains_on_the_right_frames_through_the_dataset(tmp_path):
    """The dataset path for videos too long for the whole-video cache (sources.CACHE_ITEM_BYTES)."""
    from vidsynth.data import sources

    mk.coded_mp4(tmp_path / "v.mp4", 120, "vfr")
    ds = open_dataset(tmp_path, 32, 4, stride=1)
    old = sources.CACHE_ITEM_BYTES
    sources.CACHE_ITEM_BYTES = 0  # force the seek path, as a 1200-frame video at 128 px would
    try:
        clip, _ = ds.clip(0, 100)
    finally:
        sources.CACHE_ITEM_BYTES = old
    frames = clip.permute(1, 2, 3, 0).numpy()  # [T, R, R, 3]
    assert [mk.read_code(f) for f in frames] == [100, 101, 102, 103]
