"""Datasets that move between tools: dataset.json labels, split files, the StyleGAN-V zip layout."""
import json
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.data import open_dataset
from vidsynth.data.convert import convert_dataset
from vidsynth.data.info import dataset_info
from vidsynth.data.videos import DataWarning
from vidsynth.errors import DatasetError

from .helpers import pattern, write_with_pyav
from .test_frames_zip import png_bytes, write_zip

UCF = {  # a fake UCF-101: class folder -> videos
    "ApplyEyeMakeup": ["v_ApplyEyeMakeup_g01_c01", "v_ApplyEyeMakeup_g08_c01"],
    "HandstandPushups": ["v_HandStandPushups_g01_c01", "v_HandStandPushups_g09_c02"],
}
TRAINLIST = "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nHandstandPushups/v_HandStandPushups_g09_c02.avi 37\r\n"
TESTLIST = "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\nHandStandPushups/v_HandStandPushups_g01_c01.avi\n"


@pytest.fixture(scope="module")
def ucf(tmp_path_factory):
    """``UCF-101/<class>/<video>.avi`` (mpeg4 in avi, as UCF-101 ships) plus the two split files."""
    root = tmp_path_factory.mktemp("ucf")
    for k, (cls, names) in enumerate(UCF.items()):
        for j, name in enumerate(names):
            write_with_pyav(root / "UCF-101" / cls / f"{name}.avi", pattern(16 + j, 24, 32, seed=10 * k + j),
                            "mpeg4", "yuv420p", fps=25)
    (root / "trainlist01.txt").write_text(TRAINLIST)
    (root / "testlist01.txt").write_text(TESTLIST)
    return root


def frames_zip(path, labels):
    """A StyleGAN-V style zip: ``top/<video>/<frame>.png`` and ``top/dataset.json`` holding ``labels``."""
    members = {f"top/vid{v}/{t:03d}.png": png_bytes(np.full((8, 8, 3), 40 * v + t, np.uint8))
               for v in range(3) for t in range(4)}
    members["top/dataset.json"] = json.dumps({"labels": labels}).encode()
    write_zip(path, members)
    return path


def test_dataset_json_per_frame_labels(tmp_path):
    labels = [[f"vid{v}/{t:03d}.png", [2, 0, 2][v]] for v in range(3) for t in range(4)]
    spec = frames_zip(tmp_path / "d.zip", labels)
    ds = open_dataset(spec, 8, 2)
    assert ds.label_origin == "dataset.json"
    # classes keep their dataset.json index (2 stays 2), named "0", "1", "2"
    assert ds.class_names == ["0", "1", "2"] and [ds.label(i) for i in range(3)] == [2, 0, 2]
    info = dataset_info(spec)
    assert info["labels_from"] == "dataset.json" and info["classes"] == {"0": 1, "1": 0, "2": 2}
    assert "labels from  dataset.json" in CliRunner().invoke(main, ["dataset", "info", str(spec)]).output
    with zipfile.ZipFile(spec) as zf:  # the same, extracted: dataset.json in the single top folder of a folder
        zf.extractall(tmp_path / "extracted")
    assert dataset_info(tmp_path / "extracted")["classes"] == {"0": 1, "1": 0, "2": 2}


