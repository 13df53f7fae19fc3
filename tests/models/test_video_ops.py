"""nn.video_ops.resize_frames, the one resizer of models, apps and benchmarks: area down, bilinear up."""
import torch

from vidsynth.nn.video_ops import resize_frames


def test_shrinking_averages_whole_pixels():
    """4x4 -> 2x2 is 2x2 average pooling (MoCoGAN-HD's official D input), exact in float32."""
    x = torch.arange(16.0).view(1, 1, 4, 4)
    assert resize_frames(x, 2).flatten().tolist() == [2.5, 4.5, 10.5, 12.5]
    corner = torch.zeros(1, 1, 6, 6)
    corner[..., 0, 0] = 9.0                     # 6 -> 2: mean of each 3x3 block (bilinear would read only its centre)
    assert resize_frames(corner, 2).flatten().tolist() == [1.0, 0.0, 0.0, 0.0]


def test_enlarging_is_bilinear_with_half_pixel_centres():
    """[[0, 1], [2, 3]] -> 4x4: output pixel centres at -0.25, 0.25, 0.75, 1.25 source pixels (clamped)."""
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]]).view(1, 1, 2, 2)
    assert resize_frames(x, 4)[0, 0, 0].tolist() == [0.0, 0.25, 0.75, 1.0]
    assert resize_frames(x, 4)[0, 0, :, 0].tolist() == [0.0, 0.5, 1.5, 2.0]


def test_videos_resize_frame_by_frame_and_identity_is_free():
    torch.manual_seed(0)
    video = torch.rand(2, 3, 5, 12, 12)                                  # [B, C, T, H, W]
    out = resize_frames(video, 6)
    assert out.shape == (2, 3, 5, 6, 6)
    assert torch.equal(out[1, :, 3], resize_frames(video[1, :, 3][None], 6)[0])
    assert resize_frames(video, 12) is video
