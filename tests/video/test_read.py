"""video/read.py is the one PyAV decoder; read_first_frames is what the DIGAN projector reads its
observed frames with (apps/digan project), and formats.py the one list of readable suffixes."""
import numpy as np
import pytest
import torch

from tests.data.helpers import counter_frames
from vidsynth.data.storage import DirStorage
from vidsynth.errors import VidsynthError
from vidsynth.video.formats import READ_SUFFIXES, WRITE_SUFFIXES
from vidsynth.video.read import VideoReadError, read_first_frames
from vidsynth.video.write import write_mp4, write_video


def test_first_frames_in_order_and_never_padded(tmp_path):
    write_mp4(tmp_path / "v.mp4", counter_frames(6, 16), fps=8)
    store = DirStorage(tmp_path)
    got = read_first_frames(store, "v.mp4", 4)
    assert got.shape == (4, 16, 16, 3) and got.dtype == np.uint8
    # flat grey levels 0, 3, 6, 9 after H.264 at crf 18: a flat frame comes back within 2 levels, while a
    # neighbouring frame is 3 levels away, so a wrong or repeated frame fails
    assert np.abs(got.reshape(4, -1).mean(1) - [0, 3, 6, 9]).max() < 1.5
    assert len(read_first_frames(store, "v.mp4", 100)) == 6        # a short file gives what it has


def test_unreadable_file_is_a_read_error(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(VideoReadError, match="cannot open as a video"):
        read_first_frames(DirStorage(tmp_path), "bad.mp4", 4)


def test_projector_input_short_video_is_one_clear_error(tmp_path):
    from vidsynth.apps.digan.project import load_frames

    write_mp4(tmp_path / "short.mp4", counter_frames(3, 16), fps=8)
    with pytest.raises(VidsynthError, match="has 3 frames; frame index 4 was asked for"):
        load_frames(str(tmp_path / "short.mp4"), 16, [0, 4])
    (tmp_path / "bad.mp4").write_bytes(b"x" * 100)
    with pytest.raises(VidsynthError, match="cannot decode '.*bad.mp4'"):
        load_frames(str(tmp_path / "bad.mp4"), 16, [0])


def test_suffix_lists(tmp_path):
    # what is written must be readable back, except .npz (arrays, read by the metrics as arrays)
    assert set(WRITE_SUFFIXES) - {".npz"} <= set(READ_SUFFIXES)
    assert ".m4v" in READ_SUFFIXES  # the data loader and the metrics read the same list (see test_fake_sources)
    with pytest.raises(ValueError, match=r"use a \.mp4, \.gif, \.npz file"):
        write_video(tmp_path / "x.avi", torch.zeros(3, 2, 8, 8))
