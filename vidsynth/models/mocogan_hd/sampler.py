"""The user-facing handle on a trained MoCoGAN-HD model (what ``vidsynth.load`` returns).

Same API as ``DIGANSampler``: ``sample(n, frames, seed, batch_size, ...) -> [n, 3, T, H, W]`` in
[-1, 1]. Video ``i`` of ``sample(n, seed=s)`` has its own random stream ``(s, i)``: its content code
and its motion noise do not depend on ``n`` or the batch size. The applications
(``vidsynth.apps.mocogan_hd``) build on :meth:`content_codes`, :meth:`motion_noise` and :meth:`render`.
"""
from __future__ import annotations

import torch

from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
from vidsynth.models.sampler_base import Sampler

CONTENT, MOTION = 0, 1   # stream tags: (seed, index, tag) -> one torch.Generator per video and purpose


def _stream(seed: int, index: int, tag: int) -> torch.Generator:
    return torch.Generator().manual_seed(hash((int(seed), int(index), tag)) & 0x7FFF_FFFF_FFFF_FFFF)


class MoCoGANHDSampler(Sampler):
    def __init__(self, generator: MoCoGANHDVideoGenerator, metadata: dict | None = None):
        super().__init__(generator, metadata)
        self.class_names = []   # the motion generator is unconditional

    @property
    def image_generator(self):
        return self.generator.image_generator

    @property
    def motion_generator(self):
        return self.generator.motion_generator

    # ------------------------------------------------------------------ latents
    @torch.no_grad()
    def content_codes(self, n: int, seed: int = 0, start: int = 0, truncation_psi: float = 1.0) -> torch.Tensor:
        """Content codes ``w_1 [n, D]`` of videos start..start+n-1 (W = mapping(z) for StyleGAN2; z for a
        Z-space generator, where ``truncation_psi`` scales z toward the prior mean)."""
        G_I = self.image_generator
        codes = []
        for i in range(start, start + n):
            gen = _stream(seed, i, CONTENT)
            if getattr(G_I, "latent_space", "w") == "w":
                codes.append(G_I.sample_latents(1, generator=gen, truncation_psi=truncation_psi))
            else:
                codes.append(G_I.sample_latents(1, generator=gen) * truncation_psi)
        return torch.cat(codes).to(self.device)

    def motion_noise(self, n: int, frames: int, seed: int = 0, start: int = 0) -> torch.Tensor:
        """Motion noise ``e_2..e_T`` ``[n, frames - 1, noise_dim]`` of videos start..start+n-1."""
        d = self.generator.noise_dim
        noise = [torch.randn(max(frames - 1, 0), d, generator=_stream(seed, i, MOTION)) for i in range(start, start + n)]
        return torch.stack(noise).to(self.device)

    # ------------------------------------------------------------------ rendering
    @torch.inference_mode()
    def trajectory(self, w1: torch.Tensor, frames: int, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Latent trajectories ``[B, T, D]`` from content codes ``w1 [B, D]``."""
        return self.generator.motion(w1.to(self.device), frames, None if noise is None else noise.to(self.device))

    @torch.inference_mode()
    def render_latents(self, latents: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
        """Latents ``[B, T, D]`` -> video ``[B, 3, T, H, W]`` in [-1, 1] on CPU."""
        return self.generator.synthesize(latents.to(self.device), batch_size).float().clamp(-1, 1).cpu()

    def render(self, w1: torch.Tensor, frames: int, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Videos ``[B, 3, T, H, W]`` in [-1, 1] on CPU for content codes ``w1`` and motion ``noise``."""
        return self.render_latents(self.trajectory(w1, frames, noise))

    def sample(self, n: int, frames: int = 16, seed: int = 0, batch_size: int = 8, truncation_psi: float = 1.0,
               label: int | str | None = None, progress: bool = False) -> torch.Tensor:
        """``n`` videos of ``frames`` frames (the LSTM unrolls past the training length if asked) ->
        ``[n, 3, T, H, W]`` in [-1, 1]."""
        from tqdm.auto import tqdm

        if label is not None:
            raise ValueError("MoCoGAN-HD models are unconditional; they take no class label")
        out = []
        for start in tqdm(range(0, n, batch_size), disable=not progress, desc="sampling", unit="batch"):
            b = min(batch_size, n - start)
            w1 = self.content_codes(b, seed, start, truncation_psi)
            out.append(self.render(w1, frames, self.motion_noise(b, frames, seed, start)))
        return torch.cat(out)
