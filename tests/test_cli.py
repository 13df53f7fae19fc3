"""The command line: help, errors without tracebacks, train -> generate round trip."""
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from vidsynth.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_help_lists_commands_with_examples():
    out = invoke("--help").output
    for cmd in ("demo", "train", "generate", "dataset"):
        assert cmd in out
    assert "Examples" in invoke("train", "--help").output
    assert "Examples" in invoke("generate", "--help").output


def test_show_config_resolves_preset_and_overrides():
    res = invoke("train", "--method", "digan", "--preset", "tiny", "--set", "lr=0.001", "--frames", "8", "--show-config")
    cfg = json.loads(res.output)
    assert cfg["method"]["lr"] == 0.001 and cfg["method"]["frames"] == 8 and cfg["method"]["resolution"] == 32


def test_user_errors_are_one_line_not_tracebacks(tmp_path):
    cases = [
        ["train", "--preset", "tiny", "--set", "learnrate=1"],
        ["train", "--preset", "tiny", "--resolution", "48"],
        ["train", "--preset", "test", "--data", str(tmp_path / "missing"), "--outdir", str(tmp_path)],
        ["generate", str(tmp_path), "--out", str(tmp_path / "x.mp4")],
    ]
    for args in cases:
        proc = subprocess.run([sys.executable, "-m", "vidsynth", *args], capture_output=True, text=True)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.startswith("Error:"), proc.stderr


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    res = invoke("train", "--method", "digan", "--preset", "test", "--data", "builtin:scene", "--kimg", "0.008",
                 "--outdir", out, "--workers", "0", "--quiet", "--device", "cpu")
    assert "Run folder" in res.output
    return next(out.iterdir())


def test_generate_formats(run, tmp_path):
    invoke("generate", run, "--n", "4", "--frames", "6", "--out", tmp_path / "grid.mp4")
    assert (tmp_path / "grid.mp4").stat().st_size > 0
    invoke("generate", run, "--n", "2", "--frames", "6", "--out", tmp_path / "gifs", "--format", "gif")
    assert sorted(p.name for p in (tmp_path / "gifs").iterdir()) == ["video0000.gif", "video0001.gif"]
    invoke("generate", run, "--n", "2", "--frames", "3", "--out", tmp_path / "png", "--format", "png")
    assert len(list((tmp_path / "png" / "video0001").glob("*.png"))) == 3
    invoke("generate", run, "--n", "3", "--frames", "5", "--seed", "4", "--out", tmp_path / "a.npz")
    invoke("generate", run, "--n", "3", "--frames", "5", "--seed", "4", "--out", tmp_path / "b.npz",
           "--batch-size", "1")
    a, b = np.load(tmp_path / "a.npz")["videos"], np.load(tmp_path / "b.npz")["videos"]
    assert a.shape == (3, 5, 16, 16, 3) and a.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1   # same seed -> same videos


def test_generated_mp4_decodes_to_what_was_sampled(run, tmp_path):
    import av
    import torch

    import vidsynth
    from vidsynth.video.write import to_uint8_frames, write_video

    video = vidsynth.load(run).sample(1, frames=8, seed=1)[0]
    write_video(tmp_path / "v.mp4", video)
    with av.open(str(tmp_path / "v.mp4")) as c:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    assert frames.shape == (8, 16, 16, 3)
    expected = to_uint8_frames(video).astype(float)
    assert np.abs(frames.astype(float) - expected).mean() < 12   # lossy H.264 at 16 px, but the same video
