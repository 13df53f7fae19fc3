import torch

from vidsynth.nn.diffaugment import diff_augment


def test_both_frames_of_a_pair_get_identical_augmentation():
    frame = torch.rand(6, 3, 16, 16) * 2 - 1
    pair = torch.cat([frame, frame], dim=1)                      # frame t1 == frame t2
    out = diff_augment(pair, "color,translation,cutout", rgb_groups=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[:, :3], out[:, 3:6])                  # still identical: no fake motion
    assert not torch.allclose(out, pair)                         # but augmented


def test_augmentation_is_reproducible_and_differentiable():
    x = torch.randn(4, 6, 8, 8, requires_grad=True)
    a = diff_augment(x, "color,translation", rgb_groups=2, generator=torch.Generator().manual_seed(3))
    b = diff_augment(x, "color,translation", rgb_groups=2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
