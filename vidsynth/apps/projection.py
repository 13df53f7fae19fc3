"""Perceptual-loss plug-ins shared by the two projectors: DIGAN's (``vidsynth predict``,
:mod:`vidsynth.apps.digan.project`) and MoCoGAN-HD's (``vidsynth mocogan predict``,
:mod:`vidsynth.apps.mocogan_hd.predict`).

The papers fit latents with pixel + VGG-LPIPS losses; VGG weights are not shipped, so the plug-ins are:

- SSIM terms (no weights needed), all built on the one SSIM, ``vidsynth.metrics.psnr_ssim.ssim_map``:
  :func:`image_ssim` (per image), :func:`ms_ssim` (multi-scale) and :func:`gradient_loss` (edges);
- a TorchScript feature extractor the user brings (:func:`load_torchscript`; e.g. an exported VGG
  or LPIPS trunk), compared by :func:`feature_distance`;
- the features of a DIGAN run's own image discriminator (:func:`load_run_discriminator`).

Frames are ``[N, 3, H, W]`` in [-1, 1]; SSIM terms compare them on the [0, 1] scale.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from vidsynth.errors import VidsynthError
from vidsynth.metrics.psnr_ssim import ssim_map


def _unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float().clamp(-1, 1) + 1) / 2


# ---------------------------------------------------------------------------------------- SSIM terms
def image_ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Differentiable SSIM of each image pair ``[N, C, H, W]`` in [-1, 1] -> ``[N]`` (float32). Not clamped:
    a generator's raw output outside [-1, 1] still gets a gradient."""
    return ssim_map((x.float() + 1) / 2, (y.float() + 1) / 2).flatten(1).mean(1)


def ms_ssim(x: torch.Tensor, y: torch.Tensor, max_levels: int = 4) -> torch.Tensor:
    """Multi-scale SSIM of frames ``[N, 3, H, W]`` in [-1, 1]: the mean of the SSIM at each 2x-downsampled
    level while frames are >= 8 px.

    A simplified (equal-weight) form of Wang et al. 2003 that stays defined for 16 px frames;
    differentiable, so it serves as a perceptual loss term.
    """
    x, y = _unit(x), _unit(y)
    values = []
    for _ in range(max_levels):
        values.append(ssim_map(x, y).mean())
        if min(x.shape[-2:]) < 16:
            break
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return torch.stack(values).mean()


def gradient_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L1 distance of horizontal and vertical finite differences (edges in the right place)."""
    dx = lambda a: a[..., :, 1:] - a[..., :, :-1]  # noqa: E731
    dy = lambda a: a[..., 1:, :] - a[..., :-1, :]  # noqa: E731
    return (dx(x) - dx(y)).abs().mean() + (dy(x) - dy(y)).abs().mean()


# ---------------------------------------------------------------------------------------- feature extractors
def load_torchscript(path: str | Path, device="cpu") -> torch.jit.ScriptModule:
    """A user's TorchScript feature extractor ``frames [N, 3, H, W] in [-1, 1] -> tensor or list of tensors``,
    frozen and in eval mode."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise VidsynthError(f"'{path}' is not a file: give a TorchScript feature extractor (saved with torch.jit.save)")
    try:
        extractor = torch.jit.load(str(path), map_location=device).eval()
    except Exception as e:  # RuntimeError / ValueError from a non-TorchScript file
        raise VidsynthError(f"cannot load '{path}' as a TorchScript feature extractor ({e})") from None
    for p in extractor.parameters():
        p.requires_grad_(False)
    return extractor


def features(extractor, x: torch.Tensor) -> list[torch.Tensor]:
    """The extractor's output as a list of feature tensors (one tensor -> a list of one)."""
    out = extractor(x)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def feature_distance(extractor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over layers of the squared distance between channel-normalised features (LPIPS-style, unweighted)."""
    fx, fy = features(extractor, x), features(extractor, y)
    total = 0.0
    for a, b in zip(fx, fy):
        a = a / (a.square().sum(1, keepdim=True).sqrt() + 1e-8) if a.ndim == 4 else a
        b = b / (b.square().sum(1, keepdim=True).sqrt() + 1e-8) if b.ndim == 4 else b
        total = total + (a - b).square().mean()
    return total / len(fx)


class DiscriminatorFeatures(torch.nn.Module):
    """Features of a ResNet image discriminator after ``fromrgb`` and each block."""

    def __init__(self, image_d):
        super().__init__()
        self.d = image_d.eval().requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [self.d.fromrgb(x)]
        for block in self.d.blocks:
            feats.append(block(feats[-1]))
        return feats


def load_run_discriminator(run: str | Path) -> DiscriminatorFeatures:
    """The image D of a DIGAN run's newest checkpoint that verifies (``training.checkpoint.load_latest``:
    checksum checked, older checkpoints tried in turn)."""
    from vidsynth.models.digan import DIGANDiscriminator
    from vidsynth.training.checkpoint import list_checkpoints, load_latest

    run = Path(run)
    if not list_checkpoints(run):
        raise VidsynthError(f"'{run}' has no checkpoints/training_state-*.pt, so its discriminator is not available "
                            "for --perceptual d; use --perceptual ssim or a TorchScript feature extractor")
    _, state = load_latest(run, run.parent, "digan")
    config = json.loads((run / "config.json").read_text())
    cfg = config["method"]
    c_dim = len(config.get("class_names", [])) if cfg.get("conditional") else 0
    d = DIGANDiscriminator(cfg["resolution"], c_dim, cfg["d_channel_base"], cfg["d_channel_max"], cfg["mbstd_group"])
    d.load_state_dict(state["trainer"]["D"])
    return DiscriminatorFeatures(d.image_d)
