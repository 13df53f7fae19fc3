"""A catalogue of bad inputs and what vidsynth does with each (see docs/robustness.md).

Every case ends in one of three ways, never in a traceback from deep inside torch, PyAV or zipfile:

- **skip**: the dataset opens without the file; a ``DataWarning`` names it and ``ds.skipped`` lists it;
- **ignored**: files that are not videos or frames at all are not looked at (no warning);
- **error**: a ``VidsynthError`` subclass whose message names the file and says what to do
  (the CLI prints it as one ``Error: ...`` line and exits with code 2).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vidsynth.data import iterate_batches, open_dataset
from vidsynth.data.convert import convert_dataset
from vidsynth.data.videos import DataWarning
from vidsynth.errors import CheckpointError, ConfigError, DatasetError

from . import makers as mk

R, T = 16, 4  # clip size used throughout: 16 px, 4 frames


def read_all(ds, stride_ok=True):
    """Read the first and last clip of every video; check shape and dtype."""
    for i in range(ds.num_videos):
        for start in (0, ds.num_frames(i) - ds.span):
            clip, label = ds.clip(i, start)
            assert clip.shape == (3, ds.frames, ds.resolution, ds.resolution) and clip.dtype == torch.uint8


# ---------------------------------------------------------------------------------------------------
# skip: one bad item next to a good video -> the dataset opens with the good one, the bad one is named
# ---------------------------------------------------------------------------------------------------

def _random_bytes(root):
    (root / "noise.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return "noise.mp4"


def _text_avi(root):
    (root / "notes.avi").write_text("this is not a video, just some text\n" * 20)
    return "notes.avi"


def _zero_byte(root):
    (root / "empty.mp4").write_bytes(b"")
    return "empty.mp4"


def _truncated(root):
    mk.truncate(mk.good_mp4(root / "cut.mp4"), 0.4)  # index (moov) is at the end: lost
    return "cut.mp4"


def _audio_only(root):
    mk.audio_only(root / "sound.m4v")
    return "sound.m4v"


def _one_frame(root):
    mk.good_mp4(root / "still.mp4", frames=1)
    return "still.mp4"


def _short_for_stride(root):
    mk.good_mp4(root / "short.mp4", frames=5)  # 4 frames at stride 2 need 7
    return "short.mp4"


def _empty_frame_file(root):
    folder = mk.png_frames(root / "clipA", frames=6)
    (folder / "frame3.png").write_bytes(b"")
    return "clipA"


def _corrupt_first_frame(root):
    folder = mk.png_frames(root / "clipB", frames=6)
    (folder / "frame0.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    return "clipB"


def _short_frame_folder(root):
    mk.png_frames(root / "clipC", frames=2)
    return "clipC"


SKIP_CASES = {
    # name: (builder, open_dataset kwargs, words expected in the reason)
    "zero_byte_video": (_zero_byte, {}, "0 bytes"),
    "truncated_mp4_index_lost": (_truncated, {}, "cannot open"),
    "random_bytes_named_mp4": (_random_bytes, {}, "cannot open"),
    "text_file_named_avi": (_text_avi, {}, "cannot open"),
    "audio_only_file": (_audio_only, {}, "no video stream"),
    "one_frame_video": (_one_frame, {}, "only 1 frames"),
    "video_too_short_for_frames_x_stride": (_short_for_stride, {"stride": 2}, "at stride 2"),
    "frame_folder_with_empty_frame": (_empty_frame_file, {}, "empty frame file"),
    "frame_folder_with_corrupt_first_frame": (_corrupt_first_frame, {}, "cannot read frame"),
    "frame_folder_too_short": (_short_frame_folder, {}, "only 2 frames"),
}


@pytest.mark.parametrize("case", SKIP_CASES, ids=list(SKIP_CASES))
def test_bad_file_is_skipped_and_named(tmp_path, case):
    build, kwargs, reason = SKIP_CASES[case]
    mk.good_mp4(tmp_path / "good.mp4")
    bad = build(tmp_path)
    with pytest.warns(DataWarning) as record:
        ds = open_dataset(tmp_path, R, T, **kwargs)
    assert ds.num_videos == 1 and ds.video_name(0) == "good.mp4"
    assert len(ds.skipped) == 1
    path, why = ds.skipped[0]
    assert path.endswith(bad) and reason in why, ds.skipped
    assert any(bad in str(w.message) for w in record), [str(w.message) for w in record]
    read_all(ds)


# ---------------------------------------------------------------------------------------------------
# ignored: not a video or image by its name -> not looked at, no warning
# ---------------------------------------------------------------------------------------------------

IGNORED = {
    "txt_and_json_in_video_folder": ["readme.txt", "meta.json", "subs.srt"],
    "hidden_files_and_folders": [".DS_Store", ".hidden.mp4", ".cache/x.mp4"],
}


@pytest.mark.parametrize("case", IGNORED, ids=list(IGNORED))
def test_non_video_files_are_ignored(tmp_path, case):
    mk.good_mp4(tmp_path / "good.mp4")
    for name in IGNORED[case]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"not a video")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        ds = open_dataset(tmp_path, R, T)
    assert ds.num_videos == 1 and ds.skipped == []


# ---------------------------------------------------------------------------------------------------
# works: unusual but valid inputs are read as RGB uint8
# ---------------------------------------------------------------------------------------------------

def _png_mode(mode):
    def build(root):
        mk.png_frames(root / f"v_{mode.replace(';', '')}", mode=mode)
    return build


def _gray_video(root):
    mk.gray_video(root / "gray.mkv")


def _mixed_sizes(root):
    mk.good_mp4(root / "wide.mp4", width=64, height=16)
    mk.good_mp4(root / "tall.mp4", width=16, height=48)
    mk.png_frames(root / "small", size=(8, 8))  # upsampled
    (root / "mixed").mkdir()
    mk.png_frames(root / "mixed", size=(32, 32), frames=5)
    mk.png_frames(root / "tmp5", size=(20, 40), frames=5)
    for k in range(5):  # frames of different sizes within one folder
        os.replace(root / "tmp5" / f"frame{k}.png", root / "mixed" / f"frame{k + 5}.png")


def _unicode_paths(root):
    mk.good_mp4(root / "vidéos d'été" / "猫 clip #1.mp4")
    mk.png_frames(root / "кадры с пробелом")


WORKS = {
    "grayscale_png_L": (_png_mode("L"), 1),
    "grayscale_alpha_png_LA": (_png_mode("LA"), 1),
    "rgba_png": (_png_mode("RGBA"), 1),
    "palette_png_P": (_png_mode("P"), 1),
    "16bit_png": (_png_mode("I;16"), 1),
    "gray_pixel_format_video": (_gray_video, 1),
    "mixed_resolutions_and_aspect_ratios": (_mixed_sizes, 4),
    "non_ascii_and_space_paths": (_unicode_paths, 2),
}


@pytest.mark.parametrize("case", WORKS, ids=list(WORKS))
def test_unusual_valid_inputs_work(tmp_path, case):
    build, videos = WORKS[case]
    root = tmp_path / "data set"
    root.mkdir()
    build(root)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        ds = open_dataset(root, R, T)
    assert ds.num_videos == videos and ds.skipped == []
    read_all(ds)
    if "gray" in case or "16bit" in case:
        clip = ds.clip(0, 0)[0].int()
        assert (clip[0] - clip[1]).abs().max() <= 2 and (clip[0] - clip[2]).abs().max() <= 2  # stays gray
        assert clip.float().std() > 5  # and is not blank (16-bit scaled, not clipped)


# ---------------------------------------------------------------------------------------------------
# error: nothing usable -> DatasetError naming the path and what to do
# ---------------------------------------------------------------------------------------------------

def _empty_folder(tmp):
    (tmp / "empty").mkdir()
    return tmp / "empty", ["no usable videos", "empty", "Expected"]


def _only_unreadable(tmp):
    root = tmp / "junk"
    root.mkdir()
    _random_bytes(root)
    _zero_byte(root)
    _text_avi(root)
    return root, ["3 found, all skipped", "noise.mp4", "empty.mp4", "notes.avi"]


def _missing(tmp):
    return tmp / "nowhere", ["not found", "nowhere"]


def _random_zip(tmp):
    (tmp / "data.zip").write_bytes(os.urandom(2000))
    return tmp / "data.zip", ["cannot open zip", "data.zip"]


def _truncated_zip(tmp):
    root = tmp / "src"
    mk.png_frames(root / "a")
    with zipfile.ZipFile(tmp / "cut.zip", "w") as zf:
        for p in sorted((root / "a").iterdir()):
            zf.write(p, f"a/{p.name}")
    mk.truncate(tmp / "cut.zip", 0.7)  # central directory lost
    return tmp / "cut.zip", ["cannot open zip", "cut.zip"]


def _all_too_short(tmp):
    root = tmp / "short"
    mk.good_mp4(root / "a.mp4", frames=2)
    return root, ["all skipped", "a.mp4", "only 2 frames", "Shorter clips"]


def _single_file(tmp):
    return mk.good_mp4(tmp / "one.mp4"), ["single video file", "give the folder"]


def _text_file_spec(tmp):
    (tmp / "list.txt").write_text("a.mp4\n")
    return tmp / "list.txt", ["not a dataset", "list.txt"]


DATASET_ERRORS = {
    "empty_folder": _empty_folder,
    "folder_of_only_unreadable_files": _only_unreadable,
    "missing_path": _missing,
    "random_bytes_named_zip": _random_zip,
    "truncated_zip": _truncated_zip,
    "every_video_too_short": _all_too_short,
    "single_video_file_as_dataset": _single_file,
    "text_file_as_dataset": _text_file_spec,
}


@pytest.mark.parametrize("case", DATASET_ERRORS, ids=list(DATASET_ERRORS))
def test_unusable_dataset_is_a_clear_error(tmp_path, case):
    spec, words = DATASET_ERRORS[case](tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(DatasetError) as err:
            ds = open_dataset(spec, R, T)
            read_all(ds)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
