"""MoCoGAN-HD training losses, as the official trainer computes them (train_func_*_domain.py).

``generator_losses`` (motion generator step) and ``discriminator_losses`` (D_V + D_I step) each
return a dict of scalar tensors: every term separately for logging plus ``"total"`` to backprop.

Loss forms (official code):
* video D (both settings) and in-domain image D: relativistic-average LSGAN, summed over the
  PatchGAN scales: ``mean((D(a) - mean D(b) - target)^2)``; D uses ``0.5 * (real + fake)``, G the
  symmetric ``0.5 * (ra(fake, real, 1) + ra(real, fake, 0))``.
* video D also gets a WGAN-GP gradient penalty on real/fake interpolates (weight 10, averaged over
  scales; the gradient norm is taken over the channel axis at every position).
* cross-domain image D: hinge loss where augmented *first* frames of generated videos (straight
  from the pretrained image generator) are "real" and augmented *later* frames are "fake", plus
  2 x the contrastive loss; G gets the non-saturating hinge term ``-mean D(x_t)`` and
  ``w_match`` x feature matching.
* G always adds the mutual-information loss with weight 1.
* fake videos: one image-noise set per video, frames not clamped (``sample_fake_videos``).
* each call picks one frame index t in [2, T] (same t for real and fake), and reverses the time of
  the whole real batch / fake batch for D_V with probability 1/2 each (official ``flip_video``).
* ``unroll`` k > 1 (not official; issue 15): G_M's motion noise covers k*T frames and D_V and D_I
  judge the T-frame window of fake frames starting at ``window``, one of the k tiles 0, T, .., (k-1)T
  drawn uniformly (G_M unrolls to its end), so every frame of the unroll is judged equally often and motion
  past the training length is trained to stay on G_I's manifold. k = 1 is the
  official first window with the official draws.

Schedule (for the trainer): Adam lr 1e-4, betas (0.5, 0.999) for G_M and D_V (and the in-domain
D_I); the cross-domain D_I uses betas (0, 0.999), eps 1e-6; 5 G steps per D step (``--G_step``);
call ``image_discriminator.update_ema()`` after every cross-domain D optimiser step.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.models.image_generator import LatentImageGenerator
from vidsynth.models.mocogan_hd.augment import contrastive_augment
from vidsynth.models.mocogan_hd.contrastive import ContrastiveImageDiscriminator, feature_matching_loss
from vidsynth.models.mocogan_hd.image_discriminator import PairImageDiscriminator
from vidsynth.models.mocogan_hd.motion_generator import MotionGenerator, MotionOutput, render_latents
from vidsynth.models.mocogan_hd.video_discriminator import MODES, VideoDiscriminator
from vidsynth.models.mocogan_hd.video_noise import draw_video_noise


@dataclass
class LossWeights:
    """Loss weights; defaults are the official trainer's."""
    video_gan: float = 1.0          # G_loss_3d added with weight 1; D_V loss 0.5*(real+fake) with weight 1
    image_gan: float = 1.0          # G_loss_2d / D_I GAN terms, weight 1
    mutual_info: float = 1.0        # l_mutual, weight 1
    feature_match: float = 1.0      # --w_match default 1.0 (the FFHQ-VoxCeleb scripts pass 5.0)
    contrastive: float = 2.0        # D_I loss = hinge + 2 * cntr_loss (hard-coded)
    gradient_penalty: float = 10.0  # WGAN-GP on D_V, hard-coded x10 in compute_gradient_penalty_T


# --- elementary losses -------------------------------------------------------------------------
def ra_lsgan_loss(pred: list[torch.Tensor], other: list[torch.Tensor], target_real: bool) -> torch.Tensor:
    """Relativistic-average LSGAN summed over scales: ``sum_s mean((pred_s - mean(other_s) - y)^2)``, y = 1 or 0."""
    target = 1.0 if target_real else 0.0
    return sum(F.mse_loss(p - o.mean(), torch.full_like(p, target)) for p, o in zip(pred, other))


