"""Rectangular DIGAN frames (``--set aspect=16:9`` / ``--resolution HxW``): the INR renders any grid.

The square case must stay exactly as it was: its generator output and one training step are pinned
to values produced by the code before rectangular support (same seeds, CPU, one thread).
"""
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.config import ConfigError, digan_frame_size, method_config, parse_resolution
from vidsynth.video.pixels import crop_resize
from vidsynth.models.digan.coordinates import coordinate_grid
from vidsynth.models.digan.generator import DIGANGenerator
from vidsynth.models.resnet_discriminator import ResNetDiscriminator
from vidsynth.training.digan import DIGANTrainer, generator_kwargs


def tiny(aspect="1:1"):
    return method_config("digan", "test", {"mbstd_group": 1, "batch": 2, "frames": 4, "aspect": aspect})


def latents(cfg):
    g = torch.Generator().manual_seed(1)
    return torch.randn(2, cfg.z_dim, generator=g), torch.randn(2, cfg.motion_dim, generator=g)


def counting_clips(height, width):
    """uint8 ``[2, 3, 4, H, W]`` with distinct values everywhere (no randomness)."""
    return (torch.arange(2 * 3 * 4 * height * width) % 251).view(2, 3, 4, height, width).to(torch.uint8)


def test_square_generator_and_training_step_unchanged():
    torch.set_num_threads(1)
    cfg = tiny()
    tr = DIGANTrainer(cfg, torch.device("cpu"), seed=0)
    assert "width" not in generator_kwargs(cfg)  # square exports keep their kwargs
    z, zm = latents(cfg)
    with torch.no_grad():
        video = tr.G(z, zm, torch.tensor([0.0, 0.5]))
    # Pinned from the code before rectangular support. rel 1e-5: float32 sums of 3,072 values of size ~1 agree
    # to ~1e-6 relative across BLAS builds; any change to the grid or coordinates moves them by >1e-2.
    assert video.shape == (2, 3, 2, 16, 16)
    assert video.sum().item() == pytest.approx(-1028.392822265625, rel=1e-5)
    assert video[0, :, 1, 3, 5].tolist() == pytest.approx([-0.7228313684463501, 1.1773897409439087,
                                                            2.0192010402679443], rel=1e-5)
    stats = tr.step(0, counting_clips(16, 16), torch.zeros(2, dtype=torch.long), 2)
    assert stats["loss/G"] == pytest.approx(1.582431674003601, rel=1e-5)
    assert stats["loss/D"] == pytest.approx(2.811307191848755, rel=1e-5)
    assert stats["loss/R1"] == pytest.approx(0.06792555749416351, rel=1e-4)  # a squared gradient: twice the error


def test_frame_size_rule():
    assert digan_frame_size(tiny()) == (16, 16)
    assert digan_frame_size(tiny("16:9")) == (16, 28)  # 28.44 -> nearest multiple of 16/4
    assert digan_frame_size(method_config("digan", "paper128", {"aspect": "16:9"})) == (128, 224)
    assert digan_frame_size(method_config("digan", "paper128", {"aspect": "4:3"})) == (128, 160)
    assert parse_resolution("128x224") == (128, "224:128") and parse_resolution("64") == (64, None)
    with pytest.raises(ConfigError, match="width:height"):
        digan_frame_size(tiny("wide"))
    with pytest.raises(ConfigError, match="HEIGHTxWIDTH"):
        parse_resolution("128x")


def test_wide_grid_extends_the_square_one_about_its_centre():
    square, wide = coordinate_grid(8), coordinate_grid(8, width=14)
    assert wide.shape == (2, 8 * 14)
    w = wide.view(2, 8, 14)
    # same pitch, centred: columns 3..10 of the wide grid are the square grid
    assert torch.equal(w[:, :, 3:11], square.view(2, 8, 8))
    assert torch.allclose(w[0, 0, :3], square.view(2, 8, 8)[0, 0, :3] - 3 * 0.25)


