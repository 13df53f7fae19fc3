import pytest
import torch

from vidsynth.models.mocogan_hd import BigGANDiscriminator, PairImageDiscriminator, VideoDiscriminator
from vidsynth.models.mocogan_hd.video_discriminator import pair_with_first_frame


@pytest.mark.parametrize("mode,channels,frames", [("in_domain", 6, 7), ("cross_domain", 3, 8)])
def test_video_discriminator_shapes(mode, channels, frames):
    d = VideoDiscriminator(mode=mode, num_frames=8, input_size=16, base_channels=4)
    video = torch.rand(2, 3, 8, 32, 32) * 2 - 1           # resized to 16 inside
    x = d.prepare(video)
    assert x.shape == (2, channels, frames, 16, 16)
    outs = d(video)
    assert len(outs) == 2
    # k4 p2: stride 2 -> floor(n/2)+1, stride 1 -> n+1; scale 2 halves space only (T <= 16)
    def size(n):
        for s in (2, 2, 2, 1, 1):
            n = (n + 4 - 4) // s + 1
        return n
    assert outs[0].shape == (2, 1, size(frames), size(16), size(16))
    assert outs[1].shape == (2, 1, size(frames), size(8), size(8))


def test_video_discriminator_official_sizes_and_time_reversal():
    d = VideoDiscriminator(mode="in_domain", num_frames=16, input_size=128, base_channels=2)
    assert isinstance(d.scales[0][0], torch.nn.Conv3d)
    assert d.scales[0][0].in_channels == 6 and d.scales[0][0].stride == (2, 2, 2)
    assert [m.out_channels for m in d.scales[0] if isinstance(m, torch.nn.Conv3d)] == [2, 4, 8, 16, 1]
    assert d.downsample.stride == (1, 2, 2)
    assert VideoDiscriminator(num_frames=32, input_size=16).downsample.stride == (2, 2, 2)
    small = VideoDiscriminator(mode="cross_domain", num_frames=4, input_size=8, base_channels=2)
    v = torch.randn(1, 3, 4, 8, 8)
    torch.testing.assert_close(small(v, reverse_time=True), small(v.flip(2)))


def test_pair_with_first_frame():
    v = torch.arange(4.0).view(1, 1, 4, 1, 1).expand(1, 3, 4, 2, 2)
    p = pair_with_first_frame(v)
    assert p.shape == (1, 6, 3, 2, 2)
    assert torch.all(p[:, :3] == 0) and torch.equal(p[0, 3:, :, 0, 0], torch.tensor([[1.0, 2, 3]] * 3))


def test_pair_image_discriminator_shapes():
    """D_I judges the pair: its logits change with the first frame as well as with frame t."""
    d = PairImageDiscriminator(input_size=16, base_channels=4)
    first, frame = torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32)
    outs = d(first, frame)
    assert d.scales[0][0].in_channels == 6
    assert [o.shape for o in outs] == [(2, 1, 5, 5), (2, 1, 4, 4)]
    # a change well above float rounding (logits O(0.1-1))
    for new_first, new_frame in ((torch.randn(2, 3, 32, 32), frame), (first, torch.randn(2, 3, 32, 32))):
        moved = d(new_first, new_frame)
        assert all((a - b).abs().max() > 1e-3 for a, b in zip(moved, outs))


@pytest.mark.parametrize("res,blocks", [(16, 3), (32, 4), (128, 6)])
def test_biggan_discriminator(res, blocks):
    d = BigGANDiscriminator(resolution=res, channels=2, proj_dim=8)
    assert len(d.blocks) == blocks
    logits, proj = d(torch.randn(3, 3, res, res))
    assert logits.shape == (3, 1) and proj.shape == (3, 8)
    d.eval()  # no power iteration, so both calls see the same normalised weights
    x = torch.randn(1, 3, res, res)
    torch.testing.assert_close(d.project(x), d(x)[1])
    assert hasattr(d.blocks[0].conv1, "parametrizations")  # spectral norm
