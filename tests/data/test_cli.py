"""``vidsynth dataset info|convert|preview`` through click's CliRunner."""
import json
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from vidsynth.cli import main
from vidsynth.data import open_dataset
from vidsynth.video.write import write_gif, write_mp4

from .helpers import mae, pattern
from .test_frames_zip import png_bytes, write_zip


def run(*args):
    result = CliRunner().invoke(main, ["dataset", *map(str, args)])
    return result


@pytest.fixture
def videos(tmp_path):
    root = tmp_path / "videos"
    write_mp4(root / "cats" / "clip 1.mp4", pattern(12, 48, 64, seed=1), fps=8)
    write_mp4(root / "dogs" / "clip2.mp4", pattern(10, 32, 32, seed=2), fps=8)
    write_gif(root / "dogs" / "clip10.gif", pattern(9, 32, 32, seed=3), fps=10)
    (root / "dogs" / "broken.mp4").write_bytes(b"\x00" * 100)
    return root


def test_info_text_and_json(videos):
    result = run("info", videos, "--labels", "folders")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "videos       3" in out and "31 in all" in out and "64x48 (1)" in out and "32x32 (2)" in out
    assert "cats (1)" in out and "dogs (2)" in out and "broken.mp4" in out
    info = json.loads(run("info", videos, "--json", "--labels", "folders").output)
    assert info["num_videos"] == 3 and info["total_frames"] == 31
    assert info["lengths"] == {"min": 9, "median": 10.0, "max": 12}
    assert info["resolutions"] == {"32x32": 2, "64x48": 1} and info["fps"] == {"8": 2, "10": 1}
    assert info["classes"] == {"cats": 1, "dogs": 2}
    assert [s["path"].endswith("broken.mp4") for s in info["skipped"]] == [True]
    builtin = json.loads(run("info", "builtin:shapes", "--json").output)
    assert builtin["num_videos"] == 4096 and builtin["lengths"]["max"] == 128


def test_info_missing_path_is_a_clear_error(tmp_path):
    result = run("info", tmp_path / "nope")
    assert result.exit_code != 0 and "not found" in str(result.exception)


def test_convert_round_trip(videos, tmp_path):
    dst = tmp_path / "out" / "data.zip"
    result = run("convert", videos, dst, "--resolution", 16, "--labels", "folders", "-q")
    assert result.exit_code == 0, result.output
    assert "3 videos, 31 frames at 16x16, 2 classes; 1 files skipped" in result.output
    names = zipfile.ZipFile(dst).namelist()
    assert "cats/clip_1/000000.png" in names and "dogs/clip10/000008.png" in names and "labels.json" in names
    assert [p.name for p in dst.parent.iterdir()] == ["data.zip"]  # no temp file left behind
    src = open_dataset(videos, 16, 8, labels="folders")
    conv = open_dataset(dst, 16, 8)  # labels come from the zip's labels.json
    assert conv.class_names == src.class_names == ["cats", "dogs"]
    assert [conv.video_name(i) for i in range(3)] == ["cats/clip_1", "dogs/clip2", "dogs/clip10"]
    for i in range(3):
        a, la = src.clip(i, 1)
        b, lb = conv.clip(i, 1)
        assert la == lb and a.shape == b.shape and mae(a.numpy(), b.numpy()) < 1  # png is lossless
    # refuses to overwrite without --force
    result = run("convert", videos, dst, "-r", 8, "-q")
    assert result.exit_code != 0 and "--force" in str(result.exception)
    assert run("convert", videos, dst, "-r", 8, "-q", "--force", "--max-frames", 4, "--fps-stride", 2).exit_code == 0
    again = open_dataset(dst, 8, 4)
    assert again.num_frames(0) == 4
    assert mae(again.clip(0, 0)[0].numpy(), src.source.read(0, [0, 2, 4, 6], 8).transpose(3, 0, 1, 2)) < 1


def test_convert_builtin_subset(tmp_path):
    dst = tmp_path / "s.zip"
    assert run("convert", "builtin:scene", dst, "-r", 16, "--max-videos", 3, "--max-frames", 5, "-q").exit_code == 0
    ds = open_dataset(dst, 16, 5)
    assert ds.num_videos == 3
    assert np.array_equal(ds.clip(2, 0)[0], open_dataset("builtin:scene", 16, 5).clip(2, 0)[0])


def test_convert_never_writes_outside_destination(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    frames = pattern(3, 16, 16)
    members = {f"../evil/{k}.png": png_bytes(f) for k, f in enumerate(frames)}
    members.update({f"/abs/{k}.png": png_bytes(f) for k, f in enumerate(frames)})
    members["../../escape.png"] = png_bytes(frames[0])
    src = write_zip(work / "src.zip", members)
    before = sorted(p for p in tmp_path.rglob("*"))
    result = run("convert", src, work / "out" / "dst.zip", "-r", 8, "-q")
    assert result.exit_code == 0, result.output
    after = sorted(p for p in tmp_path.rglob("*"))
    assert set(after) - set(before) == {work / "out", work / "out" / "dst.zip"}
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "escape.png").exists()
    names = zipfile.ZipFile(work / "out" / "dst.zip").namelist()
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    assert sorted({n.rsplit("/", 1)[0] for n in names}) == ["abs", "evil", "video"]  # root frames -> "video"


def test_preview(tmp_path):
    out = tmp_path / "p.png"
    result = run("preview", "builtin:shapes", "--out", out, "-r", 16, "-t", 4, "--n", 3)
    assert result.exit_code == 0, result.output
    assert np.asarray(Image.open(out)).shape == (48, 64, 3)
    assert run("preview", "builtin:scene", "-o", tmp_path / "p.mp4", "-r", 16, "-t", 4, "--n", 4).exit_code == 0
    assert (tmp_path / "p.mp4").stat().st_size > 0


def test_help_has_examples():
    for cmd in ([], ["info"], ["convert"], ["preview"]):
        out = run(*cmd, "--help").output
        assert "Examples:" in out
    assert "default: 1" in run("convert", "--help").output
