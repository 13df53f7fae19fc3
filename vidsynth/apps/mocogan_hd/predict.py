"""Video prediction from a real first frame (MoCoGAN-HD Sec. 4): project the frame into the image
generator's latent space, then let the motion generator continue from that latent.

Projection (``project_image``) optimises one latent with Adam on
``MSE + ssim_weight * (1 - SSIM) [+ feature_weight * MSE of features]``. The paper uses a pixel +
VGG perceptual loss; VGG weights cannot be downloaded here, so SSIM is the built-in structural
term and any TorchScript feature extractor (``torch.jit.save`` of a module mapping ``[N, 3, H, W]``
in [-1, 1] to a tensor or a list of tensors, e.g. a VGG/LPIPS trunk you have) can be plugged in
(both plug-ins are shared with DIGAN's projector: :mod:`vidsynth.apps.projection`).
It starts from the best of the latent mean and ``n_init`` prior samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from vidsynth.apps.mocogan_hd.quality import psnr, video_scores
from vidsynth.apps.projection import features, image_ssim, load_torchscript
from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler
from vidsynth.nn.video_ops import resize_frames


@dataclass
class MoCoGANHDProjection:
    """A projected first frame: G_I's latent, its image and the fit."""

    latent: torch.Tensor        # [1, D]
    image: torch.Tensor         # [1, 3, R, R] in [-1, 1], G_I(latent)
    losses: list[float]         # loss per optimisation step
    psnr: float                 # of the reconstruction against the (resized) target


Projection = MoCoGANHDProjection          # the old name, kept for one release (see CHANGELOG.md)
load_feature_extractor = load_torchscript  # the old name, kept for one release (see CHANGELOG.md)


def project_image(image_generator, target: torch.Tensor, steps: int = 200, lr: float = 0.05, n_init: int = 8,
                  ssim_weight: float = 1.0, feature_extractor=None, feature_weight: float = 1.0,
                  init_latent: torch.Tensor | None = None, seed: int = 0) -> MoCoGANHDProjection:
    """Find ``w`` with ``G_I(w) ~ target`` (``[3, H, W]`` or ``[1, 3, H, W]`` in [-1, 1]; resized to G_I's size)."""
    device = next(image_generator.parameters()).device
    target = target.float().to(device)
    target = target[None] if target.ndim == 3 else target
    target = resize_frames(target, image_generator.resolution)
    target_feats = [f.detach() for f in features(feature_extractor, target)] if feature_extractor else []

    def loss_of(images: torch.Tensor) -> torch.Tensor:                 # [N, 3, R, R] -> [N]
        loss = (images - target).square().flatten(1).mean(1)
        if ssim_weight:
            loss = loss + ssim_weight * (1 - image_ssim(images, target.expand_as(images)))
        for f, t in zip(features(feature_extractor, images) if feature_extractor else [], target_feats):
            loss = loss + feature_weight * (f - t).square().flatten(1).mean(1)
        return loss

    with torch.no_grad():  # initialisation: best of the given/mean latent and n_init prior samples
        gen = torch.Generator(device=device).manual_seed(seed)
        candidates = [image_generator.sample_latents(n_init, generator=gen)] if n_init > 0 else []
        if init_latent is not None:
            candidates.insert(0, init_latent.reshape(1, -1).to(device))
        latents = torch.cat(candidates)
        best = int(loss_of(image_generator.synthesize(latents)).argmin())
    latent = latents[best:best + 1].clone().requires_grad_(True)
    opt = torch.optim.Adam([latent], lr=lr)
    history = []
    with torch.enable_grad():
        for _ in range(steps):
            loss = loss_of(image_generator.synthesize(latent)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.append(loss.item())
    with torch.no_grad():
        image = image_generator.synthesize(latent)
    return MoCoGANHDProjection(latent.detach(), image.detach().cpu(), history, float(psnr(image, target).item()))


def predict_video(sampler: MoCoGANHDSampler, first_frame: torch.Tensor, frames: int = 16, motions: int = 4,
                  seed: int = 0, real_video: torch.Tensor | None = None, **projection_kwargs) -> dict:
    """Continue the real ``first_frame`` (``[3, H, W]`` in [-1, 1]) with ``motions`` different motions.

    Returns ``{"video" [motions, 3, T, R, R], "projection": MoCoGANHDProjection, "scores"}``; with ``real_video``
    (``[3, T', H, W]``, its first frame being ``first_frame``) ``scores`` holds per-frame PSNR/SSIM against
    the real continuation (averaged over motions) and those of the best motion.
    """
    G_M = sampler.motion_generator
    init = G_M.latent_mean if bool(G_M.pca_fitted) else None
    proj = project_image(sampler.image_generator, first_frame, init_latent=init, seed=seed, **projection_kwargs)
    noise = sampler.motion_noise(motions, frames, seed)
    # rendered with the noise maps the projection was fitted with, so frame 1 is the projected image
    video = sampler.render(proj.latent.expand(motions, -1), frames, noise, sampler.const_noise(motions))
    out = {"video": video, "projection": proj, "scores": None}
    if real_video is not None:
        t = min(frames, real_video.shape[1])
        real = real_video[None, :, :t].float().expand(motions, -1, -1, -1, -1)
        per_motion = [video_scores(video[m:m + 1, :, :t], real[m:m + 1]) for m in range(motions)]
        best = max(range(motions), key=lambda m: sum(per_motion[m]["psnr"]))
        mean = video_scores(video[:, :, :t], real)
        out["scores"] = {"psnr": mean["psnr"], "ssim": mean["ssim"],
                         "mean_psnr": sum(mean["psnr"]) / t, "mean_ssim": sum(mean["ssim"]) / t,
                         "best_motion": best, "best_psnr": per_motion[best]["psnr"],
                         "best_ssim": per_motion[best]["ssim"]}
    return out
