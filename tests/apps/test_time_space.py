"""Time inter/extrapolation and space inter/extrapolation (upsampling, zoom-out)."""
import torch

from vidsynth.apps import render as R
from vidsynth.apps import space_resample as S
from vidsynth.apps import time_resample as T
from tests.tolerances import LAYOUT_ATOL


def test_time_grids():
    t = T.interpolation_times(16, 4)
    assert len(t) == 61 and t[0] == 0 and t[-1] == 1
    torch.testing.assert_close(t[::4], R.frame_times(16, 16))
    e = T.extrapolation_times(16, 4)
    assert len(e) == 64
    torch.testing.assert_close(e[:16], R.frame_times(16, 16))
    assert T.backward_extrapolation_times(4, 2)[0] < 0


def test_interpolated_frames_contain_the_training_frames(sampler):
    z, zm = sampler.latents(2, 0)
    w = R.mapped_w(sampler, z)
    dense = R.render(sampler, w, zm, T.interpolation_times(4, 4))
    plain = R.render(sampler, w, zm, R.frame_times(4, 4))
    assert dense.shape[2] == 13
    torch.testing.assert_close(dense[:, :, ::4], plain, atol=LAYOUT_ATOL, rtol=0)


def test_upsample_resolution_and_consistency(sampler):
    z, zm = sampler.latents(2, 0)
    times = R.frame_times(4, 4)
    up = S.upsample(sampler, z, zm, times, scale=4)
    assert up.shape == (2, 3, 4, 64, 64)
    plain = S.upsample(sampler, z, zm, times, scale=1)
    down = torch.nn.functional.avg_pool3d(up, (1, 4, 4))
    other = S.upsample(sampler, *sampler.latents(2, 99), times, scale=1)
    assert (down - plain).abs().mean() < (other - plain).abs().mean()   # the same video, more pixels


def test_zoom_out_contains_the_training_view_exactly(sampler):
    """At scale 1.5 over [-0.25, 1.25] the pixel pitch is the training one, so the centre is the plain video."""
    z, zm = sampler.latents(2, 0)
    times = R.frame_times(6, 4)
    plain = S.upsample(sampler, z, zm, times, scale=1)
    wide = S.zoom_out(sampler, z, zm, times, scale=1.5)
    assert wide.shape[-1] == 24
    lo, hi = S.training_view_box(24)
    torch.testing.assert_close(wide[..., lo:hi, lo:hi], plain, atol=LAYOUT_ATOL, rtol=0)
    assert S.zoom_out(sampler, z, zm, times).shape[-1] == 16           # same size, content shrunk