def test_dataset_json_null_and_conflicts(tmp_path):
    spec = frames_zip(tmp_path / "null.zip", None)
    info = dataset_info(spec)
    assert info["classes"] == {} and info["labels_from"] == "none (top/dataset.json has labels: null)"
    bad = frames_zip(tmp_path / "bad.zip", [["vid0/000.png", 0], ["vid0/001.png", 1]])
    with pytest.raises(DatasetError, match="frames of 'vid0' have different labels"):
        open_dataset(bad, 8, 2)
    floats = frames_zip(tmp_path / "f.zip", [["vid0/000.png", 0.5]])
    with pytest.raises(DatasetError, match="class indices"):
        open_dataset(floats, 8, 2)
    # a labels.json wins over dataset.json, and says so
    root = tmp_path / "both"
    for name in ("a", "b"):
        for t in range(2):
            (root / name).mkdir(parents=True, exist_ok=True)
            (root / name / f"{t}.png").write_bytes(png_bytes(np.zeros((8, 8, 3), np.uint8)))
    (root / "labels.json").write_text(json.dumps({"a": "cat", "b": "dog"}))
    (root / "dataset.json").write_text(json.dumps({"labels": [["a/0.png", 1], ["b/0.png", 0]]}))
    assert dataset_info(root)["labels_from"] == "labels.json"
    assert dataset_info(root, labels="dataset.json")["classes"] == {"0": 1, "1": 1}
    # video-file keys (StyleGAN2-ADA keys files) label video files
    assert open_dataset(root, 8, 2, labels="dataset.json").label(0) == 1


def test_ucf_split_files_select_train_and_test(ucf):
    spec = ucf / "UCF-101"
    train = open_dataset(spec, 16, 4, split=ucf / "trainlist01.txt")
    assert [train.video_name(i) for i in range(train.num_videos)] == [
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "HandstandPushups/v_HandStandPushups_g09_c02.avi"]
    # case differs between the list (HandStandPushups/) and the folder: still matched
    test = dataset_info(spec, labels="folders", split=ucf / "testlist01.txt")
    assert test["num_videos"] == 2 and test["classes"] == {"ApplyEyeMakeup": 1, "HandstandPushups": 1}


def test_split_errors_and_warnings(ucf, tmp_path):
    spec = ucf / "UCF-101"
    other = tmp_path / "other.txt"
    other.write_text("Nope/v_x.avi\n")
    with pytest.raises(DatasetError, match="none of the 1 videos listed"):
        open_dataset(spec, 16, 4, split=other)
    partial = tmp_path / "partial.txt"
    # case is ignored (lists made on case-insensitive file systems), comments and blank lines skipped
    partial.write_text("# comment\n\napplyeyemakeup/V_APPLYEYEMAKEUP_g01_c01.AVI\nGone/v_gone.avi 3\n")
    with pytest.warns(DataWarning, match="1 of 2 videos listed"):
        assert open_dataset(spec, 16, 4, split=partial).num_videos == 1
    with pytest.raises(DatasetError, match="split file .* not found"):
        open_dataset(spec, 16, 4, split=tmp_path / "missing.txt")
    result = CliRunner().invoke(main, ["dataset", "info", str(spec), "--split", str(other)])
    # a DatasetError reaches vidsynth.cli.run, which prints it as one line with exit code 2
    assert isinstance(result.exception, DatasetError) and "none of the 1 videos" in str(result.exception)


