"""The user-facing handle on a trained MoCoGAN-HD model (what ``vidsynth.load`` returns).

Same API as ``DIGANSampler``: ``sample(n, frames, seed, batch_size, ...) -> [n, 3, T, H, W]`` in
[-1, 1]. Video ``i`` of ``sample(n, seed=s)`` has its own random streams ``(s, i)``: its content code,
its motion noise and its image noise maps (one set per video, shared by its frames, when the
generator's ``noise_mode`` is ``per_video``) do not depend on ``n`` or the batch size. The applications
(``vidsynth.apps.mocogan_hd``) build on :meth:`content_codes`, :meth:`motion_noise` and :meth:`render`.
"""
from __future__ import annotations

import torch

from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
from vidsynth.models.mocogan_hd.video_noise import draw_video_noise, has_noise_inputs
from vidsynth.models.sampler_base import Sampler
from vidsynth.utils.seeding import seed_stream

CONTENT, MOTION, NOISE = 0, 1, 2   # stream tags: seed_stream(seed, index, tag), one per video and purpose


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
            gen = seed_stream(seed, i, CONTENT)
            if getattr(G_I, "latent_space", "w") == "w":
                codes.append(G_I.sample_latents(1, generator=gen, truncation_psi=truncation_psi))
            else:
                codes.append(G_I.sample_latents(1, generator=gen) * truncation_psi)
        return torch.cat(codes).to(self.device)

    def motion_noise(self, n: int, frames: int, seed: int = 0, start: int = 0) -> torch.Tensor:
        """Motion noise ``e_2..e_T`` ``[n, frames - 1, noise_dim]`` of videos start..start+n-1."""
        d = self.generator.noise_dim
        noise = [torch.randn(max(frames - 1, 0), d, generator=seed_stream(seed, i, MOTION)) for i in range(start, start + n)]
        return torch.stack(noise).to(self.device)

    def content_keyed_noise(self, w1: torch.Tensor) -> list[torch.Tensor] | None:
        """Image noise maps for content codes ``w1 [B, D]``, each set drawn from a stream keyed by the
        bytes of its code: the same content always gets the same texture (content x motion grids, motion
        transfer), different contents different ones. What :meth:`render` uses when given no maps."""
        import hashlib

        sets = []
        for code in w1.detach().float().cpu():
            key = int.from_bytes(hashlib.sha256(code.numpy().tobytes()).digest()[:7], "little")
            sets.append(draw_video_noise(self.image_generator, 1, seed_stream(key, 0, NOISE)))
        if len(sets) == 0 or sets[0] is None:
            return None
        return [torch.cat(maps).to(self.device) for maps in zip(*sets)]

    def const_noise(self, n: int) -> list[torch.Tensor] | None:
        """The image generator's fixed noise maps for ``n`` videos (what ``synthesize`` uses by default,
        e.g. to continue a projection made with them); None without noise inputs."""
        if not has_noise_inputs(self.image_generator):
            return None
        return [m.expand(n, -1, -1, -1) for m in self.image_generator.make_noise(1, "const")]

    def video_noise(self, n: int, seed: int = 0, start: int = 0) -> list[torch.Tensor] | None:
        """Image noise maps of videos start..start+n-1: ``num_layers`` maps ``[n, 1, H, W]``, one set per
        video from its own stream (None if the image generator has no noise inputs)."""
        sets = [draw_video_noise(self.image_generator, 1, seed_stream(seed, i, NOISE)) for i in range(start, start + n)]
        if n == 0 or sets[0] is None:
            return None
        return [torch.cat(maps).to(self.device) for maps in zip(*sets)]

    # ------------------------------------------------------------------ rendering
    @torch.inference_mode()
    def trajectory(self, w1: torch.Tensor, frames: int, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Latent trajectories ``[B, T, D]`` from content codes ``w1 [B, D]``."""
        return self.generator.motion(w1.to(self.device), frames, None if noise is None else noise.to(self.device))

    @torch.inference_mode()
    def render_latents(self, latents: torch.Tensor, batch_size: int = 64,
                       video_noise: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Latents ``[B, T, D]`` -> video ``[B, 3, T, H, W]`` in [-1, 1] on CPU. Image noise maps (mode
        ``per_video``): ``video_noise`` if given, else keyed by each video's first latent
        (:meth:`content_keyed_noise`)."""
        if video_noise is None and self.generator.noise_mode == "per_video":
            video_noise = self.content_keyed_noise(latents[:, 0])
        return self.generator.synthesize(latents.to(self.device), batch_size,
                                         video_noise).float().clamp(-1, 1).cpu()

    def render(self, w1: torch.Tensor, frames: int, noise: torch.Tensor | None = None,
               video_noise: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Videos ``[B, 3, T, H, W]`` in [-1, 1] on CPU for content codes ``w1``, motion ``noise`` and
        image noise maps ``video_noise`` (see :meth:`render_latents`)."""
        return self.render_latents(self.trajectory(w1, frames, noise), video_noise=video_noise)

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
            video_noise = self.video_noise(b, seed, start) if self.generator.noise_mode == "per_video" else None
            out.append(self.render(w1, frames, self.motion_noise(b, frames, seed, start), video_noise))
        return torch.cat(out)
