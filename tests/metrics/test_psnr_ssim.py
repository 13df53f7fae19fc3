"""PSNR/SSIM against hand-computed values."""
import math

import pytest
import torch

from vidsynth.metrics.psnr_ssim import gaussian_window, psnr, ssim


def const(value, shape=(1, 3, 2, 16, 16)):
    return torch.full(shape, float(value))


def test_psnr_hand_value():
    # [-1, 1] -> [0, 1]: 0.5 vs 0.0 -> mse 0.25 -> 10 log10(1 / 0.25)
    assert psnr(const(0.0), const(-1.0)).flatten().tolist() == pytest.approx([10 * math.log10(4)] * 2)
    assert torch.isinf(psnr(const(0.3), const(0.3))).all()


def test_ssim_constant_images():
    # means a=0.5, b=0.25, zero variance: SSIM = (2ab + C1) / (a^2 + b^2 + C1)
    c1 = 0.01 ** 2
    expected = (2 * 0.5 * 0.25 + c1) / (0.5 ** 2 + 0.25 ** 2 + c1)
    assert ssim(const(0.0), const(-0.5)).flatten().tolist() == pytest.approx([expected] * 2, rel=1e-9)


def test_ssim_identical_is_one_and_noise_lowers_it():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 3, 32, 32) * 2 - 1
    assert torch.allclose(ssim(x, x), torch.ones(2, 3, dtype=torch.float64))
    y = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    assert (ssim(x, y) < 0.9).all()


def test_ssim_matches_direct_formula_on_one_window():
    """An 11x11 image has exactly one 'valid' window: SSIM from Gaussian-weighted moments by hand."""
    torch.manual_seed(1)
    x, y = torch.rand(11, 11, dtype=torch.float64), torch.rand(11, 11, dtype=torch.float64)
    w = gaussian_window()
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy = (w * x * x).sum() - mx ** 2, (w * y * y).sum() - my ** 2
    cxy = (w * x * y).sum() - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    to_video = lambda img: (img * 2 - 1).float()[None, None, None].expand(1, 3, 1, 11, 11)  # noqa: E731
    assert ssim(to_video(x), to_video(y)).item() == pytest.approx(expected.item(), abs=1e-6)
