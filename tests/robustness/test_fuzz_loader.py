"""Property-based fuzzing of the dataset loader: whatever bytes sit in a dataset folder or zip,
``open_dataset`` + reading clips either works (right shape and dtype) or raises ``DatasetError``
(skipped files come with a ``DataWarning``) -- never another exception, never a hang.

Deterministic by default (the ``ci`` profile: 30 fixed examples per test, a few seconds each);
``HYPOTHESIS_PROFILE=fuzz pytest tests/robustness/test_fuzz_loader.py`` explores 500 random ones.
"""
from __future__ import annotations

import io
import os
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidsynth.data import open_dataset
from vidsynth.errors import DatasetError

from . import makers as mk

_COMMON = dict(deadline=20_000, database=None, suppress_health_check=list(HealthCheck))
settings.register_profile("ci", max_examples=30, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=500, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

R, T = 8, 2  # tiny clips keep each example fast


@lru_cache(maxsize=None)
def seed_mp4() -> bytes:
    return mk.mp4_bytes(frames=6, size=16)


@lru_cache(maxsize=None)
def seed_png() -> bytes:
    return mk.png_bytes(8)


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` with a few random edits: byte overwrites, a truncation, an inserted or deleted run."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[pos] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del out[pos:pos + draw(st.integers(1, 64))]
    return bytes(out)


random_bytes = st.binary(min_size=0, max_size=2048)
video_suffix = st.sampled_from([".mp4", ".avi", ".webm", ".mkv", ".mov", ".gif"])


def check_dataset(spec) -> int:
    """The property: open + read the first and last clip of every video (strict and training paths).
    Returns how many videos read without any error (0 when the dataset was refused), so callers can
    require that valid files are still accepted: a loader refusing everything would satisfy the property."""
    good = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = open_dataset(spec, R, T)
        except DatasetError:
            return 0
        for i in range(ds.num_videos):
            ok = True
            for start in {0, ds.num_frames(i) - ds.span}:
                for read in (lambda: ds.clip(i, start), lambda: ds[(i, start, True)]):
                    try:
                        clip, label = read()
                    except DatasetError as e:
                        assert str(e), "a DatasetError must say what is wrong"
                        ok = False
                        continue
                    assert clip.shape == (3, T, R, R) and clip.dtype == torch.uint8 and label == -1
            good += ok
    return good


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def run_in_folder_and_zip(files: dict[str, bytes], zip_mutation: bytes | None = None) -> tuple[int, int]:
    """``check_dataset`` on the files as a folder and as a zip: (good videos in the folder, in the zip)."""
    with tempfile.TemporaryDirectory() as tmp:
        in_folder = check_dataset(write_files(Path(tmp) / "folder", files))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        (Path(tmp) / "d.zip").write_bytes(buf.getvalue() if zip_mutation is None else zip_mutation)
        return in_folder, check_dataset(Path(tmp) / "d.zip")


def test_valid_files_are_accepted():
    """The control for every property below: the unmutated seed files load and read in full, as a folder
    and as a zip (otherwise "refuses everything" would pass the fuzz tests)."""
    files = {"ok.mp4": seed_mp4(), **{f"v/{k}.png": seed_png() for k in range(4)}}
    assert run_in_folder_and_zip(files) == (2, 2)


@PROFILE
@given(data=random_bytes, suffix=video_suffix)
def test_random_bytes_as_a_video(data, suffix):
    run_in_folder_and_zip({f"x{suffix}": data})


@PROFILE
@given(data=st.data())
def test_mutated_mp4(data):
    """A damaged mp4 is skipped or refused cleanly, and the intact one next to it still loads and reads."""
    bad = data.draw(mutated(seed_mp4()))
    good = run_in_folder_and_zip({"ok.mp4": seed_mp4(), "bad.mp4": bad})
    assert min(good) >= 1, "a damaged file next to a good one must not take the good one down"


@PROFILE
@given(data=st.data(), which=st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
def test_mutated_png_frames(data, which):
    frames = {f"v/{k}.png": data.draw(mutated(seed_png())) if k in which else seed_png() for k in range(4)}
    run_in_folder_and_zip(frames)


@PROFILE
@given(data=st.data())
def test_mutated_zip(data):
    files = {"v/0.png": seed_png(), "v/1.png": seed_png(), "w.mp4": seed_mp4()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.zip"
        path.write_bytes(data.draw(mutated(buf.getvalue())))
        check_dataset(path)
