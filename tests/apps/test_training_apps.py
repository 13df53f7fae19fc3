"""Long-video training (128 frames, sigma_t 0.5 in the paper) and class-conditional DIGAN, end to end."""
import json

import numpy as np
import pytest

import vidsynth
from tests.apps.conftest import invoke
from vidsynth.config import method_config
from vidsynth.data import open_dataset
from vidsynth.video.write import write_mp4


def test_long_clip_preset_and_builtin_length():
    cfg = method_config("digan", "paper128-long")
    assert cfg.frames == 128 and cfg.sigma_t == 0.5
    ds = open_dataset("builtin:shapes", resolution=16, frames=128)        # builtin videos are long enough
    assert ds.clip(0, 0)[0].shape == (3, 128, 16, 16)


def test_train_long_clips_small_model(tmp_path):
    invoke(["train", "--method", "digan", "--preset", "test", "--set", "frames=32", "--set", "sigma_t=0.5",
            "--data", "builtin:shapes", "--kimg", "0.004", "--outdir", str(tmp_path), "--workers", "0", "--quiet"])
    (run,) = tmp_path.iterdir()
    cfg = json.loads((run / "config.json").read_text())["method"]
    assert cfg["frames"] == 32 and cfg["sigma_t"] == 0.5
    sampler = vidsynth.load(run)
    assert sampler.train_frames == 32                                     # frame i at t = i / 31
    assert sampler.generator.blocks[0].embedding is not None


def _labelled_folder(root):
    rng = np.random.default_rng(0)
    for cls, level in (("dark", 40), ("bright", 210)):
        for k in range(2):
            frames = np.clip(rng.normal(level, 10, (6, 16, 16, 3)), 0, 255).astype(np.uint8)
            write_mp4(root / cls / f"v{k}.mp4", frames)


@pytest.mark.parametrize("labels", ["folders", "json"])
def test_conditional_training_and_class_sampling(tmp_path, labels):
    data = tmp_path / "data"
    _labelled_folder(data)
    spec = "folders"
    if labels == "json":
        spec = str(tmp_path / "labels.json")
        (tmp_path / "labels.json").write_text(json.dumps({f"{c}/v{k}.mp4": c.upper() for c in ("dark", "bright")
                                                          for k in range(2)}))
    invoke(["train", "--method", "digan", "--preset", "test", "--set", "conditional=true", "--set", f"labels={spec}",
            "--data", str(data), "--kimg", "0.004", "--outdir", str(tmp_path / "runs"), "--workers", "0", "--quiet"])
    (run,) = (tmp_path / "runs").iterdir()
    sampler = vidsynth.load(run)
    names = ["bright", "dark"] if labels == "folders" else ["BRIGHT", "DARK"]
    assert sampler.class_names == names and sampler.generator.c_dim == 2
    out = tmp_path / "dark.npz"
    invoke(["generate", str(run), "--class", names[1], "--n", "2", "--frames", "4", "--out", str(out)])
    assert np.load(out)["videos"].shape[:2] == (2, 4)


def test_conditional_without_labels_says_what_to_do(tmp_path):
    from click.testing import CliRunner

    from vidsynth.cli import main

    _labelled_folder(tmp_path / "data")
    result = CliRunner().invoke(main, ["train", "--method", "digan", "--preset", "test", "--set", "conditional=true",
                                       "--data", str(tmp_path / "data"), "--kimg", "0.004", "--outdir",
                                       str(tmp_path / "runs"), "--workers", "0", "--quiet"])
    assert result.exit_code != 0
    assert "labels=folders" in str(result.exception) + result.output