def hinge_discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean relu(1 - D(real)), mean relu(1 + D(fake)))``."""
    return F.relu(1.0 - real).mean(), F.relu(1.0 + fake).mean()


def hinge_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def video_gradient_penalty(video_discriminator: VideoDiscriminator, real_video: torch.Tensor,
                           fake_video: torch.Tensor, generator: torch.Generator | None = None,
                           alpha: torch.Tensor | None = None) -> torch.Tensor:
    """``mean_s mean((||grad_x D_s(x)||_2 over channels - 1)^2)`` at x = alpha * real + (1 - alpha) * fake
    (``alpha [B, 1, 1, 1, 1]`` ~ U(0, 1) per video, drawn from ``generator`` unless given), on the
    prepared D input (resized; paired in-domain). Unweighted."""
    real = video_discriminator.prepare(real_video).detach()
    fake = video_discriminator.prepare(fake_video).detach()
    if alpha is None:
        alpha = _rand((real.shape[0], 1, 1, 1, 1), real, generator)
    alpha = alpha.to(real)
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    penalty = 0.0
    for out in video_discriminator.forward_prepared(x):
        (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        penalty = penalty + ((grad.norm(2, dim=1) - 1) ** 2).mean()
    return penalty / len(video_discriminator.scales)


# --- helpers -----------------------------------------------------------------------------------
def _rand(shape, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else like.device
    return torch.rand(shape, generator=generator, device=device).to(like.device, like.dtype)


def _randint(low: int, high: int, generator: torch.Generator | None) -> int:
    """Integer in [low, high) from ``generator`` (CPU draw)."""
    device = generator.device if generator is not None else "cpu"
    return int(torch.randint(low, high, (1,), generator=generator, device=device))


def _coin(generator: torch.Generator | None) -> bool:
    return _randint(0, 2, generator) == 1


def freeze_image_generator(image_generator) -> None:
    """Put a torch image generator in eval mode with no parameter requiring a gradient."""
    if isinstance(image_generator, nn.Module):
        image_generator.eval().requires_grad_(False)


def _check_frozen(image_generator) -> None:
    if isinstance(image_generator, nn.Module) and any(p.requires_grad for p in image_generator.parameters()):
        raise ValueError("the image generator must be frozen in MoCoGAN-HD: call freeze_image_generator(G_I) first")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


@dataclass
class StepDraws:
    """Every random choice of one G_M step or one D step except the cross-domain augmentations.

    Drawn from the step's ``torch.Generator`` by :func:`draw_generator_step` /
    :func:`draw_discriminator_step`, or given explicitly (the official-code fixtures replay the
    official run's draws). ``w1``/``motion_noise``/``video_noise`` are None in a D step whose fake
    videos are passed in."""
    w1: torch.Tensor | None                   # [B, D] content codes from G_I's prior
    motion_noise: torch.Tensor | None         # [B, T-1, noise_dim] e_2..e_T
    video_noise: list[torch.Tensor] | None    # image noise maps [B, 1, H, W] per layer (per_video), else None
    reverse_real: bool                        # time-reverse the real batch for D_V (official flip_video)
    reverse_fake: bool
    t: int                                    # D_I frame index in [1, T-1] (0-based; official frame_id)
    gp_alpha: torch.Tensor | None = None      # [B, 1, 1, 1, 1] WGAN-GP interpolation weights (D step)
    window: int = 0                           # first unrolled frame D sees (``unroll`` > 1; 0: official)


def _draw_fakes(motion_generator: MotionGenerator, image_generator: LatentImageGenerator, batch: int,
                num_frames: int, generator: torch.Generator | None, device, noise_mode: str):
    with torch.no_grad():
        w1 = image_generator.sample_latents(batch, generator=generator)
    w1 = w1.to(device) if device is not None else w1
    motion_noise = motion_generator.sample_noise(batch, num_frames, generator, device=w1.device)
    video_noise = draw_video_noise(image_generator, batch, generator) if noise_mode == "per_video" else None
    return w1, motion_noise, video_noise


def _check_unroll(unroll: int) -> None:
    if not (isinstance(unroll, int) and unroll >= 1):
        raise ValueError(f"unroll must be an integer >= 1, got {unroll!r}")


def _draw_window(num_frames: int, unroll: int, generator: torch.Generator | None) -> int:
    """Start of the judged window in a ``unroll * num_frames`` unroll: one of the ``unroll`` tiles
    0, T, .., (unroll-1) T, uniformly, so every unrolled frame is judged equally often (1 / unroll). A start
    uniform over [0, (unroll-1) T] judged the last frame in 1 of (unroll-1) T + 1 steps and the middle ones in
    T of them, and the per-frame FID rose toward the end of the unroll in every run (docs/performance.md,
    "Every unrolled frame judged equally often"). Nothing is drawn for ``unroll`` 1 (the official draws)."""
    return num_frames * _randint(0, unroll, generator) if unroll > 1 else 0


def draw_generator_step(motion_generator: MotionGenerator, image_generator: LatentImageGenerator, batch: int,
                        num_frames: int, generator: torch.Generator | None = None, device=None,
                        noise_mode: str = "per_video", unroll: int = 1) -> StepDraws:
    """The draws of one G_M step, in order: w_1, motion noise (``unroll * num_frames`` frames), image noise,
    D_V real/fake time flips, t, and the window's start when ``unroll`` > 1."""
    _check_unroll(unroll)
    w1, motion_noise, video_noise = _draw_fakes(motion_generator, image_generator, batch, unroll * num_frames,
                                                generator, device, noise_mode)
    reverse_real, reverse_fake = _coin(generator), _coin(generator)
    t = _randint(1, num_frames, generator)
    return StepDraws(w1, motion_noise, video_noise, reverse_real, reverse_fake, t,
                     window=_draw_window(num_frames, unroll, generator))


def draw_discriminator_step(motion_generator: MotionGenerator, image_generator: LatentImageGenerator, batch: int,
                            num_frames: int, generator: torch.Generator | None = None, device=None,
                            noise_mode: str = "per_video", draw_fakes: bool = True, unroll: int = 1) -> StepDraws:
    """The draws of one D step, in order: (w_1, motion noise, image noise if ``draw_fakes``), D_V
    fake/real time flips, WGAN-GP alpha, t, and the window's start when ``unroll`` > 1 and ``draw_fakes``."""
    _check_unroll(unroll)
    fakes = (_draw_fakes(motion_generator, image_generator, batch, unroll * num_frames, generator, device,
                         noise_mode) if draw_fakes else (None, None, None))
    reverse_fake, reverse_real = _coin(generator), _coin(generator)
    alpha_device = generator.device if generator is not None else "cpu"
    alpha = torch.rand((batch, 1, 1, 1, 1), generator=generator, device=alpha_device)
    t = _randint(1, num_frames, generator)
    return StepDraws(*fakes, reverse_real=reverse_real, reverse_fake=reverse_fake, t=t, gp_alpha=alpha,
                     window=_draw_window(num_frames, unroll if draw_fakes else 1, generator))


def render_fake_videos(motion_generator: MotionGenerator, image_generator: LatentImageGenerator, draws: StepDraws,
                       num_frames: int, noise_mode: str = "per_video") -> tuple[torch.Tensor, MotionOutput]:
    """Fake videos ``[B, 3, T, R, R]`` of ``draws`` as the official trainer renders them
    (``modelG([z], n_frames, use_noise=True)``): one image-noise set per video shared by its frames
    (``noise_mode="per_video"``), and frames *not* clamped to [-1, 1] (D sees G_I's raw output;
    clamping would also cut G_M's gradient at saturated pixels). With ``draws.window`` s > 0, G_M unrolls
    s + T frames and only frames s .. s+T-1 are rendered; ``motion`` covers the whole unroll (its mutual
    information loss trains every step)."""
    motion = motion_generator(draws.w1, draws.window + num_frames, noise=draws.motion_noise)
    video = render_latents(image_generator, motion.latents[:, draws.window:], noise_mode=noise_mode,
                           video_noise=draws.video_noise, clamp=False)
    return video, motion


def sample_fake_videos(motion_generator: MotionGenerator, image_generator: LatentImageGenerator, batch: int,
                       num_frames: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None,
                       noise_mode: str = "per_video") -> tuple[torch.Tensor, MotionOutput]:
    """Draw content codes w_1 from G_I's prior, unroll G_M, render (:func:`render_fake_videos`):
    ``(video [B,3,T,R,R], motion)``."""
    w1, motion_noise, video_noise = _draw_fakes(motion_generator, image_generator, batch, num_frames, generator,
                                                device, noise_mode)
    return render_fake_videos(motion_generator, image_generator, StepDraws(w1, motion_noise, video_noise, False,
                                                                           False, 1), num_frames, noise_mode)


# --- the two steps -----------------------------------------------------------------------------
def generator_losses(motion_generator: MotionGenerator, image_generator: LatentImageGenerator,
                     video_discriminator: VideoDiscriminator,
                     image_discriminator: PairImageDiscriminator | ContrastiveImageDiscriminator,
                     real_video: torch.Tensor, mode: str = "in_domain", weights: LossWeights | None = None,
                     generator: torch.Generator | None = None, update_banks: bool = True,
                     noise_mode: str = "per_video", draws: StepDraws | None = None,
                     unroll: int = 1) -> dict[str, torch.Tensor]:
    """Losses of one motion-generator step for a real batch ``real_video [B, 3, T, H, W]`` (fakes: a
    T-frame window of an ``unroll`` x T unroll, see the module docstring).

    Keys: ``video_gan``, ``image_gan``, ``mutual_info``, ``feature_match`` (cross-domain only), ``total``.
    Cross-domain with ``update_banks``: enqueues EMA keys of this batch's augmented frames in the
    memory banks (the official trainer fills the banks in the G step). Only ``total`` carries gradient
    to G_M; D outputs on real data are computed without graph.
    """
    _check_mode(mode)
    _check_frozen(image_generator)
    w = weights or LossWeights()
    b, _, t_len = real_video.shape[:3]
    if draws is None:
        draws = draw_generator_step(motion_generator, image_generator, b, t_len, generator, real_video.device,
                                    noise_mode, unroll)
    fake, motion = render_fake_videos(motion_generator, image_generator, draws, t_len, noise_mode)
    losses: dict[str, torch.Tensor] = {"mutual_info": motion_generator.mutual_information_loss(motion)}

    # video D: symmetric relativistic LSGAN
    reverse_real, reverse_fake, t = draws.reverse_real, draws.reverse_fake, draws.t
    with torch.no_grad():
        d_real = video_discriminator(real_video, reverse_time=reverse_real)
    d_fake = video_discriminator(fake, reverse_time=reverse_fake)
    losses["video_gan"] = 0.5 * (ra_lsgan_loss(d_fake, d_real, True) + ra_lsgan_loss(d_real, d_fake, False))

    if mode == "in_domain":
        with torch.no_grad():
            i_real = image_discriminator(real_video[:, :, 0], real_video[:, :, t])
        i_fake = image_discriminator(fake[:, :, 0], fake[:, :, t])
        losses["image_gan"] = 0.5 * (ra_lsgan_loss(i_fake, i_real, True) + ra_lsgan_loss(i_real, i_fake, False))
        extra = 0.0
    else:
        later = contrastive_augment(fake[:, :, t], generator)
        first = contrastive_augment(fake[:, :, 0], generator)
        if update_banks:
            image_discriminator.enqueue(image_discriminator.keys(first), image_discriminator.keys(later))
        logit_later, proj_later = image_discriminator(later)
        _, proj_first = image_discriminator(first)
        losses["image_gan"] = hinge_generator_loss(logit_later)
        losses["feature_match"] = feature_matching_loss(proj_later, proj_first)
        extra = w.feature_match * losses["feature_match"]

    losses["total"] = (w.video_gan * losses["video_gan"] + w.image_gan * losses["image_gan"]
                       + w.mutual_info * losses["mutual_info"] + extra)
    return losses


def discriminator_losses(motion_generator: MotionGenerator, image_generator: LatentImageGenerator,
                         video_discriminator: VideoDiscriminator,
                         image_discriminator: PairImageDiscriminator | ContrastiveImageDiscriminator,
                         real_video: torch.Tensor, mode: str = "in_domain", weights: LossWeights | None = None,
                         generator: torch.Generator | None = None,
                         fake_video: torch.Tensor | None = None, noise_mode: str = "per_video",
                         draws: StepDraws | None = None, unroll: int = 1) -> dict[str, torch.Tensor]:
    """Losses of one discriminator step (D_V and D_I together; their parameters are disjoint, so one
    backward of ``total`` gives each its own gradient). ``fake_video`` is generated without graph if
    not given (a T-frame window of an ``unroll`` x T unroll).

    Keys: ``video_real``, ``video_fake``, ``video_gp``, ``video_total``, ``image_real``, ``image_fake``,
    ``contrastive`` (cross-domain only), ``image_total``, ``total``.
    """
    _check_mode(mode)
    _check_frozen(image_generator)
    w = weights or LossWeights()
    b, _, t_len = real_video.shape[:3]
    if draws is None:
        draws = draw_discriminator_step(motion_generator, image_generator, b, t_len, generator, real_video.device,
                                        noise_mode, draw_fakes=fake_video is None, unroll=unroll)
    if fake_video is None:
        with torch.no_grad():
            fake_video, _ = render_fake_videos(motion_generator, image_generator, draws, t_len, noise_mode)
    fake = fake_video.detach()
    losses: dict[str, torch.Tensor] = {}

    reverse_fake, reverse_real, t = draws.reverse_fake, draws.reverse_real, draws.t
    d_fake = video_discriminator(fake, reverse_time=reverse_fake)
    d_real = video_discriminator(real_video, reverse_time=reverse_real)
    losses["video_real"] = ra_lsgan_loss(d_real, d_fake, True)
    losses["video_fake"] = ra_lsgan_loss(d_fake, d_real, False)
    losses["video_gp"] = video_gradient_penalty(video_discriminator, real_video, fake, alpha=draws.gp_alpha)
    losses["video_total"] = (w.video_gan * 0.5 * (losses["video_real"] + losses["video_fake"])
                             + w.gradient_penalty * losses["video_gp"])

    if mode == "in_domain":
        i_real = image_discriminator(real_video[:, :, 0], real_video[:, :, t])
        i_fake = image_discriminator(fake[:, :, 0], fake[:, :, t])
        losses["image_real"] = ra_lsgan_loss(i_real, i_fake, True)
        losses["image_fake"] = ra_lsgan_loss(i_fake, i_real, False)
        losses["image_total"] = w.image_gan * 0.5 * (losses["image_real"] + losses["image_fake"])
    else:
        first, later = fake[:, :, 0], fake[:, :, t]
        logit_first, proj_first1 = image_discriminator(contrastive_augment(first, generator))
        _, proj_first2 = image_discriminator(contrastive_augment(first, generator))
        logit_later, proj_later1 = image_discriminator(contrastive_augment(later, generator))
        _, proj_later2 = image_discriminator(contrastive_augment(later, generator))
        losses["image_real"], losses["image_fake"] = hinge_discriminator_loss(logit_first, logit_later)
        losses["contrastive"] = image_discriminator.contrastive_loss(proj_first1, proj_first2, proj_later1, proj_later2)
        losses["image_total"] = (w.image_gan * (losses["image_real"] + losses["image_fake"])
                                 + w.contrastive * losses["contrastive"])

    losses["total"] = losses["video_total"] + losses["image_total"]
    return losses
