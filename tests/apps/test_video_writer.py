"""The streaming writer: frames appended chunk by chunk come back in order, with the right size."""
import numpy as np
import pytest
import torch

from vidsynth.data.storage import DirStorage
from vidsynth.video.read import read_first_frames
from vidsynth.video.stream import VideoStreamWriter


def _decode(path, count=10_000):
    return read_first_frames(DirStorage(path.parent), path.name, count)  # [T, H, W, 3] uint8


def test_mp4_chunks_make_one_video(tmp_path):
    path = tmp_path / "v.mp4"
    with VideoStreamWriter(path, fps=8) as w:
        for k in range(5):
            chunk = torch.full((3, 7, 16, 16), -1 + 0.4 * k)      # 7 flat frames of one grey level
            w.write(chunk)
    frames = _decode(path)
    assert frames.shape == (35, 16, 16, 3)
    levels = frames.reshape(35, -1).mean(1)
    assert np.all(np.diff(levels[::7]) > 0)                         # chunk order kept
    assert w.frames_written == 35


def test_odd_size_uint8_frames(tmp_path):
    path = tmp_path / "odd.mp4"
    with VideoStreamWriter(path) as w:
        w.write(np.zeros((3, 15, 17, 3), np.uint8))
        w.write(np.zeros((2, 15, 17, 3), np.uint8))
    assert _decode(path).shape == (5, 16, 18, 3)                   # padded by one edge pixel for yuv420p


def test_png_folder(tmp_path):
    with VideoStreamWriter(tmp_path / "frames") as w:
        w.write(torch.zeros(3, 2, 8, 8))
        w.write(torch.zeros(3, 3, 8, 8))
    assert sorted(p.name for p in (tmp_path / "frames").iterdir())[-1] == "000004.png"


def test_error_leaves_no_file_and_size_is_checked(tmp_path):
    path = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match="chunk frames"):
        with VideoStreamWriter(path) as w:
            w.write(torch.zeros(3, 2, 8, 8))
            w.write(torch.zeros(3, 2, 10, 10))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="cannot stream"):
        VideoStreamWriter(tmp_path / "x.gif")
