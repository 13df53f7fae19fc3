"""Each MoCoGAN-HD application returns outputs of the right shape."""
from __future__ import annotations

import pytest
import torch

from vidsynth.apps.mocogan_hd.diversity import motion_diversity

from vidsynth.apps.mocogan_hd import (content_motion_grid, diversity_report, interpolate_trajectory,
                                     interpolated_videos, pca_direction_videos, predict_video, psnr,
                                     same_content_videos, same_motion_videos, ssim, unroll_videos)


def test_long_videos(sampler):
    assert unroll_videos(sampler, 2, frames=9).shape == (2, 3, 9, 16, 16)
    assert interpolated_videos(sampler, 2, frames=4, factor=2).shape == (2, 3, 7, 16, 16)
    lat = torch.arange(3.0).view(1, 3, 1)
    assert interpolate_trajectory(lat, 2).flatten().tolist() == [0, 0.5, 1, 1.5, 2]


def test_content_motion(sampler):
    grid = content_motion_grid(sampler, contents=2, motions=3, frames=4)
    assert grid.shape == (2, 3, 3, 4, 16, 16)
    assert torch.equal(grid[:, :, :, 0, ...][:, 0], grid[:, :, :, 0, ...][:, 1])  # same content: same first frame
    assert same_content_videos(sampler, 3, 4).shape == (3, 3, 4, 16, 16)
    assert same_motion_videos(sampler, 2, 4).shape == (2, 3, 4, 16, 16)


def test_pca_explore(sampler):
    v = pca_direction_videos(sampler, (0, 1), frames=5, sigma=2.0)
    assert v.shape == (2, 3, 5, 16, 16)
    with pytest.raises(ValueError, match="out of range"):
        pca_direction_videos(sampler, (100,))


def test_diversity(sampler):
    """Motion diversity of content c = mean per-pixel std over its motions (seed + 1 + c noise); the
    numbers equal an independent recomputation from the sampler, and the first frames (shared content)
    do not vary at all."""
    d = diversity_report(sampler, contents=2, motions=3, frames=4)
    with pytest.warns(DeprecationWarning, match="diversity_report"):      # the old name, kept for one release
        assert motion_diversity(sampler, contents=2, motions=3, frames=4)["per_content"] == d["per_content"]
    assert len(d["per_content"]) == 2 and d["std_last_frame"].shape == (3, 16, 16)
    for c in range(2):
        videos = sampler.render(sampler.content_codes(1, 0, start=c).expand(3, -1), 4, sampler.motion_noise(3, 4, 1 + c, 0))
        std = videos.double().std(dim=0)                                        # [3, T, H, W]
        assert std[:, 0].max() < 1e-6                                           # frame 1 is w_1 for every motion
        # float64 mean of float32 renders: both sides differ only by rounding (< 1e-6 relative)
        assert d["per_content"][c] == pytest.approx(float(std.mean()), rel=1e-5)
        if c == 0:
            torch.testing.assert_close(d["std_last_frame"], std[:, -1].float(), atol=1e-6, rtol=1e-5)
    assert d["mean_std"] == pytest.approx(sum(d["per_content"]) / 2) and d["mean_std"] > 1e-3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_predict_scores_real_continuation(sampler):
    real = sampler.sample(1, frames=4, seed=7)[0]                       # a video the model can reach
    out = predict_video(sampler, real[:, 0], frames=4, motions=2, real_video=real, steps=5)
    assert out["video"].shape == (2, 3, 4, 16, 16)
    assert len(out["scores"]["psnr"]) == 4 and len(out["scores"]["ssim"]) == 4
    assert out["projection"].latent.shape == (1, sampler.generator.latent_dim)
    assert out["projection"].losses[-1] <= out["projection"].losses[0]
    # the continuation starts from the projected image: rendered with the noise maps it was fitted with
    # (float32 rounding of a batch of 2 vs 1 only: 1e-5)
    assert torch.allclose(out["video"][:, :, 0], out["projection"].image.expand(2, -1, -1, -1), atol=1e-5)
    # user TorchScript feature extractor as the perceptual term
    extractor = torch.jit.script(torch.nn.Sequential(torch.nn.AvgPool2d(2)))
    out = predict_video(sampler, real[:, 0], frames=3, motions=1, steps=2, feature_extractor=extractor)
    assert out["scores"] is None and out["video"].shape == (1, 3, 3, 16, 16)


def test_quality_measures():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.allclose(ssim(x, x), torch.ones(2))
    assert torch.isinf(psnr(x, x)).all()                      # identical images (as vidsynth.metrics)
    assert (psnr(x, -x) < psnr(x, x * 0.9)).all()
