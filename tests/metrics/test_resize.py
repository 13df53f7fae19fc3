"""TF1 resize_bilinear (align_corners=False, half_pixel_centers=False) against hand-computed values."""
import torch

from vidsynth.metrics.resize import resize_video


def as_video(img):
    return torch.tensor(img, dtype=torch.float32)[None, None, None]  # [1, 1, 1, H, W]


def test_upsample_matches_tf1_rule():
    # out[i] samples in[i * in/out] (no half-pixel shift), clamped at the last pixel
    out = resize_video(as_video([[0.0, 10.0], [20.0, 30.0]]), size=4)[0, 0, 0]
    expected = torch.tensor([[0, 5, 10, 10], [10, 15, 20, 20], [20, 25, 30, 30], [20, 25, 30, 30]], dtype=torch.float32)
    assert torch.allclose(out, expected)


def test_downsample_picks_without_antialias():
    img = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    out = resize_video(img[None, None, None], size=2)[0, 0, 0]
    assert torch.equal(out, torch.tensor([[0.0, 2.0], [8.0, 10.0]]))  # rows/cols 0 and 2


def test_identity_and_torch_variant_differ():
    v = torch.rand(2, 3, 4, 224, 224)
    assert resize_video(v, 224) is v
    small = torch.rand(1, 3, 2, 7, 7)
    a, b = resize_video(small, 224), resize_video(small, 224, method="torch_bilinear")
    assert a.shape == b.shape == (1, 3, 2, 224, 224)
    assert (a - b).abs().max() > 1e-3  # the half-pixel shift is a real difference
