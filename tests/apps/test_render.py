"""Arbitrary-time rendering: any real times, chunking changes nothing, frames are independent."""
import av
import pytest
import torch

from vidsynth.apps.digan import render as R
from vidsynth.models.digan.coordinates import frame_times
from tests.tolerances import LAYOUT_ATOL


def test_parse_times():
    assert R.parse_times("0,0.5, 1.7,-0.3") == [0.0, 0.5, 1.7, -0.3]
    assert R.parse_times("0:1:3") == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="cannot read"):
        R.parse_times("0,abc")


def test_arbitrary_times_match_the_generator(sampler):
    times = [0.0, 0.5, 1.7, -0.3]
    video = R.render_times(sampler, times, n=2, seed=3)
    assert video.shape == (2, 3, 4, 16, 16)
    z, zm = sampler.latents(2, 3)
    with torch.no_grad():
        direct = sampler.generator(z, zm, torch.tensor(times)).clamp(-1, 1)
    torch.testing.assert_close(video, direct)


def test_chunking_and_frame_independence(sampler):
    """Non-autoregressive: a frame rendered alone equals the same frame inside any chunk."""
    z, zm = sampler.latents(2, 0)
    w = R.mapped_w(sampler, z)
    times = torch.linspace(-1, 3, 11)
    whole = R.render(sampler, w, zm, times, chunk_frames=64)
    chunks = list(R.render_chunks(sampler, w, zm, times, chunk_frames=3))
    assert [c.shape[2] for c in chunks] == [3, 3, 3, 2]
    torch.testing.assert_close(torch.cat(chunks, 2), whole, atol=LAYOUT_ATOL, rtol=0)
    alone = R.render(sampler, w, zm, times[7:8])
    torch.testing.assert_close(alone[:, :, 0], whole[:, :, 7], atol=LAYOUT_ATOL, rtol=0)


def test_stream_long_video_to_mp4(sampler, tmp_path):
    z, zm = sampler.latents(2, 0)
    times = frame_times(200, sampler.train_frames)
    (path,) = R.stream(sampler, tmp_path / "long.mp4", R.mapped_w(sampler, z), zm, times, chunk_frames=32)
    with av.open(str(path)) as c:
        n = sum(1 for _ in c.decode(video=0))
    assert n == 200
    paths = R.stream(sampler, tmp_path / "each", R.mapped_w(sampler, z), zm, times[:20], chunk_frames=8, grid=False)
    assert [p.name for p in paths] == ["video0000.mp4", "video0001.mp4"]
