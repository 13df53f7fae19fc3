"""Time inter/extrapolation and space inter/extrapolation (upsampling, zoom-out)."""
import torch

from vidsynth.apps.digan import render as R
from vidsynth.apps.digan import space_resample as S
from vidsynth.apps.digan import time_resample as T
from vidsynth.models.digan.coordinates import frame_times
from tests.tolerances import LAYOUT_ATOL


def test_time_grids():
    t = T.interpolation_times(16, 4)
    assert len(t) == 61 and t[0] == 0 and t[-1] == 1
    torch.testing.assert_close(t[::4], frame_times(16, 16))
    e = T.extrapolation_times(16, 4)
    assert len(e) == 64
    torch.testing.assert_close(e[:16], frame_times(16, 16))


def test_interpolated_frames_contain_the_training_frames(sampler):
    z, zm = sampler.latents(2, 0)
    w = R.mapped_w(sampler, z)
    dense = R.render(sampler, w, zm, T.interpolation_times(4, 4))
    plain = R.render(sampler, w, zm, frame_times(4, 4))
    assert dense.shape[2] == 13
    torch.testing.assert_close(dense[:, :, ::4], plain, atol=LAYOUT_ATOL, rtol=0)


def test_upsample_resolution_and_consistency(sampler):
    z, zm = sampler.latents(2, 0)
    times = frame_times(4, 4)
    up = S.upsample(sampler, z, zm, times, scale=4)
    assert up.shape == (2, 3, 4, 64, 64)
    plain = S.upsample(sampler, z, zm, times, scale=1)
    down = torch.nn.functional.avg_pool3d(up, (1, 4, 4))
    other = S.upsample(sampler, *sampler.latents(2, 99), times, scale=1)
    assert (down - plain).abs().mean() < (other - plain).abs().mean()   # the same video, more pixels


def test_zoom_out_contains_the_training_view_exactly(sampler):
    """At scale 1.5 over [-0.25, 1.25] the pixel pitch is the training one, so the centre is the plain video."""
    z, zm = sampler.latents(2, 0)
    times = frame_times(6, 4)
    plain = S.upsample(sampler, z, zm, times, scale=1)
    wide = S.zoom_out(sampler, z, zm, times, scale=1.5)
    assert wide.shape[-1] == 24
    lo, hi = S.training_view_box(24)
    torch.testing.assert_close(wide[..., lo:hi, lo:hi], plain, atol=LAYOUT_ATOL, rtol=0)
    assert S.zoom_out(sampler, z, zm, times).shape[-1] == 16           # same size, content shrunk


def test_generate_modes_call_space_resample(sampler):
    """``vidsynth generate --mode upsample / zoom-out`` are space_resample's functions on the seed's latents
    (bit-identical), and a range with HI <= LO is refused."""
    import pytest

    from vidsynth.apps.digan.modes import render_mode

    args = dict(n=2, frames=3, seed=5, batch_size=2, truncation=1.0, label=None, times=None, factor=4.0,
                contents=2, motions=2, steps=2, space="w", chunk=2)
    z, zm = sampler.latents(2, 5)
    times = frame_times(3, sampler.train_frames)
    up, _ = render_mode(sampler, "upsample", scale=2.0, coord_range=(-0.25, 1.25), **args)
    assert torch.equal(up, S.upsample(sampler, z, zm, times, 2.0, chunk_frames=2))
    wide, _ = render_mode(sampler, "zoom-out", scale=1.0, coord_range=(-0.5, 1.5), **args)
    assert torch.equal(wide, S.zoom_out(sampler, z, zm, times, (-0.5, 1.5), chunk_frames=2))
    with pytest.raises(ValueError, match="hi > lo"):
        render_mode(sampler, "zoom-out", scale=1.0, coord_range=(1.0, 0.0), **args)
