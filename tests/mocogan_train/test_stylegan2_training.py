"""StyleGAN2 / BigGAN image-generator training: runs, image folders, exact resume, export."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vidsynth.data import open_dataset
from vidsynth.data.clips import open_image_dataset
from vidsynth.data.images import ImageSource
from vidsynth.errors import DatasetError
from vidsynth.export import load_model

from .conftest import run_training
from .helpers import assert_same_weights, latest_state
from tests.tolerances import LAYOUT_ATOL


def test_run_folder_and_export(image_run):
    for name in ("config.json", "model/config.json", "model/model.safetensors", "samples-latest.png",
                 "samples-latest.gif", "reals.mp4", "stats.jsonl"):
        assert (image_run / name).exists(), name
    G, config = load_model(image_run / "model")
    assert config["class_name"] == "StyleGAN2Generator" and config["metadata"]["method"] == "stylegan2"
    assert G.synthesize(G.sample_latents(2)).shape == (2, 3, 16, 16)
    assert latest_state(image_run)["step"] == 2


def test_resume_is_exact(tmp_path, monkeypatch):
    """A resumed StyleGAN2 run runs only steps 2 and 3 and ends bit-identical to a straight run."""
    from tests.recording import record_steps
    from vidsynth.training.stylegan2 import StyleGAN2Trainer

    straight = run_training("stylegan2", tmp_path / "a", kimg=0.016)   # 4 steps, R1 on steps 0 and 2
    half = run_training("stylegan2", tmp_path / "b", kimg=0.008)
    ran = record_steps(monkeypatch, StyleGAN2Trainer)
    resumed = run_training("stylegan2", tmp_path / "b", kimg=0.016, resume=half)
    assert resumed == half
    assert ran == [2, 3], f"the resumed process ran steps {ran}, not the remaining [2, 3]"
    assert_same_weights(straight, resumed, ["G", "D", "G_ema"])


def _image_folder(root, n=5):
    rng = np.random.default_rng(0)
    (root / "sub").mkdir(parents=True)
    for i in range(n):
        folder = root / "sub" if i % 2 else root
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    return root


def test_image_folder_dataset(tmp_path):
    folder = _image_folder(tmp_path / "imgs")
    ds = open_image_dataset(str(folder), resolution=16)
    assert isinstance(ds.source, ImageSource) and ds.num_videos == 5     # every image one sample
    clip, label = ds.clip(3, 0)
    assert clip.shape == (3, 1, 16, 16) and clip.dtype == torch.uint8 and label == -1
    assert open_dataset(f"images:{folder}", resolution=8, frames=1).num_videos == 5
    with pytest.raises(DatasetError, match="still images"):
        open_dataset(f"images:{folder}", resolution=8, frames=2)
    # a video dataset gives random frames of random videos
    assert open_image_dataset("builtin:shapes", resolution=8).frames == 1


def test_train_on_image_folder(tmp_path):
    folder = _image_folder(tmp_path / "imgs")
    run = run_training("stylegan2", tmp_path / "runs", kimg=0.008, data=str(folder))
    assert (run / "model" / "model.safetensors").exists()


def test_biggan_family(tmp_path):
    run = run_training("stylegan2", tmp_path, kimg=0.008, family="biggan", resolution=32)
    G, config = load_model(run / "model")
    assert config["class_name"] == "BigGANGenerator"
    assert G.synthesize(G.sample_latents(2)).shape == (2, 3, 32, 32)


def test_generate_samples_images_from_a_stylegan2_run(image_run, tmp_path):
    """vidsynth.load / vidsynth generate on an image-generator run: images as one-frame videos."""
    import numpy as np
    from click.testing import CliRunner

    import vidsynth
    from vidsynth.cli import main

    g = vidsynth.load(image_run)
    a = g.sample(3, frames=1, seed=5, batch_size=3)
    b = g.sample(3, frames=1, seed=5, batch_size=1)
    assert a.shape == (3, 3, 1, 16, 16) and torch.allclose(a, b, atol=LAYOUT_ATOL)
    assert not torch.allclose(a[0], a[1])
    res = CliRunner().invoke(main, ["generate", str(image_run), "--n", "4", "--frames", "1",
                                    "--out", str(tmp_path / "imgs.npz")])
    assert res.exit_code == 0, res.output
    assert np.load(tmp_path / "imgs.npz")["videos"].shape == (4, 1, 16, 16, 3)
    res = CliRunner().invoke(main, ["generate", str(image_run), "--n", "2", "--frames", "16",
                                    "--out", str(tmp_path / "x.mp4")])
    assert res.exit_code != 0 and "image generator" in res.output
