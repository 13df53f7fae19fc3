"""``vidsynth.load`` on an image generator (StyleGAN2, BigGAN-style): images as one-frame videos.

So ``vidsynth generate`` works on stylegan2 runs and imported checkpoints (``--frames 1``, png/mp4/npz),
with the same seeding rule as the video samplers: image ``i`` depends only on ``(seed, i)``.
"""
from __future__ import annotations

import torch

from vidsynth.models.sampler_base import Sampler
from vidsynth.utils.seeding import seed_stream


class ImageSampler(Sampler):
    def __init__(self, generator, metadata: dict | None = None):
        super().__init__(generator, metadata)
        self.class_names = []   # class-conditional image sampling is not offered

    @torch.inference_mode()
    def sample(self, n: int, frames: int = 1, seed: int = 0, batch_size: int = 8, truncation_psi: float = 1.0,
               label=None, progress: bool = False) -> torch.Tensor:
        """``n`` images as ``[n, 3, 1, R, R]`` in [-1, 1] (an image generator has no time: ``frames`` must be 1)."""
        if frames != 1:
            raise ValueError(f"{type(self.generator).__name__} is an image generator: use --frames 1 "
                             "(train a MoCoGAN-HD motion generator on it for videos)")
        if label is not None:
            raise ValueError("class-conditional sampling of image generators is not supported")
        kwargs = {"truncation_psi": truncation_psi} if truncation_psi != 1 and self.generator.latent_space == "w" else {}
        latents = torch.cat([self.generator.sample_latents(
            1, generator=seed_stream(seed, i, device=self.device),
            **kwargs) for i in range(n)])
        images = [self.generator.synthesize(latents[i:i + batch_size]) for i in range(0, n, batch_size)]
        return torch.cat(images).float().clamp(-1, 1).unsqueeze(2).cpu()
