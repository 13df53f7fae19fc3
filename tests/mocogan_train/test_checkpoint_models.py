"""MoCoGAN-HD and StyleGAN2 runs: every snapshot kept, and a checkpoint loads as the snapshot it was saved with
(MoCoGAN-HD: the checkpoint's motion generator on the run's frozen image generator)."""
import pytest
import torch

import vidsynth
from vidsynth.config import LoopConfig, method_config
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.loop import train
from vidsynth.training.snapshots import list_snapshots


@pytest.fixture(scope="module")
def mocogan_run(tmp_path_factory, image_run):
    cfg = method_config("mocogan-hd", "test", {"image_generator": str(image_run)})
    loop = LoopConfig(data="builtin:shapes", kimg=0.004, seed=3, snapshot_kimg=0.002, num_workers=0, device="cpu",
                      sample_videos=2, sample_frames=4, keep_checkpoints=0, log="none")
    return train(cfg, loop, outdir=tmp_path_factory.mktemp("ckpt_runs"), progress=False)


def test_mocogan_checkpoints_load_as_their_snapshots(mocogan_run):
    snaps, checkpoints = list_snapshots(mocogan_run), ckpt.list_checkpoints(mocogan_run)[::-1]
    assert len(snaps) == len(checkpoints) == 2
    samples = [vidsynth.load(p).sample(2, frames=4, seed=1) for p in (*snaps, *checkpoints)]
    assert torch.equal(samples[0], samples[2]) and torch.equal(samples[1], samples[3])
    assert not torch.equal(samples[0], samples[1])          # the motion generator moved between the snapshots


def test_stylegan2_checkpoint_loads_its_ema_generator(image_run):
    pt = ckpt.list_checkpoints(image_run)[0]
    a = vidsynth.load(pt).sample(3, frames=1, seed=2)
    assert torch.equal(a, vidsynth.load(image_run).sample(3, frames=1, seed=2))
    assert vidsynth.load(pt).metadata["kimg"] == 0.008