def test_convert_stylegan_v_layout_follows_its_loader_rules(ucf, tmp_path):
    dst = tmp_path / "ucf-train.zip"
    result = CliRunner().invoke(main, ["dataset", "convert", str(ucf / "UCF-101"), str(dst), "-r", "16", "-q",
                                       "--layout", "stylegan-v", "--labels", "folders",
                                       "--split", str(ucf / "trainlist01.txt")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(dst) as zf:
        names = sorted(zf.namelist())
        doc = json.loads(zf.read("ucf-train/dataset.json"))
    # StyleGAN-V (src/training/dataset.py, VideoFramesFolderDataset): the first sorted entry is the root folder,
    # each video is a folder entry one level below it, frames two levels below; labels keyed '<video>/<frame>'.
    assert names == ["ucf-train/", "ucf-train/dataset.json",
                     "ucf-train/v_ApplyEyeMakeup_g08_c01/", *[f"ucf-train/v_ApplyEyeMakeup_g08_c01/{t:06d}.png"
                                                             for t in range(17)],
                     "ucf-train/v_HandStandPushups_g09_c02/", *[f"ucf-train/v_HandStandPushups_g09_c02/{t:06d}.png"
                                                               for t in range(17)]]
    assert doc["labels"][0] == ["v_ApplyEyeMakeup_g08_c01/000000.png", 0]
    assert doc["labels"][-1] == ["v_HandStandPushups_g09_c02/000016.png", 1] and len(doc["labels"]) == 34
    # ... and vidsynth reads it back with the same labels, and the split file still selects in it
    back = open_dataset(dst, 16, 4)
    assert back.label_origin == "dataset.json" and [back.label(i) for i in range(2)] == [0, 1]
    with pytest.raises(DatasetError, match="none of the 2 videos"):
        open_dataset(dst, 16, 4, split=ucf / "testlist01.txt")
    assert open_dataset(dst, 16, 4, split=ucf / "trainlist01.txt").num_videos == 2


def test_convert_stylegan_v_unlabeled_writes_null(tmp_path):
    out = convert_dataset("builtin:shapes", tmp_path / "s.zip", 8, max_frames=3, max_videos=2, progress=False,
                          layout="stylegan-v")
    assert out["videos"] == 2
    with zipfile.ZipFile(tmp_path / "s.zip") as zf:
        assert json.loads(zf.read("s/dataset.json")) == {"labels": None}
        assert sorted(zf.namelist())[0] == "s/"
    # StyleGAN-V looks up every video's label: a partly labelled source is refused, not written half-labelled
    root = tmp_path / "partly"
    for folder in ("cats/a", "b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "0.png").write_bytes(png_bytes(np.zeros((8, 8, 3), np.uint8)))
    with pytest.raises(DatasetError, match="needs a label for every video"):
        convert_dataset(root, tmp_path / "p.zip", 8, labels="folders", progress=False, layout="stylegan-v")


def test_train_with_split_file_and_label_log(ucf, tmp_path, capsys):
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.training.loop import train

    cfg = method_config("digan", "test", {"frames": 4, "conditional": True, "labels": "folders", "batch": 2,
                                          "mbstd_group": 1})
    loop = LoopConfig(data=str(ucf / "UCF-101"), split=str(ucf / "testlist01.txt"), kimg=0.002, seed=0,
                      snapshot_kimg=0, num_workers=0, device="cpu", sample_videos=2, sample_frames=4, fps=29.97)
    run = train(cfg, loop, outdir=tmp_path / "runs", progress=False)
    saved = json.loads((run / "config.json").read_text())
    assert '"fps": "30000/1001"' in (run / "model" / "config.json").read_text()  # the exact NTSC rate, stored
    assert saved["num_videos"] == 2 and saved["loop"]["split"] == str(ucf / "testlist01.txt")
    assert f"dataset: 2 videos from {ucf / 'UCF-101'} (split {ucf / 'testlist01.txt'}); 2 classes, labels from " \
           "folder names" in capsys.readouterr().out


def test_metrics_split_opens_only_the_listed_real_videos(ucf, monkeypatch):
    """``metrics --split`` reaches the evaluator, which opens only the listed real videos and keys their
    statistics apart from the whole folder's."""
    import vidsynth.metrics.evaluation as evaluation

    seen = {}
    monkeypatch.setattr(evaluation, "evaluate", lambda names, real, **kw: seen.update(kw, real=real) or [])
    monkeypatch.setattr("vidsynth.cli.metrics.format_table", lambda results: "")
    args = ["metrics", "--metrics", "fvd16_16f", "--real", str(ucf / "UCF-101"), "--fake", str(ucf), "--no-log"]
    result = CliRunner().invoke(main, [*args, "--split", str(ucf / "trainlist01.txt"), "--resolution", "16"])
    assert result.exit_code == 0, result.output
    assert seen["split"] == str(ucf / "trainlist01.txt") and seen["real"] == str(ucf / "UCF-101")

    from vidsynth.metrics.protocols import parse_protocol

    proto = parse_protocol("fvd16_16f")
    whole = evaluation._Evaluator(str(ucf / "UCF-101"), None, "cpu", 2, 16, None, None, "i3d", "tf1_bilinear",
                                  True, False, 0)
    split = evaluation._Evaluator(str(ucf / "UCF-101"), None, "cpu", 2, 16, None, None, "i3d", "tf1_bilinear",
                                  True, False, 0, split=ucf / "trainlist01.txt")
    real = split.real_dataset(proto)
    assert whole.real_dataset(proto).num_videos == 4
    assert real.num_videos == 2 and real.video_name(0) == "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi"
    assert split.fingerprint().startswith(whole.fingerprint()) and "|split " in split.fingerprint()


def test_prepare_ucf101_recipe(ucf, tmp_path):
    splits = ucf / "ucfTrainTestlist"
    splits.mkdir(exist_ok=True)
    (splits / "trainlist01.txt").write_text(TRAINLIST)
    (splits / "testlist01.txt").write_text(TESTLIST)
    dst = tmp_path / "ucf101"
    result = CliRunner().invoke(main, ["dataset", "prepare", "ucf101", str(ucf / "UCF-101"), str(dst), "-r", "16",
                                       "--splits", str(splits), "-q"])
    assert result.exit_code == 0, result.output
    recipe = json.loads((dst / "recipe.json").read_text())
    assert {k: v["videos"] for k, v in recipe["outputs"].items()} == {"all": 4, "train": 2, "test": 2}
    assert recipe["outputs"]["all"]["classes"] == 2 and "--preset ucf101" in recipe["train_with"]
    test = open_dataset(dst / "test.zip", 16, 4)
    assert [test.video_name(i) for i in range(2)] == ["test/v_ApplyEyeMakeup_g01_c01", "test/v_HandStandPushups_g01_c01"]
    assert [test.label(i) for i in range(2)] == [0, 1] and test.clip(0, 0)[0].shape == (3, 4, 16, 16)
    again = CliRunner().invoke(main, ["dataset", "prepare", "ucf101", str(ucf / "UCF-101"), str(dst), "-r", "16"])
    assert isinstance(again.exception, DatasetError) and "--force" in str(again.exception)


def test_prepare_sky_and_taichi_use_train_and_test_folders(tmp_path):
    src = tmp_path / "sky_timelapse"
    for split, n in (("sky_train", 3), ("sky_test", 1)):
        for v in range(n):  # MDGAN's nesting: <split>/<video>/<clip>/<frame>.jpg
            folder = src / split / f"vid{v}" / f"vid{v}_1"
            folder.mkdir(parents=True)
            for t in range(3):
                (folder / f"{t:04d}.png").write_bytes(png_bytes(np.full((20, 30, 3), 10 * t, np.uint8)))
    info = CliRunner().invoke(main, ["dataset", "prepare", "sky", str(src), str(tmp_path / "out"), "-q", "-r", "8"])
    assert info.exit_code == 0, info.output
    recipe = json.loads((tmp_path / "out" / "recipe.json").read_text())
    assert {k: v["videos"] for k, v in recipe["outputs"].items()} == {"train": 3, "val": 1}
    with zipfile.ZipFile(tmp_path / "out" / "val.zip") as zf:  # DIGAN drops only *val* groups when training
        assert sorted(zf.namelist())[:2] == ["val/", "val/dataset.json"]
    assert recipe["outputs"]["train"]["classes"] == 0 and recipe["resolution"] == 8
    from vidsynth.data.prepare import prepare_dataset

    with pytest.raises(DatasetError, match="no train folder"):
        prepare_dataset("sky", src / "sky_test", tmp_path / "s", progress=False)
    taichi = prepare_dataset("taichi", src, tmp_path / "t", resolution=8, progress=False)  # all + train + val
    assert {k: v["videos"] for k, v in taichi["outputs"].items()} == {"all": 4, "train": 3, "val": 1}
    assert "--preset taichi" in taichi["train_with"]
