"""Projection and prediction: fitting latents to frames, scores, perceptual-loss choices."""
import numpy as np
import pytest
import torch

from vidsynth.apps.digan import predict
from vidsynth.apps.digan import project as P
from vidsynth.apps.digan import quality as Q
from vidsynth.apps.digan import render as R
from vidsynth.errors import VidsynthError
from vidsynth.models.digan.coordinates import frame_times


def test_quality_numbers():
    """frame_scores is the metrics suite's PSNR/SSIM, averaged over frames (identical frames: 100 dB)."""
    from vidsynth.metrics.psnr_ssim import psnr, ssim

    x = torch.rand(2, 3, 16, 16) * 2 - 1
    same = Q.frame_scores(x, x)
    assert same["ssim"] == pytest.approx(1.0, abs=1e-9) and same["psnr"] == 100.0
    y = (x + 0.1 * torch.randn_like(x)).clamp(-1, 1)
    v = lambda f: f.transpose(0, 1)[None]                               # noqa: E731  [N, 3, H, W] -> [1, 3, N, H, W]
    assert Q.frame_scores(x, y) == {"psnr": float(psnr(v(x), v(y)).mean()), "ssim": float(ssim(v(x), v(y)).mean())}


def test_per_block_w_matches_synthesize(sampler):
    g = sampler.generator
    z, zm = sampler.latents(2, 0)
    w = g.mapping(z)
    t = frame_times(4, 4)
    ws = w[:, None].repeat(1, len(g.blocks), 1)
    torch.testing.assert_close(P.synthesize_per_block(g, ws, zm, t), g.synthesize(w, zm, t))


@pytest.mark.parametrize("mode", ["w", "w+", "z"])
def test_projection_reduces_the_loss(sampler, mode):
    z, zm = sampler.latents(1, 7)
    times = frame_times(3, 4)
    target = R.render_times(sampler, times.tolist(), n=1, seed=7)[0]          # [3, 3, 16, 16]
    fit = P.project(sampler, target, times, mode=mode, steps=12, candidates=4, perceptual=None)
    assert fit.losses[-1] < fit.losses[0]
    assert fit.render(sampler, times).shape == (1, 3, 3, 16, 16)


def test_predict_on_a_generated_video_beats_chance(sampler, tmp_path):
    """Frames made by the generator itself can be fitted: the fit is far better than chance."""
    video = R.render_times(sampler, frame_times(8, 4).tolist(), n=1, seed=4)[0]    # [3, 8, 16, 16]
    frames = ((video.permute(1, 2, 3, 0) + 1) * 127.5).round().byte().numpy()
    np.savez(tmp_path / "clip.npz", video=frames)
    out = predict.predict(sampler, tmp_path / "clip.npz", [0, 1, 2], [3, 5], steps=10, perceptual="none")
    s = out["scores"]
    assert set(s) >= {"given_fit", "prediction", "baseline_nearest_given", "per_frame"}
    unrelated = R.render_times(sampler, frame_times(3, 4).tolist(), n=1, seed=99)[0]
    chance = Q.frame_scores(unrelated.transpose(0, 1), out["given_real"].transpose(0, 1))["psnr"]
    assert s["given_fit"]["psnr"] > chance
    assert out["predicted"].shape == (3, 2, 16, 16) and out["baseline"].shape == (3, 2, 16, 16)
    torch.testing.assert_close(out["baseline"][:, 0], out["given_real"][:, 2])      # repeat the last given frame


def test_nearest_given():
    assert predict.nearest_given([6, 7, 8], [3, 4, 9, 11]) == [0, 0, 2, 2]
    assert predict.nearest_given([0, 10], [4, 5, 6]) == [0, 0, 1]


def test_load_frames_sources(tmp_path):
    from vidsynth.video.write import write_mp4

    frames = np.random.randint(0, 255, (6, 20, 24, 3), np.uint8)
    write_mp4(tmp_path / "v.mp4", frames)
    assert P.load_frames(tmp_path / "v.mp4", 16, [0, 5]).shape == (3, 2, 16, 16)
    assert P.load_frames("builtin:shapes", 16, [0, 3], video_index=2).shape == (3, 2, 16, 16)
    with pytest.raises(VidsynthError, match="frame index 9"):
        P.load_frames(tmp_path / "v.mp4", 16, [9])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_perceptual_choices(tmp_path, tiny_run):
    x, y = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    assert P.perceptual_loss("none") is None
    assert P.perceptual_loss("ssim")(x, x) < P.perceptual_loss("ssim")(x, y)
    d = P.perceptual_loss("d", tiny_run)
    assert float(d(x, x)) == 0 and float(d(x, y)) > 0
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()))
    scripted.save(str(tmp_path / "feat.pt"))
    user = P.perceptual_loss(str(tmp_path / "feat.pt"))
    assert float(user(x, y)) > 0
    with pytest.raises(VidsynthError, match="TorchScript"):
        P.perceptual_loss(str(tmp_path / "missing.pt"))
