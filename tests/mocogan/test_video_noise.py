"""Image noise maps in MoCoGAN-HD videos: one set per video shared by its frames (official), const,
none; reproducible per video independent of the batch; training frames unclamped (official)."""
from __future__ import annotations

import pytest
import torch

from vidsynth.models.mocogan_hd import MotionGenerator, render_latents
from vidsynth.models.mocogan_hd.losses import StepDraws, render_fake_videos
from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler
from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
from vidsynth.models.stylegan2 import StyleGAN2Generator

# Renders of one frame in batches of different sizes differ by float32 rounding only: the raw outputs
# of this random generator reach ~8, so 2e-6 is measured; 1e-5 is the bound (a wrong noise map moves
# pixels by ~0.1).
ATOL = 1e-5


@pytest.fixture(scope="module")
def G_I() -> StyleGAN2Generator:
    torch.manual_seed(0)
    G = StyleGAN2Generator(resolution=16, style_dim=16, n_mlp=2, channel_max=16)
    with torch.no_grad():
        for layer in [G.conv1, *G.convs]:
            layer.noise.weight.fill_(0.5)          # trained models have non-zero noise strengths
    return G.eval().requires_grad_(False)


def _still(G, b=2, t=3) -> torch.Tensor:
    """Latents ``[b, t, D]`` with no motion: every frame of a video has the same w."""
    return G.sample_latents(b, generator=torch.Generator().manual_seed(1)).unsqueeze(1).expand(-1, t, -1)


def test_per_video_noise_is_shared_by_frames_and_differs_between_videos(G_I):
    latents = _still(G_I)
    latents = torch.cat([latents[:1], latents[:1]])                    # two videos, same content
    video = render_latents(G_I, latents, noise_mode="per_video", generator=torch.Generator().manual_seed(2))
    assert torch.equal(video[:, :, 0], video[:, :, 1]) and torch.equal(video[:, :, 0], video[:, :, 2])
    assert (video[0] - video[1]).abs().max() > 1e-2                   # different noise -> different texture
    chunked = render_latents(G_I, latents, batch_size=2, noise_mode="per_video",
                             generator=torch.Generator().manual_seed(2))
    assert torch.allclose(chunked, video, atol=ATOL)                   # rendering in chunks keeps the sharing


def test_const_and_none_modes(G_I):
    latents = _still(G_I)
    latents = torch.cat([latents[:1], latents[:1]])
    const = render_latents(G_I, latents, noise_mode="const")
    assert torch.equal(const[0], const[1])                             # every video the same fixed maps
    assert torch.allclose(const[:, :, 0], G_I.synthesize(latents[:, 0]), atol=ATOL)
    none = render_latents(G_I, latents, noise_mode="none")
    assert torch.allclose(none[:, :, 0], G_I.synthesis(latents[:, 0], noise_mode="none").clamp(-1, 1), atol=ATOL)
    assert (none - const).abs().max() > 1e-2
    with pytest.raises(ValueError, match="noise must be one of"):
        render_latents(G_I, latents, noise_mode="per_frame")


def test_sampler_noise_is_per_video_and_independent_of_the_batch(G_I):
    G_M = MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=4, mi_hidden=8)
    gen = MoCoGANHDVideoGenerator("StyleGAN2Generator", G_I.init_kwargs, {}, image_generator=G_I, motion_generator=G_M)
    assert gen.init_kwargs["noise_mode"] == "per_video"
    sampler = MoCoGANHDSampler(gen)
    one_by_one = sampler.sample(3, frames=2, seed=5, batch_size=1)
    assert torch.allclose(sampler.sample(3, frames=2, seed=5, batch_size=3), one_by_one, atol=ATOL)
    maps = sampler.video_noise(3, seed=5)
    assert torch.equal(sampler.video_noise(1, seed=5, start=2)[0][0], maps[0][2])
    assert not torch.equal(maps[0][0], maps[0][1])
    # rendering the same content code twice gives the same texture (noise keyed by the content)
    w1 = sampler.content_codes(1, seed=5).expand(2, -1)
    still = sampler.render_latents(w1.unsqueeze(1).expand(-1, 2, -1))
    assert torch.equal(still[0], still[1])
    gen.noise_mode = "none"
    assert (sampler.sample(3, frames=2, seed=5, batch_size=1) - one_by_one).abs().max() > 1e-3


def test_training_frames_are_not_clamped(G_I):
    """The official trainer feeds D the raw generator output; we follow it (sample_fake_videos)."""
    G = StyleGAN2Generator(resolution=16, style_dim=16, n_mlp=2, channel_max=16).eval().requires_grad_(False)
    G.load_state_dict(G_I.state_dict())
    with torch.no_grad():
        G.to_rgbs[-1].bias.fill_(3.0)                                  # push the output out of [-1, 1]
    G_M = MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=4, mi_hidden=8)
    w1 = G.sample_latents(2, generator=torch.Generator().manual_seed(0))
    draws = StepDraws(w1, G_M.sample_noise(2, 3), G.sample_noise(2), False, False, 1)
    video, _ = render_fake_videos(G_M, G, draws, 3)
    assert video.max() > 1.5
    assert render_latents(G, video.new_zeros(1, 1, 16) + w1[:1, None]).max() <= 1.0   # sampling clamps
