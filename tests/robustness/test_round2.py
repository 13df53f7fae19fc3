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
from vidsynth.data.sources import open_source
from vidsynth.data.storage import DirStorage
from vidsynth.data.videos import DataWarning, probe_video
from vidsynth.errors import CheckpointError, ConfigError, DatasetError
from vidsynth.video import read as video_read
from vidsynth.video.read import SEEK_MIN_FRAME, read_video

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
    monkeypatch.setattr(video_read, "_decode_sequential", lambda *a: pytest.fail("did not seek"))
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


# ---------------------------------------------------------------------------------------------------
# 3. rotation metadata: mp4 display matrix, JPEG EXIF orientation
# ---------------------------------------------------------------------------------------------------

def _landscape_with_corner():
    img = np.zeros((32, 64, 3), np.uint8)  # [H=32, W=64]: landscape, white 8x8 top-left corner
    img[:8, :8] = 255
    return img


@pytest.mark.parametrize("degrees,corner", [(90, "bottom-left"), (-90, "top-right"), (180, "bottom-right")])
def test_mp4_display_rotation_is_applied(tmp_path, degrees, corner):
    img = _landscape_with_corner()
    with av.open(str(tmp_path / "phone.mp4"), "w") as c:
        s = c.add_stream("libx264", rate=8)
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        s.set_display_rotation(degrees)  # counter-clockwise degrees, as a phone stores portrait video
        for _ in range(4):
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    store = DirStorage(tmp_path)
    meta = probe_video(store, "phone.mp4")
    turned = degrees % 180 != 0
    assert (meta.width, meta.height) == ((32, 64) if turned else (64, 32))
    frame = read_video(store, "phone.mp4", [0], None)[0]
    expected = np.rot90(img, (degrees // 90) % 4)
    assert frame.shape == expected.shape
    # lossy codec: compare the bright 8x8 corner only (255 vs 0, far beyond H.264's few levels of error)
    h, w = frame.shape[:2]
    corners = {"top-left": frame[:8, :8], "top-right": frame[:8, w - 8:], "bottom-left": frame[h - 8:, :8],
               "bottom-right": frame[h - 8:, w - 8:]}
    assert {k for k, v in corners.items() if v.mean() > 200} == {corner}


def test_jpeg_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    folder = tmp_path / "clip"
    folder.mkdir()
    for t in range(4):
        im = Image.fromarray(_landscape_with_corner())
        exif = im.getexif()
        exif[0x0112] = 6  # "rotate 90 clockwise to display"
        im.save(folder / f"{t}.jpg", exif=exif, quality=95)
    src = open_source(tmp_path)
    assert (src.records[0].width, src.records[0].height) == (32, 64)
    frame = src.read(0, [0], None)[0]
    assert frame.shape == (64, 32, 3)
    assert frame[:8, 32 - 8:].mean() > 200 and frame[:8, :8].mean() < 50  # top-left went to top-right


# ---------------------------------------------------------------------------------------------------
# 10. a second video stream (cover art) is not read in place of the film; duplicate zip names refused
# ---------------------------------------------------------------------------------------------------

def test_multi_stream_mkv_reads_the_stream_with_most_frames(tmp_path):
    with av.open(str(tmp_path / "film.mkv"), "w") as c:
        cover = c.add_stream("mjpeg", rate=1)
        cover.width = cover.height = 64
        cover.pix_fmt = "yuvj420p"
        film = c.add_stream("libx264", rate=8)
        film.width = film.height = 64
        film.pix_fmt = "yuv420p"
        for p in cover.encode(av.VideoFrame.from_ndarray(np.full((64, 64, 3), 200, np.uint8), format="rgb24")):
            c.mux(p)
        for p in cover.encode():
            c.mux(p)
        for i in range(20):
            for p in film.encode(av.VideoFrame.from_ndarray(mk.coded_frame(i), format="rgb24")):
                c.mux(p)
        for p in film.encode():
            c.mux(p)
    store = DirStorage(tmp_path)
    assert probe_video(store, "film.mkv").num_frames == 20
    got = read_video(store, "film.mkv", [0, 5, 19], None)
    assert [mk.read_code(f) for f in got] == [0, 5, 19]


def test_duplicate_zip_member_names_are_refused(tmp_path):
    png_a, png_b = mk.png_bytes(16, seed=1), mk.png_bytes(16, seed=2)
    path = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's own "Duplicate name" warning
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("v/0.png", png_a)
            zf.writestr("v/1.png", png_a)
            zf.writestr("v/0.png", png_b)
    with pytest.raises(DatasetError, match="two members named 'v/0.png'.*ambiguous"):
        open_source(path)


# ---------------------------------------------------------------------------------------------------
# 14. memory: frames resized as decoded, a per-frame pixel cap, zip members' real size checked
# ---------------------------------------------------------------------------------------------------

def test_large_video_frames_are_resized_as_decoded(tmp_path):
    from tests.data.helpers import pattern, write_with_pyav

    write_with_pyav(tmp_path / "big.mp4", pattern(16, 1024, 1024), "libx264", "yuv420p")
    store = DirStorage(tmp_path)
    read_video(store, "big.mp4", [0], 16)  # warm up PyAV / torch allocations outside the measurement
    tracemalloc.start()
    try:
        clip = read_video(store, "big.mp4", range(16), 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert clip.shape == (16, 16, 16, 3)
    full = 1024 * 1024 * 3  # one decoded RGB frame: 3 MiB. Holding all 16 before resizing was 48 MiB;
    assert peak < 6 * full, peak  # resizing as decoded keeps <= 2 waiting (8 MiB budget) + the one being made


def test_large_png_frames_are_resized_as_read(tmp_path):
    from PIL import Image

    folder = tmp_path / "clip"
    folder.mkdir()
    for t in range(8):
        Image.fromarray(np.full((1024, 1024, 3), t * 30, np.uint8)).save(folder / f"{t}.png", compress_level=1)
    src = open_source(tmp_path)
    src.read(0, [0], 16)
    tracemalloc.start()
    try:
        clip = src.read(0, range(8), 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert clip.shape == (8, 16, 16, 3) and clip[7].mean() == 210
    assert peak < 4 * 1024 * 1024 * 3, peak  # all 8 full frames held at once was 24 MiB; now one or two


def test_frames_above_the_pixel_cap_are_skipped_naming_their_size(tmp_path, monkeypatch):
    from PIL import Image

    mk.good_mp4(tmp_path / "wide.mp4", width=64, height=48)
    mk.png_frames(tmp_path / "frames", size=(80, 40))
    mk.good_mp4(tmp_path / "ok.mp4", width=32, height=32)
    monkeypatch.setenv("VIDSYNTH_MAX_FRAME_PIXELS", "2000")  # 32x32 = 1024 fits; 64x48, 80x40 do not
    with pytest.warns(DataWarning):
        src = open_source(tmp_path)
    assert [r.name for r in src.records] == ["ok.mp4"]
    reasons = dict((Path(p).name, r) for p, r in src.skipped)
    assert "64x48" in reasons["wide.mp4"] and "VIDSYNTH_MAX_FRAME_PIXELS" in reasons["wide.mp4"]
    assert "80x40" in reasons["frames"]
    monkeypatch.setenv("VIDSYNTH_MAX_FRAME_PIXELS", "lots")
    with pytest.raises(ConfigError, match="VIDSYNTH_MAX_FRAME_PIXELS"):
        open_source(tmp_path)


def test_zip_member_is_refused_past_its_inflated_size(tmp_path, monkeypatch):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("v/0.png", mk.png_bytes(16))
        zf.writestr("w.mp4", b"\0" * (3 << 20))  # 3 MiB of zeros: about 3 KB compressed
    monkeypatch.setenv("VIDSYNTH_MAX_ZIP_MEMBER_BYTES", str(1 << 20))
    with pytest.warns(DataWarning, match="w.mp4.*3145728 bytes.*VIDSYNTH_MAX_ZIP_MEMBER_BYTES"):
        src = open_source(path)
    assert [r.name for r in src.records] == ["v"]
    # a header that understates the size gains nothing: zipfile stops at the declared size
    from vidsynth.data.zipdata import ZipStorage

    store = ZipStorage(path)
    store.members()["w.mp4"].file_size = 10
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        store.read_bytes("w.mp4")


# ---------------------------------------------------------------------------------------------------
# 4. symbolic link loops; 5. run folders are never data, and an outdir inside the data is refused
# ---------------------------------------------------------------------------------------------------

def test_symlink_loops_count_each_video_once(tmp_path):
    mk.good_mp4(tmp_path / "data" / "a.mp4")
    mk.png_frames(tmp_path / "data" / "clip", frames=4)
    (tmp_path / "data" / "x").symlink_to(".")  # one loop made 1 video count as 41
    (tmp_path / "data" / "y").symlink_to("..")  # two loops made 2^40 paths (a hang)
    (tmp_path / "data" / "same.mp4").symlink_to("a.mp4")  # one file under two names
    with pytest.warns(DataWarning, match=r"\b3 folder\(s\) or file\(s\) reached a second time through symbolic links"):
        names = DirStorage(tmp_path / "data").list_files()
    assert names == ["a.mp4", "clip/frame0.png", "clip/frame1.png", "clip/frame2.png", "clip/frame3.png"]


def test_run_folders_are_not_data(tmp_path):
    mk.good_mp4(tmp_path / "data" / "a.mp4")
    run = tmp_path / "data" / "runs" / "00000-digan-data"
    mk.good_mp4(run / "samples-latest.mp4")
    (run / "config.json").write_text("{}")
    (run / "stats.jsonl").write_text("")
    early = tmp_path / "data" / "runs" / "00001-digan-data"  # killed in its first seconds: no stats yet
    mk.good_mp4(early / "reals.mp4")
    (early / "config.json").write_text("{}")
    mk.good_mp4(tmp_path / "data" / "cfg" / "b.mp4")
    (tmp_path / "data" / "cfg" / "config.json").write_text("{}")  # a config.json alone is not a run
    with pytest.warns(DataWarning, match="left out 2 vidsynth run folder"):
        src = open_source(tmp_path / "data")
    assert [r.name for r in src.records] == ["a.mp4", "cfg/b.mp4"]


def test_outdir_inside_the_data_is_refused(tmp_path):
    mk.good_mp4(tmp_path / "data" / "a.mp4")
    r = _cli("train", "--method", "digan", "--preset", "test", "--data", ".", "--kimg", "0.001", "--quiet",
             cwd=tmp_path / "data")
    assert "inside the dataset folder" in _one_error_line(r)
    assert not (tmp_path / "data" / "runs").exists()


# ---------------------------------------------------------------------------------------------------
# 11, 13. a real full disk: every output atomic (the old file survives), torch's own error caught
# ---------------------------------------------------------------------------------------------------

@pytest.fixture
def full_disk(tmp_path):
    """A real 512 KiB tmpfs holding ``old.npz`` (valid) and a filler file up to the last byte.

    Needs root (mount). Skipped with the reason shown otherwise: monkeypatched errors proved
    nothing last time (torch raises RuntimeError, not OSError, on a full disk).
    """
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (a real full disk): run the tests as root to check this")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container)")
    try:
        np.savez_compressed(mnt / "old.npz", videos=np.arange(10, dtype=np.uint8))
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: the disk is full
            pass
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _left_behind(folder):
    return sorted(p.name for p in Path(folder).rglob("*") if p.name not in ("old.npz", "filler"))


def test_full_disk_npz_keeps_the_old_file(full_disk):
    from vidsynth.errors import VidsynthError
    from vidsynth.apps.digan.modes import write_videos

    before = (full_disk / "old.npz").read_bytes()
    videos = torch.rand(4, 3, 8, 32, 32) * 2 - 1  # random: does not compress into the few free bytes
    with pytest.raises(VidsynthError, match="could not write .*old.npz.*previous version.*intact"):
        write_videos(videos, full_disk / "old.npz", None, None, fps=8)
    assert (full_disk / "old.npz").read_bytes() == before
    assert _left_behind(full_disk) == []


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".png", ""])
def test_full_disk_video_outputs_leave_nothing_behind(full_disk, suffix):
    from vidsynth.errors import VidsynthError
    from vidsynth.video.write import write_png, write_video

    frames = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    with pytest.raises(VidsynthError, match="could not write"):
        if suffix == ".png":
            write_png(full_disk / "x.png", frames[0])
        else:
            write_video(full_disk / f"x{suffix}", frames)
    left = _left_behind(full_disk)
    assert left in ([], ["x"]), left  # png frames: the folder may exist, but no 0-byte or partial png in it


def test_full_disk_streamed_video_leaves_nothing_behind(full_disk):
    from vidsynth.errors import VidsynthError
    from vidsynth.video.stream import VideoStreamWriter

    frames = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    with pytest.raises(VidsynthError, match="could not write"):
        with VideoStreamWriter(full_disk / "long.mp4") as out:
            for _ in range(20):
                out.write(frames)
    assert _left_behind(full_disk) == []


def test_full_disk_checkpoint_and_model_are_one_clear_error(full_disk):
    from vidsynth.errors import VidsynthError
    from vidsynth.export import save_model
    from vidsynth.models.stylegan2 import StyleGAN2Generator
    from vidsynth.training import checkpoint as ckpt

    state = {"trainer": {"w": torch.rand(100_000)}, "step": 1, "nimg": 2, "method": "digan",
             "config": {"method": {}, "loop": {}}}
    with pytest.raises(VidsynthError, match="could not write .*training_state"):  # torch.save: RuntimeError
        ckpt.save(full_disk / "run", state, 1)
    assert _left_behind(full_disk) == ["checkpoints", "run"]  # the folders only
    import inspect

    kwargs = {k: v for k, v in dict(resolution=8, z_dim=8, w_dim=8, channel_base=64, channel_max=16,
                                     mapping_layers=1).items()
              if k in inspect.signature(StyleGAN2Generator).parameters}
    module = StyleGAN2Generator(**kwargs)
    with pytest.raises(VidsynthError, match="could not write .*model.safetensors"):  # SafetensorError
        save_model(module, full_disk / "model", kwargs)
    assert not list((full_disk / "model").iterdir())


def test_full_disk_during_training_is_one_error_line(full_disk):
    (full_disk / "filler").unlink()  # room for the run folder and a few files, not for everything
    with open(full_disk / "filler", "wb") as f:
        f.write(b"\0" * (300 << 10))
    r = _cli("train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--kimg", "0.002",
             "--outdir", full_disk / "runs", "--quiet", "--workers", "0", "--device", "cpu", timeout=300)
    line = _one_error_line(r)
    assert "could not write" in line and "Free some disk space" in line


# ---------------------------------------------------------------------------------------------------
# 7. an exported model with NaN / inf weights is refused (it rendered all-black videos, exit 0)
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny exported DIGAN generator folder (config.json + model.safetensors)."""
    from vidsynth.config import method_config
    from vidsynth.export import save_model
    from vidsynth.models.digan.generator import DIGANGenerator
    from vidsynth.training.digan import generator_kwargs

    kwargs = generator_kwargs(method_config("digan", "test"), 0)
    folder = tmp_path_factory.mktemp("model") / "model"
    save_model(DIGANGenerator(**kwargs), folder, kwargs, {"fps": 8})
    return folder


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_exported_model_with_non_finite_weights_is_refused(exported, tmp_path, value):
    import shutil

    from safetensors.torch import load_file, save_file

    from vidsynth.export import load_model

    folder = tmp_path / "model"
    shutil.copytree(exported, folder)
    state = load_file(str(folder / "model.safetensors"))
    key = sorted(k for k, v in state.items() if v.is_floating_point())[3]
    state[key] = state[key].clone()
    state[key].view(-1)[0] = value
    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match=rf"non-finite weights .*{key}"):
        load_model(folder)
    r = _cli("generate", folder, "--n", "1", "--out", tmp_path / "x.mp4")
    assert "non-finite weights" in _one_error_line(r)
    assert not (tmp_path / "x.mp4").exists()


# ---------------------------------------------------------------------------------------------------
# 8. conditional training: an unlabeled clip (-1) gets no class, not class 0
# ---------------------------------------------------------------------------------------------------

def test_unlabeled_clips_get_no_class_in_conditional_training():
    from types import SimpleNamespace

    from vidsynth.training.digan import DIGANTrainer

    fake_self = SimpleNamespace(c_dim=3, device=torch.device("cpu"))
    c = DIGANTrainer._one_hot(fake_self, torch.tensor([-1, 0, 2, -1]))
    assert torch.equal(c, torch.tensor([[0., 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]]))


# ---------------------------------------------------------------------------------------------------
# 16. a FIFO named like a model file, a 5001-digit name, labels.json nested 100,000 deep
# ---------------------------------------------------------------------------------------------------

def test_fifo_named_like_a_model_file_is_refused_not_waited_on(exported, tmp_path):
    import shutil

    from vidsynth.export import load_model

    for name in ("model.safetensors", "config.json"):
        folder = tmp_path / name
        shutil.copytree(exported, folder)
        (folder / name).unlink()
        os.mkfifo(folder / name)  # opening it for reading would block until a writer comes: forever
        mk.fifo_unblocker(folder / name)  # ... so a regression fails this test instead of hanging it
        with pytest.raises(CheckpointError, match="not a regular file"):
            load_model(folder)


def test_fifo_in_a_dataset_or_checkpoint_folder_is_not_read(tmp_path):
    from vidsynth.training import checkpoint as ckpt

    mk.good_mp4(tmp_path / "data" / "a.mp4")
    os.mkfifo(tmp_path / "data" / "b.mp4")
    mk.fifo_unblocker(tmp_path / "data" / "b.mp4")  # a regression fails instead of hanging
    src = open_source(tmp_path / "data")
    assert [r.name for r in src.records] == ["a.mp4"] and src.skipped == []  # ignored, never opened
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    os.mkfifo(tmp_path / "run" / "checkpoints" / "training_state-000000001.pt")
    mk.fifo_unblocker(tmp_path / "run" / "checkpoints" / "training_state-000000001.pt", after=8)
    with pytest.raises(CheckpointError, match="not a regular file"):
        ckpt.load(tmp_path / "run" / "checkpoints" / "training_state-000000001.pt")


def test_natural_key_orders_digit_runs_of_any_length():
    from vidsynth.data.naming import natural_sorted

    huge = "9" * 5001  # past int()'s 4300-digit limit for str -> int
    names = [f"v{huge}.png", "v10.png", "v2.png", "v0002.png", f"v1{huge}.png", "v9.png"]
    assert natural_sorted(names) == ["v0002.png", "v2.png", "v9.png", "v10.png", f"v{huge}.png", f"v1{huge}.png"]


def test_zip_member_with_a_5001_digit_name_opens(tmp_path):
    png = mk.png_bytes(16)
    path = mk.zip_of(tmp_path / "d.zip", {f"v/{'7' * 5001}.png": png, "v/1.png": png, "v/2.png": png})
    assert open_source(path).num_frames(0) == 3


@pytest.mark.parametrize("text,words", [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                                        ('{"a.mp4": ' + "[" * 500 + "]" * 500 + "}", "not a name"),
                                        ('{"a.mp4": {"x": 1}}', "not a name")],
                         ids=["nested_100000", "class_is_a_nested_list", "class_is_an_object"])
def test_hostile_labels_json_is_one_clear_error(tmp_path, text, words):
    from vidsynth.data.labels import resolve_labels

    mk.good_mp4(tmp_path / "a.mp4")
    (tmp_path / "labels.json").write_text(text)
    with pytest.raises(DatasetError, match=words):
        resolve_labels(open_source(tmp_path))


# ---------------------------------------------------------------------------------------------------
# 19. tracebacks that are now one line (exit code 2)
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from tests.training.conftest import loop_config
    from vidsynth.config import method_config
    from vidsynth.training.loop import train

    return train(method_config("digan", "test"), loop_config(kimg=0.004), outdir=tmp_path_factory.mktemp("r2"),
                 progress=False)


def _edit_metadata(exported, tmp_path, **meta):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(exported, folder)
    config = json.loads((folder / "config.json").read_text())
    config["metadata"].update(meta)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("meta,words", [({"fps": "abc"}, "'fps' must be a positive frame rate"),
                                        ({"fps": -5}, "'fps' must be a positive frame rate"),
                                        ({"train_frames": 1e300}, "'train_frames' must be a whole number"),
                                        ({"class_names": 5}, "'class_names' must be a list of strings")],
                         ids=["fps_text", "fps_negative", "train_frames_huge", "class_names_number"])
def test_bad_model_metadata_is_one_clear_error(exported, tmp_path, meta, words):
    import vidsynth

    with pytest.raises(CheckpointError, match=words):
        vidsynth.load(_edit_metadata(exported, tmp_path, **meta))


def test_null_fps_metadata_falls_back_to_the_default(exported, tmp_path):
    import vidsynth

    assert vidsynth.load(_edit_metadata(exported, tmp_path, fps=None)).fps == 8


def _generate_cases(tmp_path):
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "afile").write_text("x")
    return {
        "fps_negative": (["--fps", -5, "--out", tmp_path / "x.mp4"], "--fps"),
        "times_negative_count": (["--times", "0:1:-3", "--out", tmp_path / "x.npz"], "count 1 to"),
        "times_huge_count": (["--times", "0:1:1000000000", "--out", tmp_path / "x.npz"], "count 1 to"),
        "contents_0": (["--mode", "swap", "--contents", 0, "--out", tmp_path / "x.mp4"], "--contents"),
        "out_is_a_folder": (["--n", 1, "--out", tmp_path / "folder.mp4"], "could not write"),
        "out_folder_is_a_file": (["--n", 1, "--no-grid", "--out", tmp_path / "afile"], "cannot write"),
        "device_cuda_without_cuda": (["--n", 1, "--device", "cuda", "--out", tmp_path / "y.mp4"], "CUDA"),
    }


GENERATE_CASES = ["fps_negative", "times_negative_count", "times_huge_count", "contents_0", "out_is_a_folder",
                  "out_folder_is_a_file", "device_cuda_without_cuda"]


@pytest.mark.parametrize("case", GENERATE_CASES)
def test_generate_bad_options_are_one_line(trained_run, tmp_path, monkeypatch, capsys, case):
    from tests.robustness.test_round2_runs import cli

    if "cuda" in case and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    args, words = _generate_cases(tmp_path)[case]
    code, err = cli(monkeypatch, capsys, "generate", trained_run, *args)
    assert code == 2, err
    assert words in err and "Traceback" not in err


def test_dataset_info_of_images(tmp_path, monkeypatch, capsys):
    from tests.robustness.test_round2_runs import cli

    for k in range(3):
        (tmp_path / f"{k}.png").write_bytes(mk.png_bytes(8, seed=k))
    code, err = cli(monkeypatch, capsys, "dataset", "info", f"images:{tmp_path}")
    assert code == 0, err


def test_dataset_convert_to_an_absurd_resolution_is_refused(tmp_path, monkeypatch, capsys):
    from tests.robustness.test_round2_runs import cli

    code, err = cli(monkeypatch, capsys, "dataset", "convert", "builtin:shapes", tmp_path / "big.zip", "-r", 100000)
    assert code == 2 and "resolution 100000 is out of range" in err
    assert list(tmp_path.iterdir()) == []


def test_malformed_jsonl_lines_are_skipped(tmp_path):
    from vidsynth.utils.files import read_jsonl

    (tmp_path / "stats.jsonl").write_text('{"kimg": 0.1, "step": 1}\n[1]\n"x"\n{"kimg": "abc"}\n{"step": null}\n'
                                          '{"kimg": 0.2, "step": 2}\n{"kimg"\n')
    assert read_jsonl(tmp_path / "stats.jsonl") == [{"kimg": 0.1, "step": 1}, {"kimg": 0.2, "step": 2}]


def test_report_of_a_run_with_malformed_stats_lines(trained_run, tmp_path, monkeypatch, capsys):
    import shutil

    from tests.robustness.test_round2_runs import cli

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    with open(run / "stats.jsonl", "a") as f:
        f.write('[1]\n{"kimg": "abc", "step": null, "time": "t"}\n{"kimg"\n')
    code, err = cli(monkeypatch, capsys, "report", run)
    assert code == 0, err


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder no one can write in: a read-only tmpfs when root (root ignores file modes), else mode 0o555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                          capture_output=True).returncode:
            pytest.skip("cannot mount a read-only tmpfs here (no CAP_SYS_ADMIN in this container)")
        yield folder
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_appending_to_a_read_only_run_folder_is_one_clear_error(read_only_dir):
    from vidsynth.errors import VidsynthError
    from vidsynth.utils.files import append_jsonl

    with pytest.raises(VidsynthError, match="cannot append to .*metrics.jsonl"):
        append_jsonl(read_only_dir / "metrics.jsonl", {"kimg": 1})


def test_new_run_in_a_read_only_outdir_is_one_line(read_only_dir, monkeypatch, capsys):
    from tests.robustness.test_round2_runs import cli

    code, err = cli(monkeypatch, capsys, "train", "--preset", "test", "--data", "builtin:shapes", "--kimg", 0.001,
                    "--outdir", read_only_dir, "--quiet", "--workers", 0, "--device", "cpu")
    assert code == 2 and "cannot create the run folder" in err, err


def test_a_truncated_image_among_the_first_eight_does_not_stop_an_image_run(tmp_path):
    from tests.training.conftest import loop_config
    from vidsynth.config import method_config
    from vidsynth.training.loop import train

    for k in range(6):
        (tmp_path / "imgs" / f"{k}.png").parent.mkdir(exist_ok=True)
        (tmp_path / "imgs" / f"{k}.png").write_bytes(mk.png_bytes(16, seed=k))
    (tmp_path / "imgs" / "0.png").write_bytes(mk.png_bytes(16)[:40])  # truncated
    with pytest.warns(DataWarning, match="0.png"):
        run = train(method_config("stylegan2", "test"), loop_config(data=str(tmp_path / "imgs"), kimg=0.004),
                    outdir=tmp_path / "runs", progress=False)
    assert (run / "reals.mp4").is_file() and (run / "model" / "model.safetensors").is_file()


# ---------------------------------------------------------------------------------------------------
# 21. SIGTERM during `dataset convert` removes the partial temporary zip
# ---------------------------------------------------------------------------------------------------

def test_sigterm_during_convert_leaves_no_partial_file(tmp_path):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "vidsynth", "dataset", "convert", "builtin:shapes",
                             str(tmp_path / "out.zip"), "-r", "64", "--max-frames", "64", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.zip.*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.zip.*")), "convert never started writing"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []  # neither the partial .tmp nor a half out.zip


@pytest.mark.parametrize("args,words", [
    (["predict", "{dir}", "--frames-from", "builtin:shapes", "--given", "0,1", "--lr", "nan"], "--lr"),
    (["predict", "{dir}", "--frames-from", "builtin:shapes", "--given", "0-100000000"], "at most 100000 frames"),
    (["mocogan", "long", "{dir}", "--frames", "0", "--out", "{dir}/l.mp4"], "--frames"),
    (["mocogan", "content-motion", "{dir}", "--contents", "0", "--out", "{dir}/g.mp4"], "--contents"),
], ids=["predict_lr_nan", "predict_huge_given_range", "mocogan_long_frames_0", "mocogan_contents_0"])
def test_predict_and_mocogan_bad_options_are_refused_before_any_work(tmp_path, monkeypatch, capsys, args, words):
    """Checked while parsing: no model is loaded (``{dir}`` is an empty folder), no memory is spent."""
    from tests.robustness.test_round2_runs import cli

    code, err = cli(monkeypatch, capsys, *[a.format(dir=tmp_path) for a in args])
    assert code == 2 and words in err and "Traceback" not in err, err
