"""Tiny models and runs for the app tests, made in well under a second (random weights: the app only
needs a model that renders; the frames are compared with the CLI's, not judged for quality)."""
from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from tests.threads import one_thread_fixture
from vidsynth.config import method_config
from vidsynth.export import save_model
from vidsynth.video.write import make_grid, write_video

METADATA = {"train_frames": 4, "fps": 8}


_one_thread = one_thread_fixture()


def digan_model(folder: Path, c_dim: int = 0, class_names=()) -> Path:
    """The ``test`` preset DIGAN (16 px, 8 px input grid), random weights, trained on 4-frame clips."""
    from vidsynth.models.digan import DIGANGenerator
    from vidsynth.training.digan import generator_kwargs

    torch.manual_seed(0)
    kwargs = generator_kwargs(method_config("digan", "test"), c_dim)
    return save_model(DIGANGenerator(**kwargs), folder, kwargs, dict(METADATA, class_names=list(class_names)))


@pytest.fixture(scope="session")
def digan_path(tmp_path_factory) -> Path:
    return digan_model(tmp_path_factory.mktemp("digan") / "model")


@pytest.fixture(scope="session")
def digan_conditional_path(tmp_path_factory) -> Path:
    return digan_model(tmp_path_factory.mktemp("digan_c") / "model", 3, ["walk", "run", "jump"])


@pytest.fixture(scope="session")
def mocogan_path(tmp_path_factory) -> Path:
    """A ``test`` preset StyleGAN2 (16 px) with a MoCoGAN-HD motion generator and a fitted latent PCA."""
    from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
    from vidsynth.training.mocogan_hd import motion_kwargs
    from vidsynth.training.stylegan2 import build_image_generator

    torch.manual_seed(0)
    image_generator = build_image_generator(method_config("stylegan2", "test"))
    video_generator = MoCoGANHDVideoGenerator(type(image_generator).__name__, image_generator.init_kwargs,
                                              motion_kwargs(method_config("mocogan-hd", "test"),
                                                            image_generator.latent_dim),
                                              image_generator=image_generator)
    video_generator.motion_generator.fit_pca(image_generator, num_samples=256, batch_size=64,
                                             generator=torch.Generator().manual_seed(0), progress=False)
    folder = tmp_path_factory.mktemp("mocogan") / "model"
    return save_model(video_generator, folder, video_generator.init_kwargs, METADATA)


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory, digan_path) -> Path:
    """Two hand-made run folders (no training): one with stats, metrics, samples and a model; one empty."""
    from tests.report.conftest import moving_square

    root = tmp_path_factory.mktemp("runs")
    run = root / "00000-digan-shapes"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "method": {"method": "digan", "resolution": 16, "frames": 4},
        "loop": {"data": "builtin:shapes", "kimg": 0.2, "seed": 0}, "class_names": [], "world_size": 1}))
    with open(run / "stats.jsonl", "w") as f:
        for i in range(1, 6):
            f.write(json.dumps({"loss/G": 1 + math.exp(-i), "loss/D": 1.4 - 0.1 * i, "D/real_image": 0.1 * i,
                                "kimg": 0.04 * i, "time": 10.0 * i, "sec_per_kimg": 250.0}) + "\n")
    with open(run / "metrics.jsonl", "w") as f:
        for kimg, fvd in ((0.08, 900.0), (0.2, 610.0)):
            f.write(json.dumps({"metric": "fvd16", "value": fvd, "kimg": kimg, "num_videos": 64}) + "\n")
        f.write(json.dumps({"metric": "kvd16", "value": 12.5, "kimg": 0.2}) + "\n")
    write_video(run / "samples-0000.200kimg.mp4", make_grid(moving_square(frames=4, size=16)), fps=8)
    write_video(run / "reals.mp4", make_grid(moving_square(frames=4, size=16, shift=3)), fps=8)
    shutil.copytree(digan_path, run / "model")
    empty = root / "00001-mocogan-hd-scene"
    empty.mkdir()
    (empty / "config.json").write_text(json.dumps({"method": {"method": "mocogan-hd"},
                                                   "loop": {"data": "builtin:scene"}}))
    return root


def cli(args: list[str]):
    """Run ``vidsynth ARGS`` in-process; fail with its output when it exits non-zero."""
    from vidsynth.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def gradio_available() -> bool:
    try:
        import gradio  # noqa: F401
    except ImportError:
        return False
    return True


needs_gradio = pytest.mark.skipif(not gradio_available() and "gradio" not in sys.modules,
                                  reason="gradio is not installed (pip install 'vidsynth[app]')")
