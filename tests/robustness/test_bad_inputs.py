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
from concurrent.futures import ThreadPoolExecutor
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


def _bomb_first_frame(root):
    folder = mk.png_frames(root / "clipD", frames=6)
    (folder / "frame0.png").write_bytes(mk.png_huge_header())
    return "clipD"


def _undecodable(root):
    path = mk.faststart_mp4(root / "zeros.mp4")  # valid header, video payload zeroed
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 4
    data[start:] = bytes(len(data) - start)
    path.write_bytes(bytes(data))
    return "zeros.mp4"


SKIP_CASES = {
    # name: (builder, open_dataset kwargs, words expected in the reason)
    "zero_byte_video": (_zero_byte, {}, "0 bytes"),
    "truncated_mp4_index_lost": (_truncated, {}, "cannot open"),
    "random_bytes_named_mp4": (_random_bytes, {}, "cannot open"),
    "text_file_named_avi": (_text_avi, {}, "cannot open"),
    "audio_only_file": (_audio_only, {}, "no video stream"),
    "undecodable_video_stream": (_undecodable, {}, "cannot decode"),
    "one_frame_video": (_one_frame, {}, "only 1 frames"),
    "video_too_short_for_frames_x_stride": (_short_for_stride, {"stride": 2}, "at stride 2"),
    "frame_folder_with_empty_frame": (_empty_frame_file, {}, "empty frame file"),
    "frame_folder_with_corrupt_first_frame": (_corrupt_first_frame, {}, "cannot read frame"),
    "frame_folder_too_short": (_short_frame_folder, {}, "only 2 frames"),
    "png_declaring_100000x100000_pixels": (_bomb_first_frame, {}, "DecompressionBomb"),
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


def _gray16_video(root):
    from tests.data.helpers import pattern, write_with_pyav

    gray16 = pattern(mk.GOOD_FRAMES, 32, 32)[..., 0].astype(np.uint16) * 257
    write_with_pyav(root / "gray16.mkv", gray16, "ffv1", "gray16le", src_format="gray16le")


def _rgba_video(root):
    from tests.data.helpers import pattern, write_with_pyav

    rgba = np.concatenate([pattern(mk.GOOD_FRAMES, 32, 32), np.full((mk.GOOD_FRAMES, 32, 32, 1), 90, np.uint8)], -1)
    write_with_pyav(root / "alpha.mov", rgba, "png", "rgba", src_format="rgba")


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
    "gray16_pixel_format_video": (_gray16_video, 1),
    "rgba_video_with_alpha": (_rgba_video, 1),
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


# ---------------------------------------------------------------------------------------------------
# read time: a file that breaks after the dataset was opened must not stop training
# ---------------------------------------------------------------------------------------------------

def test_video_truncated_in_the_middle_repeats_its_last_frame(tmp_path):
    mk.truncate(mk.faststart_mp4(tmp_path / "cut.mp4", frames=40), 0.6)  # header first: still opens
    ds = open_dataset(tmp_path, R, T)
    with pytest.warns(DataWarning, match="cut.mp4: decoded only .* repeating the last frame"):
        clip, _ = ds.clip(0, ds.num_frames(0) - ds.span)
    assert clip.shape == (3, T, R, R)


def test_corrupt_frame_in_the_middle_is_replaced_with_a_warning(tmp_path):
    """Choice: a corrupt frame (found only when read: opening checks the first frame only) is replaced
    by the nearest readable frame of the folder, as a truncated video repeats its last frame."""
    folder = mk.png_frames(tmp_path / "clip", frames=8)
    ds = open_dataset(tmp_path, R, T)
    good = ds.clip(0, 2)[0]
    (folder / "frame4.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    ds.source.set_cache_bytes(0)  # frames read before are served from the frame cache: read the files again
    with pytest.warns(DataWarning, match=r"frame4\.png.*using frame 'clip/frame3\.png'"):
        clip = ds.clip(0, 2)[0]  # frames 2, 3, 4, 5
    assert torch.equal(clip[:, 2], good[:, 1]) and torch.equal(clip[:, [0, 1, 3]], good[:, [0, 1, 3]])


def test_video_broken_mid_run_costs_one_clip_not_the_run(tmp_path):
    mk.good_mp4(tmp_path / "a.mp4")
    mk.good_mp4(tmp_path / "b.mp4", seed=1)
    ds = open_dataset(tmp_path, R, T)
    (tmp_path / "a.mp4").write_bytes(b"gone")
    with pytest.raises(DatasetError, match="a.mp4"):
        ds.clip(0, 0)  # the strict API names the file ...
    with pytest.warns(DataWarning, match="a.mp4.*using a clip of 'b.mp4'"):
        clip, _ = ds[(0, 3, False)]  # ... the training loader substitutes a clip of the next video
    assert torch.equal(clip, ds.clip(1, 3)[0])


def test_loader_worker_error_is_one_clear_message(tmp_path):
    """PyTorch re-raises a worker's error with its traceback in the message; we give back the message."""
    mk.good_mp4(tmp_path / "a.mp4")
    ds = open_dataset(tmp_path, R, T)
    (tmp_path / "a.mp4").write_bytes(b"gone")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(DatasetError) as err:
            next(iterate_batches(ds, 2, seed=0, num_workers=1))
    assert "a.mp4" in str(err.value) and "Traceback" not in str(err.value)


def test_training_survives_a_corrupt_frame(tmp_path):
    from vidsynth.config import method_config
    from vidsynth.training.loop import train
    from tests.training.conftest import loop_config

    for k in range(2):
        mk.png_frames(tmp_path / "data" / f"v{k}", frames=6)
    (tmp_path / "data" / "v1" / "frame2.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.warns(DataWarning, match="frame2.png"):
        run = train(method_config("digan", "test", {"batch": 2}), loop_config(data=str(tmp_path / "data"),
                    kimg=0.004, sample_videos=2), outdir=tmp_path / "runs", progress=False)
    assert (run / "model" / "model.safetensors").is_file()


# ---------------------------------------------------------------------------------------------------
# hostile zips: member names cannot reach outside the archive or the output
# ---------------------------------------------------------------------------------------------------

def _hostile_zip(path):
    png = mk.png_bytes(8)
    members = {}
    for k in range(4):
        members[f"../escape/{k}.png"] = png
        members[f"/abs_{os.getpid()}/evil/{k}.png"] = png
        members[f"..\\..\\win\\{k}.png"] = png
        members[f"ok/{k}.png"] = png
    members["__MACOSX/ok/._0.png"] = b"resource fork"
    return mk.zip_of(path, members)


def _all_files(root):
    return {p for p in Path(root).rglob("*")}


def test_hostile_zip_names_are_sanitised_and_convert_stays_inside_dst(tmp_path):
    src = _hostile_zip(tmp_path / "in" / "hostile.zip")
    ds = open_dataset(src, 8, 2)
    assert sorted(ds.video_name(i) for i in range(ds.num_videos)) == ["abs_%d/evil" % os.getpid(), "escape",
                                                                       "ok", "win"]
    before = _all_files(tmp_path)
    (tmp_path / "out").mkdir()
    out = convert_dataset(src, tmp_path / "out" / "dst.zip", 8, progress=False)
    assert out["videos"] == 4 and out["skipped"] == []
    assert _all_files(tmp_path) - before == {tmp_path / "out", tmp_path / "out" / "dst.zip"}
    assert not Path(f"/abs_{os.getpid()}").exists()
    with zipfile.ZipFile(tmp_path / "out" / "dst.zip") as zf:
        for name in zf.namelist():
            assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name, name


# ---------------------------------------------------------------------------------------------------
# config: unknown keys, ill-typed values, impossible sizes
# ---------------------------------------------------------------------------------------------------

CONFIG_ERRORS = {
    "set_lr_abc": ({"lr": "abc"}, "'lr' expects float"),
    "set_nonsense_key": ({"nonsense": "1"}, "unknown option 'nonsense'"),
    "bool_maybe": ({"xflip": "maybe"}, "expects bool"),
    "int_given_1e3": ({"resolution": "1e3"}, "expects int"),
    "resolution_48": ({"resolution": 48}, "power of two"),
    "zero_frames": ({"frames": "0"}, "frames must be >= 2"),
    "input_resolution_above_resolution": ({"input_resolution": 256}, "must not exceed"),
    "negative_batch": ({"batch": "-4"}, "batch and stride must be >= 1"),
    "lr_nan": ({"lr": "nan"}, "lr must be a finite number > 0"),
    "negative_lr": ({"lr": "-0.1"}, "lr must be a finite number > 0"),
    "beta2_above_1": ({"beta2": "1.5"}, "beta2 must be a finite number in [0, 1]"),
    "unknown_diffaugment_policy": ({"diffaugment": "color,zoom"}, "unknown policy zoom"),
    "mbstd_group_0": ({"mbstd_group": "0"}, "mbstd_group must be >= 1"),
}


@pytest.mark.parametrize("case", CONFIG_ERRORS, ids=list(CONFIG_ERRORS))
def test_bad_config_is_a_clear_error(case):
    from vidsynth.config import method_config, validate_digan

    overrides, words = CONFIG_ERRORS[case]
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        validate_digan(method_config("digan", "test", overrides))


@pytest.mark.parametrize("overrides,words", [({"num_workers": -1}, "num_workers must be >= 0"),
                                             ({"kimg": float("nan")}, "kimg must be a finite"),
                                             ({"sample_frames": 0}, "sample_frames must be >= 1")],
                         ids=["negative_workers", "kimg_nan", "zero_sample_frames"])
def test_bad_loop_options_are_clear_errors(overrides, words):
    from vidsynth.config import LoopConfig, apply_overrides, validate_loop

    with pytest.raises(ConfigError, match=words):
        validate_loop(apply_overrides(LoopConfig(), overrides))


# ---------------------------------------------------------------------------------------------------
# checkpoints and exported models: wrong, corrupt or hostile files
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
    save_model(DIGANGenerator(**kwargs), folder, kwargs)
    return folder


def _copy(folder, tmp_path):
    import shutil

    return Path(shutil.copytree(folder, tmp_path / "model"))


def _edit_tensors(edit):
    def build(folder, tmp_path):
        from safetensors.torch import load_file, save_file

        state = load_file(str(folder / "model.safetensors"))
        key = edit(state)
        save_file(state, str(folder / "model.safetensors"))
        return [key]
    return build


def _reshape_first(state):
    key = sorted(k for k in state if state[k].dim() >= 1)[0]
    state[key] = torch.zeros(*state[key].shape[:-1], state[key].shape[-1] + 1)
    return key


def _drop_first(state):
    key = sorted(state)[0]
    del state[key]
    return key


def _write(name, data):
    def build(folder, tmp_path):
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
        return [name]
    return build


def _config_edit(edit):
    def build(folder, tmp_path):
        config = json.loads((folder / "config.json").read_text())
        edit(config)
        (folder / "config.json").write_text(json.dumps(config))
        return ["config.json"]
    return build


def _pickle_as_safetensors(folder, tmp_path):
    mk.malicious_pickle(folder / "model.safetensors", tmp_path / "PWNED")
    return ["model.safetensors"]


MODEL_ERRORS = {
    "safetensors_wrong_shape": _edit_tensors(_reshape_first),
    "safetensors_missing_key": _edit_tensors(_drop_first),
    "corrupt_config_json": _write("config.json", '{"class_name": "DIGANGenerator", "kwargs": {'),
    "config_json_class_name_is_a_list": _config_edit(lambda c: c.update(class_name=["DIGANGenerator"])),
    "config_json_kwargs_ill_typed": _config_edit(lambda c: c["kwargs"].update(resolution="big")),
    "config_json_kwargs_not_an_object": _config_edit(lambda c: c.update(kwargs=[1, 2])),
    "zero_byte_safetensors": _write("model.safetensors", b""),
    "random_bytes_safetensors": _write("model.safetensors", bytes(range(256)) * 8),
    "malicious_pickle_as_model_safetensors": _pickle_as_safetensors,
}


@pytest.mark.parametrize("case", MODEL_ERRORS, ids=list(MODEL_ERRORS))
def test_bad_exported_model_is_a_clear_error(exported, tmp_path, case):
    import vidsynth

    folder = _copy(exported, tmp_path)
    words = MODEL_ERRORS[case](folder, tmp_path)
    with pytest.raises(CheckpointError) as err:
        vidsynth.load(folder)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    assert str(folder) in str(err.value)
    assert not (tmp_path / "PWNED").exists()


def _ckpt_path(run):
    path = run / "checkpoints" / "training_state-000000001.pt"
    path.parent.mkdir(parents=True)
    return path


class _Namespace:  # any class other than plain containers: refused by weights_only
    pass


CHECKPOINT_ERRORS = {
    "malicious_plain_pickle": (lambda p, m: mk.malicious_pickle(p, m), "safe loader"),
    "malicious_torch_save": (lambda p, m: torch.save({"trainer": mk.Boom(m), "step": 1}, p), "safe loader"),
    "random_bytes": (lambda p, m: p.write_bytes(os.urandom(1000)), "not a loadable vidsynth checkpoint"),
    "zero_bytes": (lambda p, m: p.write_bytes(b""), "not a loadable vidsynth checkpoint"),
    "a_bare_tensor": (lambda p, m: torch.save(torch.zeros(3), p), "not a vidsynth training state"),
    "dict_missing_config": (lambda p, m: torch.save({"trainer": {}, "step": 1, "nimg": 4, "method": "digan"}, p),
                            "missing config"),
}


@pytest.mark.parametrize("case", CHECKPOINT_ERRORS, ids=list(CHECKPOINT_ERRORS))
def test_bad_checkpoint_is_refused_without_running_code(tmp_path, case):
    from vidsynth.training import checkpoint as ckpt

    make, words = CHECKPOINT_ERRORS[case]
    path = _ckpt_path(tmp_path / "run")
    marker = tmp_path / "PWNED"
    make(path, marker)
    with pytest.raises(CheckpointError, match=words) as err:
        ckpt.load(path)
    assert str(path) in str(err.value)
    with pytest.warns(UserWarning), pytest.raises(CheckpointError, match="no valid checkpoint"):
        ckpt.load_latest(tmp_path / "run", tmp_path, "digan")
    assert not marker.exists()


def test_checkpoint_of_another_method_is_refused(tmp_path):
    from vidsynth.training import checkpoint as ckpt

    state = {"trainer": {"G": {}}, "step": 1, "nimg": 4, "method": "mocogan_hd", "config": {"method": {}, "loop": {}}}
    ckpt.save(tmp_path / "run", state, 1)
    with pytest.raises(CheckpointError, match="'mocogan_hd' checkpoint, not 'digan'; use --method mocogan_hd"):
        ckpt.load_latest(tmp_path / "run", tmp_path, "digan")


# ---------------------------------------------------------------------------------------------------
# the command line: one "Error: ..." line, exit code 2, never a traceback
# ---------------------------------------------------------------------------------------------------

def _cli(*args, cwd=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "vidsynth", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path, exported):
    (tmp_path / "data.zip").write_bytes(os.urandom(500))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.mp4").write_bytes(b"nope")
    model = _copy(exported, tmp_path)
    (model / "config.json").write_text("{not json")
    cases = {
        "dataset_info_random_zip": (["dataset", "info", tmp_path / "data.zip"], "data.zip"),
        "train_data_only_unreadable": (["train", "--preset", "test", "--data", tmp_path / "junk", "--outdir",
                                        tmp_path / "runs"], "a.mp4"),
        "train_set_lr_abc": (["train", "--preset", "test", "--set", "lr=abc", "--show-config"], "'lr' expects float"),
        "train_negative_workers": (["train", "--preset", "test", "--workers", "-1", "--show-config"], "num_workers"),
        "generate_corrupt_config_json": (["generate", model, "--out", tmp_path / "x.mp4"], "config.json"),
    }
    with ThreadPoolExecutor(2) as pool:  # two at a time: each spends seconds importing torch
        procs = dict(zip(cases, pool.map(lambda case: _cli(*case[0]), cases.values())))
    for name, (args, words) in cases.items():
        proc = procs[name]
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Traceback" not in proc.stderr, (name, proc.stderr)
        before, error = proc.stderr.split("Error: ", 1)  # only one-line warnings before the error
        assert all(line.startswith("warning: ") for line in before.splitlines()), (name, proc.stderr)
        assert words in proc.stderr, (name, proc.stderr)
    assert not (tmp_path / "runs").exists()


def test_cli_convert_of_hostile_zip_succeeds_inside_dst(tmp_path):
    src = _hostile_zip(tmp_path / "hostile.zip")
    proc = _cli("dataset", "convert", src, tmp_path / "out" / "dst.zip", "-r", "8", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "wrote" in proc.stdout and "4 videos" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.zip", "out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["dst.zip"]
