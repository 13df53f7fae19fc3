"""Projection for video prediction (DIGAN paper §4.2 Figure 5, Appendix E): real frames -> latents.

Given a few real frames at known times, find latents whose video reproduces them; rendering that
video at other times is the prediction (:mod:`vidsynth.apps.digan.predict`). This module loads the
frames, renders with one w per block ("w+"), offers the perceptual terms and runs the projector.

Projection follows the StyleGAN2 projector, shortened for CPUs:
- parameters: w (``mode="w"``), one w per synthesis block (``"w+"``, more freedom, less prior) or
  the content code z (``"z"``, stays on the learned manifold); always the motion code z_M;
- start: the best of ``candidates`` random latent pairs (plus w_avg with each motion) under the pixel loss;
- Adam with a cosine learning-rate ramp-down and Gaussian noise on w that fades out over the first
  3/4 of the steps (explores early, settles late).

Loss = MSE(pixels) + ``perceptual_weight`` x a perceptual term. The papers use VGG-LPIPS, whose
weights we do not ship; choices here (:func:`perceptual_loss`):
- ``"ssim"``: (1 - multi-scale SSIM) + image-gradient L1 (structure and edges; no weights needed);
- ``"d"``: distances of the run's own image-discriminator features (needs the run's training
  checkpoint, which holds D);
- a path to a TorchScript module ``frames [N, 3, H, W] in [-1, 1] -> features`` (tensor or list of
  tensors), e.g. an exported VGG/LPIPS trunk;
- ``"none"``: pixels only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vidsynth.apps import projection
from vidsynth.errors import VidsynthError

PROJECTION_MODES = ("w", "w+", "z")


# ---------------------------------------------------------------------------------------- frames
def load_frames(source: str | Path, resolution: int, indices, video_index: int = 0, seed: int = 0) -> torch.Tensor:
    """Frames ``indices`` of a video -> float ``[3, N, R, R]`` in [-1, 1] (centre crop, resize).

    ``source``: a video file (anything PyAV decodes), a ``.npz`` with uint8 ``video [T, H, W, 3]``,
    a folder of image frames, or ``builtin:NAME`` (video ``video_index`` of that dataset).
    """
    from vidsynth.video.pixels import crop_resize

    indices = [int(i) for i in indices]
    if min(indices) < 0:
        raise VidsynthError(f"frame indices must be >= 0, got {min(indices)}")
    need = max(indices) + 1
    spec = str(source)
    if spec.startswith("builtin:"):
        from vidsynth.data import open_dataset

        clip = open_dataset(spec, resolution=resolution, frames=need, seed=seed).clip(video_index, 0)[0]
        frames = clip.permute(1, 2, 3, 0).numpy()                                  # [T, R, R, 3]
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise VidsynthError(f"'{path}' not found: pass a video file, a .npz, a folder of frames or builtin:NAME")
        if path.suffix.lower() == ".npz":
            frames = np.load(path)["video"]
        elif path.is_dir():
            from PIL import Image

            files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
            frames = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in files[:need]]) if files else None
        else:
            from vidsynth.data.storage import DirStorage
            from vidsynth.video.read import VideoReadError, read_first_frames

            try:
                frames = read_first_frames(DirStorage(path.parent), path.name, need)         # [n, H, W, 3] uint8
            except VideoReadError as e:
                raise VidsynthError(f"cannot decode '{path}' ({e})") from None
        if frames is None or len(frames) < need:
            got = 0 if frames is None else len(frames)
            raise VidsynthError(f"'{path}' has {got} frames; frame index {need - 1} was asked for")
        frames = crop_resize(np.ascontiguousarray(frames[:need]), resolution)
    video = torch.from_numpy(np.ascontiguousarray(frames[indices])).permute(3, 0, 1, 2)  # [3, N, R, R] uint8
    return video.float() / 127.5 - 1




# ---------------------------------------------------------------------------------------- synthesis
def synthesize_per_block(generator, ws: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    """Like ``generator.synthesize`` but with one w per synthesis block: ``ws [B, L, w_dim]`` ("w+")."""
    if times.ndim == 1:
        times = times.unsqueeze(0).expand(ws.shape[0], -1)
    x = img = None
    for i, (block, r) in enumerate(zip(generator.blocks, generator.block_resolutions)):
        x, img = block(x, img, ws[:, i], z_motion, times.to(ws.dtype), r, (0.0, 1.0))
    return img


# ---------------------------------------------------------------------------------------- perceptual
def perceptual_loss(kind: str, run: str | Path | None = None):
    """``loss(fake, real)`` for frames ``[N, 3, H, W]`` in [-1, 1]; ``kind`` as in the module docstring
    (the plug-ins live in :mod:`vidsynth.apps.projection`)."""
    if kind == "none":
        return None
    if kind == "ssim":
        return lambda x, y: (1 - projection.ms_ssim(x, y)) + projection.gradient_loss(x, y)
    if kind == "d":
        if run is None:
            raise VidsynthError("--perceptual d needs a run folder (it reads D from the run's checkpoint)")
        extractor = projection.load_run_discriminator(run)
        return lambda x, y: projection.feature_distance(extractor, x, y)
    if not Path(kind).expanduser().is_file():
        raise VidsynthError(f"perceptual loss {kind!r}: use none, ssim, d, or the path of a TorchScript module")
    extractor = projection.load_torchscript(kind)
    return lambda x, y: projection.feature_distance(extractor, x, y)


# ---------------------------------------------------------------------------------------- projection
@dataclass
class DIGANProjection:
    """Fitted latents: ``w [1, w_dim]`` or ``[1, L, w_dim]`` (w+), ``z_motion [1, motion_dim]``."""

    w: torch.Tensor
    z_motion: torch.Tensor
    mode: str
    losses: list[float] = field(default_factory=list)

    def render(self, sampler, times) -> torch.Tensor:
        """The fitted video at ``times [T]`` -> ``[1, 3, T, H, W]`` in [-1, 1]."""
        times = torch.as_tensor(times, dtype=torch.float32).to(sampler.device)
        with torch.no_grad():
            return _synth(sampler.generator, self.w.to(sampler.device), self.z_motion.to(sampler.device),
                          times).clamp(-1, 1).cpu()


Projection = DIGANProjection   # the old name, kept for one release (see CHANGELOG.md)


def _synth(generator, w, z_motion, times):
    if w.ndim == 3:
        return synthesize_per_block(generator, w, z_motion, times)
    return generator.synthesize(w, z_motion, times)


def project(sampler, frames: torch.Tensor, times, mode: str = "w", steps: int = 300, lr: float = 0.1,
            perceptual=None, perceptual_weight: float = 1.0, candidates: int = 64, noise: float = 0.05,
            motion_reg: float = 1e-3, c: torch.Tensor | None = None, seed: int = 0,
            progress: bool = False) -> DIGANProjection:
    """Fit latents so the video at ``times [N]`` matches ``frames [3, N, H, W]`` (in [-1, 1])."""
    from tqdm.auto import tqdm

    if mode not in PROJECTION_MODES:
        raise ValueError(f"mode must be one of {', '.join(PROJECTION_MODES)}, got {mode!r}")
    g, device = sampler.generator, sampler.device
    target = frames.to(device).permute(1, 0, 2, 3)                       # [N, 3, H, W]
    times = torch.as_tensor(times, dtype=torch.float32).to(device)
    if target.shape[-1] != g.resolution:
        target = F.interpolate(target, size=(g.resolution, g.resolution), mode="bilinear", antialias=True,
                               align_corners=False)
    gen = torch.Generator().manual_seed(seed)

    def pixel_loss(video):                                                # video [B, 3, N, H, W] -> [B]
        return (video - target.permute(1, 0, 2, 3)).square().flatten(1).mean(1)

    def loss_of(video):                                                   # video [1, 3, N, H, W] -> scalar
        loss = pixel_loss(video).sum()
        if perceptual is not None and perceptual_weight:
            loss = loss + perceptual_weight * perceptual(video[0].transpose(0, 1), target)
        return loss

    # --- start: the best of `candidates` random (z, z_M) pairs, and w_avg with each z_M (pixel loss) ---
    with torch.no_grad():
        z0 = torch.randn(max(candidates, 1), g.z_dim, generator=gen).to(device)
        zm0 = torch.randn(max(candidates, 1), g.motion_dim, generator=gen).to(device)
        cc = c.expand(len(z0), -1) if c is not None else None
        w0 = g.mapping(z0, cc)
        w_avg = g.mapping(torch.randn(1000, g.z_dim, generator=gen).to(device),
                          c.expand(1000, -1) if c is not None else None).mean(0, keepdim=True)
        w_std = (g.mapping(torch.randn(1000, g.z_dim, generator=gen).to(device),
                           c.expand(1000, -1) if c is not None else None) - w_avg).square().sum(1).mean().sqrt()
        if mode != "z":
            w0, zm0, z0 = torch.cat([w0, w_avg.expand(len(zm0), -1)]), torch.cat([zm0, zm0]), torch.cat([z0, z0])
        scores = torch.cat([pixel_loss(g.synthesize(w0[i:i + 16], zm0[i:i + 16], times)) for i in range(0, len(w0), 16)])
        best = int(scores.argmin())
    z_motion = zm0[best:best + 1].clone().requires_grad_(True)
    if mode == "z":
        latent = z0[best:best + 1].clone().requires_grad_(True)
    elif mode == "w+":
        latent = w0[best:best + 1].unsqueeze(1).repeat(1, len(g.blocks), 1).requires_grad_(True)
    else:
        latent = w0[best:best + 1].clone().requires_grad_(True)
    opt = torch.optim.Adam([latent, z_motion], lr=lr, betas=(0.9, 0.999))
    losses = []
    g.requires_grad_(False)
    for step in tqdm(range(steps), disable=not progress, desc="projecting", unit="step"):
        frac = step / max(steps, 1)
        ramp = min(1.0, (1 - frac) / 0.25)                                # cosine ramp-down over the last 1/4
        ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
        ramp *= min(1.0, frac / 0.05)                                     # linear ramp-up over the first 5%
        for group in opt.param_groups:
            group["lr"] = lr * ramp
        if mode == "z":
            w = g.mapping(latent, c)
        else:
            scale = float(w_std) * noise * max(0.0, 1 - frac / 0.75) ** 2
            w = latent + torch.randn(latent.shape, generator=gen).to(device) * scale
        video = _synth(g, w, z_motion, times)
        loss = loss_of(video) + motion_reg * (z_motion.square().mean() - 1).square()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        w = g.mapping(latent, c) if mode == "z" else latent
    return DIGANProjection(w.detach().cpu(), z_motion.detach().cpu(), mode, losses)