def test_wide_generator_renders_the_square_video_in_its_centre():
    cfg = tiny()
    square = DIGANGenerator(**generator_kwargs(cfg))
    wide = DIGANGenerator(**generator_kwargs(cfg), width=28)
    wide.load_state_dict(square.state_dict())  # the width changes no weight
    z, zm = latents(cfg)
    with torch.no_grad():
        a, b = square(z, zm, torch.tensor([0.0, 0.7])), wide(z, zm, torch.tensor([0.0, 0.7]))
    assert b.shape == (2, 3, 2, 16, 28)
    # every layer is per pixel, so the centre 16 columns are the square video. atol 1e-5: the same float32
    # products summed in a different blocking (bmm over more points), |values| < 3
    assert torch.allclose(b[..., 6:22], a, atol=1e-5)
    assert not torch.allclose(b[..., :6], b[..., 6:12], atol=1e-2)  # the sides are new content, not a copy
    with torch.no_grad():
        assert wide(z, zm, torch.tensor([0.0]), scale=2.0).shape == (2, 3, 1, 32, 56)
    with pytest.raises(ValueError, match="multiple of resolution / input_resolution"):
        DIGANGenerator(**generator_kwargs(cfg), width=27)


def test_rectangular_discriminator_and_training_step():
    torch.set_num_threads(1)
    with pytest.raises(ValueError, match="multiple of resolution / 4"):
        ResNetDiscriminator(16, width=30)
    assert ResNetDiscriminator(16, channel_base=128, channel_max=16).fc.weight.shape == (16, 16 * 16)
    assert ResNetDiscriminator(16, channel_base=128, channel_max=16, width=28).fc.weight.shape == (16, 16 * 4 * 7)
    cfg = tiny("16:9")
    tr = DIGANTrainer(cfg, torch.device("cpu"), seed=0)
    before = [p.detach().clone() for p in tr.G.parameters()]
    stats = tr.step(0, counting_clips(16, 28), torch.zeros(2, dtype=torch.long), 2)
    assert all(np.isfinite(v) for v in stats.values()) and stats["loss/G"] > 0 and stats["loss/D"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, tr.G.parameters()))  # G was updated
    z, zm = latents(cfg)
    assert tr.sample(z, zm, 3).shape == (2, 3, 3, 16, 28)


def test_rect_crop_rule():
    frames = np.arange(2 * 16 * 40 * 3, dtype=np.int64).reshape(2, 16, 40, 3) % 256
    frames = frames.astype(np.uint8)
    # a wider source keeps its full height and the centred 28 of 40 columns: no resize needed here
    assert np.array_equal(crop_resize(frames, (16, 28)), frames[:, :, 6:34])
    tall = np.ascontiguousarray(frames.transpose(0, 2, 1, 3)[:, :, :14])  # [2, 40, 14, 3]
    assert np.array_equal(crop_resize(tall, (8, 14)), tall[:, 16:24])  # taller: full width, centred rows
    assert crop_resize(frames, (8, 14)).shape == (2, 8, 14, 3)           # crop 16x28, then halve
    assert np.array_equal(crop_resize(frames, (16, 16)), crop_resize(frames, 16))  # (R, R) is the square rule


def test_cli_trains_and_generates_rectangular_videos(tmp_path):
    runner = CliRunner()
    args = ["train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--kimg", "0.004",
            "--snapshot-kimg", "0", "--workers", "0", "--device", "cpu", "--quiet", "--outdir", str(tmp_path),
            "--set", "mbstd_group=1", "--set", "batch=2", "--set", "frames=4"]
    bad = runner.invoke(main, [*args, "--resolution", "16x30"])
    assert bad.exit_code == 2 and "multiple of height/4 = 4" in bad.output
    assert runner.invoke(main, ["train", "--method", "stylegan2", "--resolution", "16x28", "--show-config"]).exit_code == 2
    result = runner.invoke(main, [*args, "--resolution", "16x28"])
    assert result.exit_code == 0, result.output
    run = next(tmp_path.glob("*-digan-*"))
    assert json.loads((run / "config.json").read_text())["method"]["aspect"] == "28:16"
    out = tmp_path / "zoom.npz"
    result = runner.invoke(main, ["generate", str(run), "--mode", "zoom-out", "--n", "2", "--frames", "3",
                                  "--out", str(out), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert np.load(out)["videos"].shape == (2, 3, 16, 28, 3)  # uint8 [N, T, H, W, 3]
    import vidsynth

    assert vidsynth.load(run).sample(2, frames=3).shape == (2, 3, 3, 16, 28)
