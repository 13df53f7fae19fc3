import pytest
import torch

from vidsynth.models.mocogan_hd import contrastive_augment, random_affine, random_color, random_cutout, random_flip

AUGS = [random_flip, random_color, random_affine, random_cutout, contrastive_augment]


@pytest.mark.parametrize("aug", AUGS)
def test_shape_determinism_and_change(aug):
    x = torch.rand(8, 3, 16, 16) * 2 - 1
    a = aug(x, generator=torch.Generator().manual_seed(0))
    b = aug(x, generator=torch.Generator().manual_seed(0))
    c = aug(x, generator=torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, x) and not torch.equal(a, c)


def test_differentiable():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    contrastive_augment(x, generator=torch.Generator().manual_seed(0)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_cutout_size_and_colour_ranges():
    x = torch.ones(64, 3, 32, 32)
    y = random_cutout(x, generator=torch.Generator().manual_seed(0))
    zeroed = (y[:, 0] == 0).flatten(1).sum(1).float()
    assert torch.all(zeroed >= (32 * 0.125 - 1) ** 2) and torch.all(zeroed <= (32 * 0.25) ** 2)
    shift = random_color(torch.zeros(64, 3, 4, 4), generator=torch.Generator().manual_seed(0))
    assert shift.abs().max() <= 0.5
    per_channel = shift[:, :, 0, 0]
    touched = (per_channel != 0).sum(1)
    assert set(touched.tolist()) <= {1, 3}


def test_affine_identity_limits():
    x = torch.rand(2, 3, 8, 8)
    y = random_affine(x, max_rotation=0, max_translation=0, max_scale_delta=0)
    torch.testing.assert_close(y, x, atol=1e-5, rtol=0)
    flipped = random_flip(x, p=1.0)
    assert torch.equal(flipped, x.flip(-1))
