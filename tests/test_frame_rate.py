"""Fractional frame rates are kept exactly (30000/1001 is not 30) by every writer and the stored metadata."""
from fractions import Fraction

import av
import numpy as np
import pytest
import torch

from vidsynth.video.frame_rate import frame_rate, rate_to_json
from vidsynth.video.stream import VideoStreamWriter
from vidsynth.video.write import write_mp4

NTSC = Fraction(30000, 1001)


def stream_rate(path) -> Fraction:
    with av.open(str(path)) as c:
        return c.streams.video[0].average_rate


def test_frame_rate_spellings():
    assert frame_rate("30000/1001") == NTSC and frame_rate(29.97) == NTSC and frame_rate("29.97") == NTSC
    assert frame_rate(23.976) == Fraction(24000, 1001) and frame_rate(8) == 8 and frame_rate(12.5) == Fraction(25, 2)
    assert rate_to_json(NTSC) == "30000/1001" and rate_to_json(8.0) == 8
    for bad in ("0", "-3", "nan", "fast", True):
        with pytest.raises(ValueError):
            frame_rate(bad)


@pytest.mark.parametrize("fps", ["30000/1001", 29.97, NTSC])
def test_mp4_keeps_ntsc_rate(tmp_path, fps):
    frames = np.zeros((6, 16, 16, 3), np.uint8)
    write_mp4(tmp_path / "a.mp4", frames, fps=fps)
    assert stream_rate(tmp_path / "a.mp4") == NTSC


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_stream_writer_keeps_fractional_rate(tmp_path, suffix):
    with VideoStreamWriter(tmp_path / f"a{suffix}", fps="24000/1001") as out:
        out.write(np.zeros((5, 16, 16, 3), np.uint8))
    assert stream_rate(tmp_path / f"a{suffix}") == Fraction(24000, 1001)


def test_sampler_and_generate_keep_the_run_rate(tmp_path):
    from click.testing import CliRunner

    from vidsynth.cli import main
    from vidsynth.models.sampler_base import Sampler

    assert Sampler(torch.nn.Identity(), {"fps": "30000/1001"}).fps == NTSC
    assert Sampler(torch.nn.Identity(), {"fps": 8}).fps == 8
    result = CliRunner().invoke(main, ["dataset", "preview", "builtin:shapes", "-o", str(tmp_path / "p.mp4"),
                                       "-r", "16", "-t", "4", "--n", "1", "--fps", "30000/1001"])
    assert result.exit_code == 0, result.output
    assert stream_rate(tmp_path / "p.mp4") == NTSC
    bad = CliRunner().invoke(main, ["dataset", "preview", "builtin:shapes", "-o", str(tmp_path / "q.mp4"),
                                    "--fps", "fast"])
    assert bad.exit_code == 2 and "is not a frame rate" in bad.output


def test_dataset_info_shows_the_exact_rate(tmp_path):
    from vidsynth.data.info import dataset_info

    write_mp4(tmp_path / "v" / "a.mp4", np.zeros((4, 16, 16, 3), np.uint8), fps="30000/1001")
    write_mp4(tmp_path / "v" / "b.mp4", np.zeros((4, 16, 16, 3), np.uint8), fps=25)
    assert dataset_info(tmp_path / "v")["fps"] == {"29.97 (30000/1001)": 1, "25": 1}
