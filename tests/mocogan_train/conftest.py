"""Shared tiny runs for the MoCoGAN-HD training tests (CPU, one thread: the machines are shared)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.threads import one_thread_fixture
from vidsynth.config import LoopConfig, method_config
from vidsynth.training.loop import train


_one_thread = one_thread_fixture()


def run_training(method: str, outdir: Path, kimg: float, data: str = "builtin:shapes", resume=None,
                 preset: str = "test", **overrides) -> Path:
    """Train ``method`` (test preset) for ``kimg`` on CPU without workers; returns the run folder."""
    cfg = method_config(method, preset, overrides)
    loop = LoopConfig(data=data, kimg=kimg, seed=3, snapshot_kimg=0, num_workers=0, device="cpu",
                      sample_videos=2, sample_frames=4)
    return train(cfg, loop, outdir=outdir, resume=resume, progress=False)


@pytest.fixture(scope="session")
def image_run(tmp_path_factory) -> Path:
    """A StyleGAN2 image generator trained for 2 steps (batch 4) at 16 px."""
    return run_training("stylegan2", tmp_path_factory.mktemp("image_runs"), kimg=0.008)


@pytest.fixture(scope="session")
def video_run(tmp_path_factory, image_run) -> Path:
    """An in-domain MoCoGAN-HD run on ``image_run`` (2 steps, batch 2)."""
    return run_training("mocogan-hd", tmp_path_factory.mktemp("video_runs"), kimg=0.004,
                        image_generator=str(image_run))


@pytest.fixture(scope="session")
def sampler(video_run):
    import vidsynth

    return vidsynth.load(video_run)
