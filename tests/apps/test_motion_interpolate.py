"""Diverse motion, content/motion swaps, latent interpolation."""
import torch

from vidsynth.apps.digan import interpolate as I
from vidsynth.apps.digan import motion as M
from vidsynth.apps.digan import render as R
from vidsynth.models.digan.coordinates import frame_times

from tests.tolerances import LAYOUT_ATOL   # why 1e-4: see tests/tolerances.py (measured here: 1.04e-5)


def test_swap_grid_diagonal_is_the_original_videos(sampler):
    """Content/motion swap grid: row = content, column = motion, so the diagonal renders the original
    videos (guards the content/motion pairing of the grid)."""
    times = frame_times(4, 4)
    grid = M.swap_grid(sampler, times, num_contents=3, num_motions=3, seed=5)
    assert grid.shape == (9, 3, 4, 16, 16)
    originals = R.render_times(sampler, times.tolist(), n=3, seed=5)
    torch.testing.assert_close(grid[[0, 4, 8]], originals, atol=LAYOUT_ATOL, rtol=0)
    assert (grid[1] - grid[0]).abs().max() > 1e-3                      # another motion changes the video
    # off the diagonal: entry 1 is content 0 with motion 1, entry 3 content 1 with motion 0. At t = 0 a
    # DIGAN frame depends on the content alone, so their first frames are those of originals 0 and 1.
    torch.testing.assert_close(grid[1][:, 0], originals[0][:, 0], atol=LAYOUT_ATOL, rtol=0)
    torch.testing.assert_close(grid[3][:, 0], originals[1][:, 0], atol=LAYOUT_ATOL, rtol=0)


def test_diverse_motion(sampler):
    times = frame_times(4, 4)
    videos = M.diverse_motion(sampler, times, num_motions=4, seed=1)
    assert videos.shape == (4, 3, 4, 16, 16)
    assert (videos[0] - videos[1]).abs().max() > 1e-3


def test_slerp_endpoints_and_norm():
    a, b = torch.randn(64), torch.randn(64)
    path = I.slerp(a, b, torch.linspace(0, 1, 5))
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b, atol=1e-5, rtol=1e-5)
    assert path[2].norm() > 0.9 * min(a.norm(), b.norm())            # no shrink in the middle


def test_interpolation_ends_at_the_two_videos(sampler):
    times = frame_times(4, 4)
    path = I.interpolate_latents(sampler, times, steps=4, seed=2)
    ends = R.render_times(sampler, times.tolist(), n=2, seed=2)
    torch.testing.assert_close(path[[0, -1]], ends, atol=LAYOUT_ATOL, rtol=0)
    assert I.interpolate_latents(sampler, times, steps=3, seed=2, space="z").shape == (3, 3, 4, 16, 16)
    assert I.morph(sampler, 6, seed=2).shape == (1, 3, 6, 16, 16)
