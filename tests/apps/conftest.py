"""Shared fixtures: a tiny random DIGAN (the ``test`` preset sizes) and a 2-step trained run."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from vidsynth.config import method_config
from vidsynth.models.digan import DIGANGenerator
from vidsynth.models.digan.sampler import DIGANSampler
from vidsynth.training.digan import generator_kwargs


def tiny_generator(seed: int = 0, c_dim: int = 0) -> DIGANGenerator:
    """The ``test`` preset generator (16 px, 8 px input grid) with random weights."""
    torch.manual_seed(seed)
    return DIGANGenerator(**generator_kwargs(method_config("digan", "test"), c_dim)).eval()


@pytest.fixture
def sampler() -> DIGANSampler:
    return DIGANSampler(tiny_generator(), {"train_frames": 4, "fps": 8})


def invoke(args: list[str]):
    """Run ``vidsynth ARGS`` in-process; fail with its output when it exits non-zero."""
    from vidsynth.cli import main

    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> str:
    """A DIGAN run trained for 2 steps (4 videos each) on builtin:shapes: model/ and a checkpoint with D."""
    out = tmp_path_factory.mktemp("runs")
    invoke(["train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--kimg", "0.008",
            "--outdir", str(out), "--workers", "0", "--quiet"])
    (run,) = out.iterdir()
    return str(run)
