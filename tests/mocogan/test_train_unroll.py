"""``unroll`` (config ``train_unroll``): the discriminators judge a window of a k x T unroll (issue 15).

k = 1 must keep the official draws exactly; k > 1 must render frames s .. s+T-1 of the long
trajectory, with s one of the tiles 0, T, .., (k-1) T, so every unrolled frame is judged equally often."""
from __future__ import annotations

import pytest
import torch

from vidsynth.models.mocogan_hd import (MotionGenerator, PairImageDiscriminator, VideoDiscriminator,
                                        discriminator_losses, generator_losses)
from vidsynth.models.mocogan_hd.losses import (StepDraws, draw_discriminator_step, draw_generator_step,
                                               render_fake_videos)
from vidsynth.models.mocogan_hd.motion_generator import render_latents

T = 4


def motion_generator() -> MotionGenerator:
    torch.manual_seed(0)
    return MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=6, mi_hidden=12, motion_scale=0.5)


def test_window_is_frames_of_the_long_unroll(image_generator):
    """The rendered clip is frames s .. s+T-1 of the 3T-frame trajectory with the same noise."""
    G_M = motion_generator()
    w1 = image_generator.sample_latents(2, generator=torch.Generator().manual_seed(1))
    noise = G_M.sample_noise(2, 3 * T, torch.Generator().manual_seed(2))          # [2, 3T-1, 16]
    with torch.no_grad():
        full = render_latents(image_generator, G_M(w1, 3 * T, noise=noise).latents, clamp=False)  # [2,3,3T,16,16]
        for s in (0, 5, 2 * T):
            video, motion = render_fake_videos(G_M, image_generator, StepDraws(w1, noise, None, False, False, 1,
                                                                                window=s), T)
            assert motion.latents.shape[1] == s + T                     # unrolled to the window's end
            torch.testing.assert_close(video, full[:, :, s:s + T], rtol=0, atol=1e-6)
    assert (full[:, :, 5:5 + T] - full[:, :, :T]).abs().max() > 1e-2     # the window shows other frames


def test_unroll_draws(image_generator):
    """Noise for k T frames; the window starts at a tile 0, T, 2T, each drawn about equally often, so each
    of the 3T frames is judged in about 1/3 of the steps (a uniform start over [0, 2T] judges the last frame
    in 1/9 of them with T = 4); k = 1 draws nothing extra."""
    G_M = motion_generator()
    starts = []
    for seed in range(300):
        d = draw_generator_step(G_M, image_generator, 2, T, torch.Generator().manual_seed(seed), unroll=3)
        assert d.motion_noise.shape == (2, 3 * T - 1, 16) and d.t in range(1, T)
        starts.append(d.window)
    assert set(starts) == {0, T, 2 * T}
    judged = torch.zeros(3 * T)                                   # steps in which each frame is judged
    for s in starts:
        judged[s:s + T] += 1
    # 300 draws of a 1/3 chance: binomial std 8.2, so +-30 is 3.7 sigma
    assert (judged - 100).abs().max() <= 30, judged
    d = draw_discriminator_step(G_M, image_generator, 2, T, torch.Generator().manual_seed(0), unroll=3)
    assert d.motion_noise.shape[1] == 3 * T - 1 and d.window in (0, T, 2 * T)

    # k = 1: the official sequence, w1, motion noise, two coins, t, and nothing after it
    g, replay = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    d = draw_generator_step(G_M, image_generator, 2, T, g, unroll=1)
    assert torch.equal(d.w1, image_generator.sample_latents(2, generator=replay))
    assert torch.equal(d.motion_noise, G_M.sample_noise(2, T, replay))
    coins = [int(torch.randint(0, 2, (1,), generator=replay)) for _ in range(2)]
    assert [d.reverse_real, d.reverse_fake] == [c == 1 for c in coins]
    assert d.t == int(torch.randint(1, T, (1,), generator=replay)) and d.window == 0
    assert torch.equal(g.get_state(), replay.get_state())
    with pytest.raises(ValueError, match="unroll"):
        draw_generator_step(G_M, image_generator, 2, T, g, unroll=0)


def test_losses_use_the_window(image_generator):
    """generator_losses / discriminator_losses pass ``unroll`` on to their draws (k = 3: other fakes than
    k = 1 for the same seed; that the fakes are the window is the first test)."""
    G_M = motion_generator()
    vd = VideoDiscriminator(mode="in_domain", num_frames=T, input_size=16, base_channels=4)
    idisc = PairImageDiscriminator(input_size=16, base_channels=4)
    real = torch.rand(2, 3, T, 16, 16, generator=torch.Generator().manual_seed(3)) * 2 - 1
    g = lambda: torch.Generator().manual_seed(0)   # noqa: E731
    one = generator_losses(G_M, image_generator, vd, idisc, real, generator=g(), unroll=1)
    three = generator_losses(G_M, image_generator, vd, idisc, real, generator=g(), unroll=3)
    assert abs(one["video_gan"].item() - three["video_gan"].item()) > 1e-6
    three["total"].backward()                             # the steps before the window train G_M too
    assert G_M.to_pca.weight.grad.abs().sum() > 0
    ones = discriminator_losses(G_M, image_generator, vd, idisc, real, generator=g(), unroll=1)
    threes = discriminator_losses(G_M, image_generator, vd, idisc, real, generator=g(), unroll=3)
    assert abs(ones["video_fake"].item() - threes["video_fake"].item()) > 1e-6
