"""The perceptual-loss plug-ins shared by the DIGAN and MoCoGAN-HD projectors, and the one SSIM they use."""
import math
import shutil
from pathlib import Path

import pytest
import torch

from vidsynth.apps import projection
from vidsynth.apps.digan import project as P
from vidsynth.apps.digan import quality as Q
from vidsynth.errors import VidsynthError
from vidsynth.metrics.psnr_ssim import K1, gaussian_window, ssim, ssim_map


def test_image_ssim_is_the_metric_ssim():
    """Per-image SSIM (the MoCoGAN-HD loss) = the metric's per-frame SSIM. The loss runs in float32, the
    metric in float64: 11x11 window sums of O(1) values carry ~1e-7 relative round-off each, so 1e-5."""
    torch.manual_seed(0)
    x, y = torch.rand(3, 3, 16, 20) * 2 - 1, torch.rand(3, 3, 16, 20) * 2 - 1
    metric = ssim(x.transpose(0, 1)[None], y.transpose(0, 1)[None])[0].float()      # [3] frames
    torch.testing.assert_close(projection.image_ssim(x, y), metric, atol=1e-5, rtol=0)
    assert projection.image_ssim(x, y).requires_grad is False
    x.requires_grad_(True)
    projection.image_ssim(x, y).sum().backward()
    assert x.grad.abs().sum() > 0                                        # differentiable: usable as a loss


def test_ssim_window_shrinks_for_tiny_frames():
    """A 5 px image gets a 5 px window with sigma 1.5 * 5 / 11: one 'valid' position, SSIM by hand."""
    torch.manual_seed(1)
    x, y = torch.rand(5, 5, dtype=torch.float64), torch.rand(5, 5, dtype=torch.float64)
    w = gaussian_window(5, 1.5 * 5 / 11)
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy, cxy = (w * x * x).sum() - mx ** 2, (w * y * y).sum() - my ** 2, (w * x * y).sum() - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    got = ssim_map(x[None, None], y[None, None])
    assert got.shape == (1, 1, 1, 1) and got.item() == pytest.approx(expected.item(), rel=1e-12)  # float64 round-off


def test_frame_scores_hand_values_on_tiny_frames():
    """8 px frames (under the 11 px window): constant frames a = 0.5, b = 0.25 on [0, 1] give
    SSIM = (2ab + C1) / (a^2 + b^2 + C1) whatever the window, and PSNR = 10 log10(1 / 0.25^2)."""
    x, y = torch.full((2, 3, 8, 8), 0.0), torch.full((2, 3, 8, 8), -0.5)
    c1 = K1 ** 2
    scores = Q.frame_scores(x, y)
    assert scores["ssim"] == pytest.approx((2 * 0.5 * 0.25 + c1) / (0.5 ** 2 + 0.25 ** 2 + c1), rel=1e-9)
    assert scores["psnr"] == pytest.approx(10 * math.log10(1 / 0.0625), rel=1e-9)


def test_ssim_loss_terms():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = (x + 0.1 * torch.randn_like(x)).clamp(-1, 1)
    assert projection.ms_ssim(x, x) == pytest.approx(1.0, abs=1e-5)      # float32 round-off of 1
    assert 0 < projection.ms_ssim(x, y) < 1
    assert projection.gradient_loss(x, x) == 0 and projection.gradient_loss(x, y) > 0
    # 8 px: one level, the mean SSIM of the (shrunk-window) map on clamped [0, 1] pixels
    s = x[..., :8, :8] * 1.5
    assert projection.ms_ssim(s, y[..., :8, :8]) == ssim_map((s.clamp(-1, 1) + 1) / 2, (y[..., :8, :8] + 1) / 2).mean()


def test_torchscript_loader_errors_are_one_line(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a module")
    with pytest.raises(VidsynthError, match="cannot load .*junk.pt.* as a TorchScript"):
        projection.load_torchscript(tmp_path / "junk.pt")
    with pytest.raises(VidsynthError, match="is not a file"):
        projection.load_torchscript(tmp_path / "missing.pt")


@pytest.mark.filterwarnings("ignore::UserWarning")     # checkpoint.load_latest warns about the skipped file
def test_discriminator_features_go_through_the_checkpoint_loader(tmp_path, tiny_run):
    """--perceptual d reads D with training.checkpoint's checks: a checkpoint failing its checksum is refused
    (never silently loaded), with the checkpoint loader's error."""
    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    good = P.perceptual_loss("d", run)
    (digest,) = (run / "checkpoints").glob("*.sha256")
    digest.write_text("0" * 64 + "\n")
    with pytest.raises(VidsynthError, match="(?s)no valid checkpoint.*fails its checksum"):
        P.perceptual_loss("d", run)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert float(good(x, x)) == 0 and float(good(x, -x)) > 0
