"""Per-layer noise maps of the image generator when it renders a video (MoCoGAN-HD).

StyleGAN2 adds random single-channel noise maps in every layer (fine stochastic detail: hair,
pores, grain). A video must keep the *same* maps in all its frames -- noise redrawn per frame makes
the texture boil -- yet different videos should get different maps, or every video shares one
texture and every fake carries the same fingerprint for D to learn. The official MoCoGAN-HD
generator (``models/stylegan2/model.py``, ``NoiseInjection``) draws ``batch // n_frame`` maps per
layer and repeats them over the frames of each video: one noise set per video. Modes:

* ``per_video`` (default, official training and ``evaluate.py``'s ``*_noise`` videos): one random
  set per video, shared by its frames.
* ``const``: the generator's fixed ``noises.noise_i`` buffers for every frame of every video.
* ``none``: no noise at all (official ``use_noise=False``, ``evaluate.py``'s plain videos).

Image generators without noise inputs (the BigGAN-style generator, user-supplied ones) ignore the mode.
"""
from __future__ import annotations

import torch

from vidsynth.config import VIDEO_NOISE_MODES  # config.py owns the names


def check_noise_mode(mode: str) -> str:
    if mode not in VIDEO_NOISE_MODES:
        raise ValueError(f"noise must be one of {', '.join(VIDEO_NOISE_MODES)}, got {mode!r}")
    return mode


def has_noise_inputs(image_generator) -> bool:
    """True for image generators with per-layer noise (``sample_noise`` and ``synthesize(noise=...)``)."""
    return callable(getattr(image_generator, "sample_noise", None))


def draw_video_noise(image_generator, n: int, generator: torch.Generator | None = None) -> list[torch.Tensor] | None:
    """One noise set for each of ``n`` videos: ``num_layers`` maps ``[n, 1, H, W]`` (None: no noise inputs)."""
    return image_generator.sample_noise(n, generator) if has_noise_inputs(image_generator) else None


def frame_noise(video_noise: list[torch.Tensor], num_frames: int) -> list[torch.Tensor]:
    """Repeat each video's maps over its frames: ``[B, 1, H, W]`` -> ``[B*T, 1, H, W]`` in the
    frame order of ``latents.reshape(B*T, D)`` (video-major), so all frames of a video share them."""
    return [m.repeat_interleave(num_frames, dim=0) for m in video_noise]
