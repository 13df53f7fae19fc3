"""Each app callback gives exactly the frames of the command it stands for (``vidsynth generate --mode``,
``vidsynth mocogan ...``), compared as the uint8 frames those commands write into an .npz.

Tolerance: none (``array_equal``) wherever the callback makes the same generator calls as the CLI --
same latents, same times, same chunks -- so the floats, and their uint8 rounding, are identical."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import vidsynth
from tests.app.conftest import cli
from vidsynth.app.digan_tab import DIGANExplorer
from vidsynth.app.limits import Limits
from vidsynth.app.mocogan_tab import MoCoGANHDExplorer
from vidsynth.models.digan.coordinates import frame_times
from vidsynth.video.write import make_grid, to_uint8_frames

BIG = 2 ** 40        # a memory budget no test request comes near


def per_video(videos: torch.Tensor) -> np.ndarray:
    """``[N, 3, T, H, W]`` -> uint8 ``[N, T, H, W, 3]``: what ``vidsynth generate --out x.npz`` writes."""
    return np.stack([to_uint8_frames(v) for v in videos])


def generated(tmp_path, run, *args) -> np.ndarray:
    out = tmp_path / "cli.npz"
    cli(["generate", run, "--out", out, "--device", "cpu", *args])
    return np.load(out)["videos"]


def mocogan_cli(tmp_path, command, model, *args) -> np.ndarray:
    """The grid a ``vidsynth mocogan COMMAND`` writes, uint8 ``[T, H, W, 3]``."""
    out = tmp_path / "cli.npz"
    cli(["mocogan", command, model, "--out", out, *args])
    return np.load(out)["video"]


@pytest.fixture(scope="module")
def digan(digan_path):
    sampler = vidsynth.load(digan_path)
    return DIGANExplorer(sampler, Limits.for_sampler(sampler, BIG))


@pytest.fixture(scope="module")
def mocogan(mocogan_path):
    sampler = vidsynth.load(mocogan_path)
    return MoCoGANHDExplorer(sampler, Limits.for_sampler(sampler, BIG))


# ---------------------------------------------------------------------------------------------- DIGAN
def test_video_time_range_is_generate_times_with_extrapolation_and_scale(digan, digan_path, tmp_path):
    # t from -0.5 to 1.5: before and past the training clip; scale 1.5 -> a 24 px grid from the 8 px input
    video = digan.video(seed=5, t_start=-0.5, t_end=1.5, frames=6, n=2, scale=1.5)
    assert video.shape == (2, 3, 6, 24, 24)
    expected = generated(tmp_path, digan_path, "--times", "-0.5:1.5:6", "--n", 2, "--seed", 5, "--scale", 1.5)
    assert np.array_equal(per_video(video), expected)


def test_video_seed_changes_the_video(digan):
    a, b = digan.video(seed=0, frames=3), digan.video(seed=1, frames=3)
    assert (a - b).abs().mean() > 0.01                     # different latents: clearly different frames


def test_video_zoom_out_is_generate_zoom_out(digan, digan_path, tmp_path):
    # frames 0..4 at the training spacing 1/3: t_end = 4/3
    video = digan.video(seed=2, t_start=0.0, t_end=4 / 3, frames=5, n=2, zoom=(-0.5, 1.5))
    expected = generated(tmp_path, digan_path, "--mode", "zoom-out", "--range", -0.5, 1.5, "--frames", 5, "--n", 2,
                         "--seed", 2)
    assert torch.allclose(torch.linspace(0, 4 / 3, 5), frame_times(5, 4))   # the same times
    assert np.array_equal(per_video(video), expected)


def test_still_frame_is_that_time_alone_and_follows_t(digan, digan_path, tmp_path):
    still = digan.still(seed=3, t=1.7)
    assert still.shape == (1, 3, 1, 16, 16)
    assert np.array_equal(per_video(still), generated(tmp_path, digan_path, "--times", "1.7", "--n", 1, "--seed", 3))
    other = digan.still(seed=3, t=0.2)
    assert (still - other).abs().mean() > 0.01             # another t, another frame
    assert not torch.equal(digan.still(seed=4, t=1.7), still)


def test_diverse_motion_is_generate_diverse_motion(digan, digan_path, tmp_path):
    video = digan.diverse_motion(seed=1, frames=4, motions=3)
    expected = generated(tmp_path, digan_path, "--mode", "diverse-motion", "--n", 3, "--frames", 4, "--seed", 1)
    assert np.array_equal(per_video(video), expected)


def test_swap_grid_is_generate_swap(digan, digan_path, tmp_path):
    video = digan.swap(seed=2, frames=4, contents=2, motions=3)
    expected = generated(tmp_path, digan_path, "--mode", "swap", "--contents", 2, "--motions", 3, "--frames", 4,
                         "--seed", 2)
    assert video.shape[0] == 6 and np.array_equal(per_video(video), expected)


def test_interpolation_is_generate_interpolate_latent_and_morph(digan, digan_path, tmp_path):
    grid = digan.interpolate(seed=4, seed_b=4, steps=3, frames=4, index_a=0, index_b=1)
    expected = generated(tmp_path, digan_path, "--mode", "interpolate-latent", "--steps", 3, "--frames", 4,
                         "--seed", 4)
    assert np.array_equal(per_video(grid), expected)
    morph = digan.morph(seed=4, seed_b=4, frames=5, index_a=0, index_b=1)
    assert np.array_equal(per_video(morph), generated(tmp_path, digan_path, "--mode", "morph", "--frames", 5,
                                                      "--seed", 4))


def test_interpolation_between_two_seeds_ends_at_each_seed(digan):
    grid = digan.interpolate(seed=2, seed_b=9, steps=4, frames=3, index_a=0, index_b=0)
    first = digan.video(seed=2, t_start=0, t_end=2 / 3, frames=3)[0]
    last = digan.video(seed=9, t_start=0, t_end=2 / 3, frames=3)[0]
    # Step 0 is w_a exactly (lerp weight 0); z_M comes out of slerp, which rebuilds the vector from
    # sin/cos and its norm: float32 rounding ~1e-7 relative, far below 1e-4 after the tiny network.
    assert torch.allclose(grid[0], first, atol=1e-4)
    assert torch.allclose(grid[-1], last, atol=1e-4)
    assert (grid[0] - grid[-1]).abs().mean() > 0.01


def test_class_picker_is_generate_class(digan_conditional_path, tmp_path):
    sampler = vidsynth.load(digan_conditional_path)
    explorer = DIGANExplorer(sampler, Limits.for_sampler(sampler, BIG))
    assert explorer.class_choices() == ["random", "walk", "run", "jump"]
    video = explorer.video(seed=0, label="run", frames=4, t_end=1.0, n=2)
    expected = generated(tmp_path, digan_conditional_path, "--class", "run", "--n", 2, "--frames", 4)
    assert np.array_equal(per_video(video), expected)
    assert not torch.equal(explorer.video(seed=0, label="jump", frames=4, n=2), video)


def test_scales_offered_are_those_the_model_renders(digan):
    assert digan.scales() == [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]       # 8 px input grid: 8 * s is an integer
    for s in digan.scales():
        assert digan.still(0, 0.5, scale=s).shape[-1] == int(16 * s)


# ---------------------------------------------------------------------------------------------- MoCoGAN-HD
def test_long_video_is_mocogan_long(mocogan, mocogan_path, tmp_path):
    video = mocogan.long(seed=3, n=2, frames=10)                   # 10 frames from a 4-frame model
    assert video.shape == (2, 3, 10, 16, 16)
    expected = mocogan_cli(tmp_path, "long", mocogan_path, "--n", 2, "--frames", 10, "--seed", 3)
    assert np.array_equal(to_uint8_frames(make_grid(video)), expected)


def test_content_motion_is_mocogan_content_motion(mocogan, mocogan_path, tmp_path):
    video = mocogan.content_motion(seed=1, contents=2, motions=3, frames=4)
    expected = mocogan_cli(tmp_path, "content-motion", mocogan_path, "--contents", 2, "--motions", 3, "--frames", 4,
                           "--seed", 1)
    assert np.array_equal(to_uint8_frames(make_grid(video, 3)), expected)


def test_pca_walk_is_mocogan_pca_explore(mocogan, mocogan_path, tmp_path):
    video = mocogan.pca(seed=2, components=["2", "0"], sigma=2.0, frames=5)
    expected = mocogan_cli(tmp_path, "pca-explore", mocogan_path, "--components", "0,2", "--sigma", 2, "--frames", 5,
                           "--seed", 2)
    assert np.array_equal(to_uint8_frames(make_grid(video, 1)), expected)
    with pytest.raises(ValueError, match="out of range"):
        mocogan.pca(seed=0, components=[99])


def test_prediction_is_mocogan_predict_image(mocogan, mocogan_path, tmp_path):
    from PIL import Image

    image = np.zeros((24, 24, 3), np.uint8)
    image[4:14, 6:20] = (230, 40, 90)                              # a red block, resized to 16 px by the projection
    Image.fromarray(image).save(tmp_path / "first.png")
    result = mocogan.predict(image, seed=1, frames=4, motions=2, steps=3)
    expected = mocogan_cli(tmp_path, "predict", mocogan_path, "--image", tmp_path / "first.png", "--frames", 4,
                           "--motions", 2, "--steps", 3, "--seed", 1)
    assert np.array_equal(to_uint8_frames(make_grid(result["video"], 2)), expected)
    assert len(result["projection"].losses) == 3
