"""One module that samples MoCoGAN-HD videos: the frozen image generator G_I plus the motion
generator G_M (whose buffers hold the latent PCA), exported and loaded as a single folder.

``MoCoGANHDVideoGenerator(image_generator_class, image_generator_kwargs, motion_kwargs)`` rebuilds
both from JSON-able arguments (``vidsynth.export`` stores them in ``config.json``); the weights of
both live in one ``model.safetensors`` under the prefixes ``image_generator.`` and
``motion_generator.``. Training wraps its live modules instead (keyword-only arguments); reading an
image generator from a folder is ``vidsynth.export.load_image_generator``.
"""
from __future__ import annotations

import torch
from torch import nn

from vidsynth.models.mocogan_hd.motion_generator import MotionGenerator, render_latents
from vidsynth.models.mocogan_hd.video_noise import check_noise_mode


class MoCoGANHDVideoGenerator(nn.Module):
    """``forward(w1 [B, D], num_frames, noise=None, generator=None) -> video [B, 3, T, R, R]`` in [-1, 1].

    Args:
        image_generator_class: a name in ``vidsynth.registry.MODEL_CLASSES`` (e.g. ``StyleGAN2Generator``).
        image_generator_kwargs: its constructor arguments.
        motion_kwargs: ``MotionGenerator`` constructor arguments.
        noise_mode: the image generator's per-layer noise, ``per_video`` (official), ``const`` or
            ``none`` (see ``video_noise.py``); exports made before this option load as ``per_video``.
        image_generator, motion_generator: existing modules to wrap (training); built if not given.
    """

    def __init__(self, image_generator_class: str, image_generator_kwargs: dict, motion_kwargs: dict,
                 noise_mode: str = "per_video", *, image_generator: nn.Module | None = None,
                 motion_generator: MotionGenerator | None = None):
        super().__init__()
        if image_generator is None:
            from vidsynth.registry import model_class

            image_generator = model_class(image_generator_class)(**image_generator_kwargs)
        self.image_generator_class = image_generator_class
        self.image_generator_kwargs = dict(image_generator_kwargs)
        self.motion_kwargs = dict(motion_kwargs)
        self.noise_mode = check_noise_mode(noise_mode)
        self.image_generator = image_generator.eval().requires_grad_(False)
        self.motion_generator = motion_generator if motion_generator is not None else MotionGenerator(**motion_kwargs)

    @property
    def init_kwargs(self) -> dict:
        """What ``vidsynth.export.save_model`` stores to rebuild this module."""
        return {"image_generator_class": self.image_generator_class,
                "image_generator_kwargs": self.image_generator_kwargs, "motion_kwargs": self.motion_kwargs,
                "noise_mode": self.noise_mode}

    @property
    def resolution(self) -> int:
        return self.image_generator.resolution

    @property
    def latent_dim(self) -> int:
        return self.motion_generator.latent_dim

    @property
    def noise_dim(self) -> int:
        return self.motion_generator.noise_dim

    def motion(self, w1: torch.Tensor, num_frames: int, noise: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The latent trajectory ``[B, T, D]`` starting at ``w1`` (``noise [B, >= T-1, noise_dim]`` fixes the motion)."""
        return self.motion_generator(w1, num_frames, generator=generator, noise=noise).latents

    def synthesize(self, latents: torch.Tensor, batch_size: int | None = None,
                   video_noise: list[torch.Tensor] | None = None, generator: torch.Generator | None = None,
                   clamp: bool = True) -> torch.Tensor:
        """Latents ``[B, T, D]`` -> video ``[B, 3, T, R, R]``, frames rendered ``batch_size`` at a time;
        per-video noise maps from ``video_noise`` (``[B, 1, H, W]`` per layer) or drawn from ``generator``."""
        return render_latents(self.image_generator, latents, batch_size=batch_size, noise_mode=self.noise_mode,
                              video_noise=video_noise, generator=generator, clamp=clamp)

    def forward(self, w1: torch.Tensor, num_frames: int, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None, batch_size: int | None = None,
                video_noise: list[torch.Tensor] | None = None) -> torch.Tensor:
        latents = self.motion(w1, num_frames, noise, generator)
        return self.synthesize(latents, batch_size, video_noise, generator)
