"""MoCoGAN-HD motion-generator training: in/cross-domain steps, PCA in the export, exact resume, sampling."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

import vidsynth
from vidsynth.errors import ConfigError
from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler

from .conftest import run_training
from .helpers import assert_same_weights, latest_state


def test_in_domain_run_and_pca_in_export(video_run):
    state = latest_state(video_run)
    assert state["step"] == 2 and state["method"] == "mocogan-hd"
    g_m = state["trainer"]["G_M"]
    assert bool(g_m["pca_fitted"])
    exported = load_file(str(video_run / "model" / "model.safetensors"))
    for name in ("pca_components", "pca_std", "latent_mean"):
        assert torch.equal(exported[f"motion_generator.{name}"], g_m[name])
    assert bool(exported["motion_generator.pca_fitted"])
    assert any(k.startswith("image_generator.") for k in exported)
    assert (video_run / "samples-latest.gif").exists()
    # the image-noise mode travels with the export (official per-video noise by default)
    assert vidsynth.load(video_run).generator.noise_mode == "per_video"


def test_resume_is_exact_in_domain(tmp_path, image_run, monkeypatch):
    """A resumed MoCoGAN-HD run runs only steps 2 and 3 and ends bit-identical to a straight run."""
    from tests.recording import record_steps
    from vidsynth.training.mocogan_hd import MoCoGANHDTrainer

    kw = dict(image_generator=str(image_run))
    straight = run_training("mocogan-hd", tmp_path / "a", kimg=0.008, **kw)       # 4 steps of batch 2
    half = run_training("mocogan-hd", tmp_path / "b", kimg=0.004, **kw)
    ran = record_steps(monkeypatch, MoCoGANHDTrainer)
    resumed = run_training("mocogan-hd", tmp_path / "b", kimg=0.008, resume=half, **kw)
    assert ran == [2, 3], f"the resumed process ran steps {ran}, not the remaining [2, 3]"
    assert_same_weights(straight, resumed, ["G_M", "D_V", "D_I"])


def test_cross_domain_resume_is_exact(tmp_path, monkeypatch):
    """Cross-domain resume: only step 1 runs again, and G_M, D_V, D_I (EMA copy, memory banks) match."""
    from tests.recording import record_steps
    from vidsynth.training.mocogan_hd import MoCoGANHDTrainer

    # a Z-space (BigGAN-style) image generator, to cover both latent spaces
    image = run_training("stylegan2", tmp_path / "img", kimg=0.004, family="biggan", resolution=32)
    kw = dict(image_generator=str(image), cross_domain=True)
    straight = run_training("mocogan-hd", tmp_path / "a", kimg=0.004, **kw)       # 2 steps
    half = run_training("mocogan-hd", tmp_path / "b", kimg=0.002, **kw)
    ran = record_steps(monkeypatch, MoCoGANHDTrainer)
    resumed = run_training("mocogan-hd", tmp_path / "b", kimg=0.004, resume=half, **kw)
    assert ran == [1], f"the resumed process ran steps {ran}, not the remaining [1]"
    assert_same_weights(straight, resumed, ["G_M", "D_V", "D_I"])   # D_I includes the EMA copy and banks
    videos = vidsynth.load(resumed).sample(2, frames=3)
    assert videos.shape == (2, 3, 3, 32, 32)


def test_needs_image_generator(tmp_path):
    with pytest.raises(ConfigError, match="image-generator"):
        run_training("mocogan-hd", tmp_path, kimg=0.002)


def test_noise_mode_is_checked_and_exported(tmp_path, image_run):
    with pytest.raises(ConfigError, match="noise must be one of"):
        run_training("mocogan-hd", tmp_path / "bad", kimg=0.002, image_generator=str(image_run), noise="per_frame")
    run = run_training("mocogan-hd", tmp_path / "none", kimg=0.002, image_generator=str(image_run), noise="none")
    assert vidsynth.load(run).generator.noise_mode == "none"


def test_load_and_sample_deterministic(sampler):
    assert isinstance(sampler, MoCoGANHDSampler)
    a = sampler.sample(3, frames=5, seed=1, batch_size=2)
    assert a.shape == (3, 3, 5, 16, 16) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, sampler.sample(3, frames=5, seed=1, batch_size=2))
    # video i does not depend on n or the batch size (up to float rounding of batched convs)
    assert torch.allclose(a, sampler.sample(3, frames=5, seed=1, batch_size=3), atol=1e-4)
    assert torch.allclose(a[:2], sampler.sample(2, frames=5, seed=1, batch_size=1), atol=1e-4)
    assert not torch.equal(a, sampler.sample(3, frames=5, seed=2))
    assert sampler.sample(1, frames=12).shape[2] == 12          # unrolls past the training length (4)
    with pytest.raises(ValueError):
        sampler.sample(1, label=0)


def test_train_unroll_reaches_the_step(tmp_path, image_run, monkeypatch):
    """``train_unroll`` 3: every G and D step renders a T-frame window of a trajectory drawn for 3T frames,
    starting at one of the tiles 0, T, 2T (recorded from the trainer's own calls); 0 is refused."""
    from vidsynth.models.mocogan_hd import losses

    seen = []
    real = losses.render_fake_videos

    def record(motion_generator, image_generator, draws, num_frames, noise_mode="per_video"):
        seen.append((draws.motion_noise.shape[1] + 1, draws.window, num_frames))
        return real(motion_generator, image_generator, draws, num_frames, noise_mode)

    monkeypatch.setattr(losses, "render_fake_videos", record)
    run_training("mocogan-hd", tmp_path / "a", kimg=0.008, image_generator=str(image_run), train_unroll=3)
    frames = seen[0][2]                                   # the test preset's clip length
    assert len(seen) == 4 * 3                             # 4 steps x (2 G steps + 1 D step)
    assert all(n == 3 * frames and s in (0, frames, 2 * frames) and t == frames for n, s, t in seen)
    assert any(s > 0 for _, s, _ in seen)
    with pytest.raises(ConfigError, match="train_unroll must be >= 1"):
        run_training("mocogan-hd", tmp_path / "b", kimg=0.002, image_generator=str(image_run), train_unroll=0)


def test_motion_residual_first_trains_exports_and_loads(tmp_path, image_run):
    """``--set motion_residual=first`` reaches the trainer's motion generator and the exported model: the loaded
    sampler's trajectories stay within lambda * |std| of w_1 at 3x the training length (the paper's cumulative walk
    has no such bound)."""
    import vidsynth
    from tests.mocogan_train.conftest import run_training

    run = run_training("mocogan-hd", tmp_path, kimg=0.004, image_generator=str(image_run), motion_residual="first")
    sampler = vidsynth.load(run)
    mg = sampler.generator.motion_generator
    assert mg.residual == "first"
    w1 = sampler.content_codes(3, seed=0)
    latents = sampler.trajectory(w1, 12, sampler.motion_noise(3, 12, seed=0))
    reach = (latents - w1[:, None].to(latents)).norm(dim=-1).max().item()
    assert 0 < reach <= mg.motion_scale * mg.pca_std.norm().item() + 1e-5
