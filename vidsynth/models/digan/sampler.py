"""The user-facing handle on a trained DIGAN generator (what ``vidsynth.load`` returns).

Latents are drawn per video from its own seed ``(seed, index)``, so video ``i`` of
``sample(n, seed=s)`` is the same whatever ``n`` or the batch size: results are reproducible and
can be extended.
"""
from __future__ import annotations

import torch

from vidsynth.models.digan.generator import DIGANGenerator
from vidsynth.models.sampler_base import Sampler
from vidsynth.utils.seeding import seed_stream


class DIGANSampler(Sampler):
    def latents(self, n: int, seed: int = 0, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Content codes ``z [n, z_dim]`` and motion codes ``z_M [n, motion_dim]`` of videos start..start+n-1."""
        g = self.generator
        zs, zms = [], []
        for i in range(start, start + n):
            gen = seed_stream(seed, i)
            zs.append(torch.randn(g.z_dim, generator=gen))
            zms.append(torch.randn(g.motion_dim, generator=gen))
        return torch.stack(zs).to(self.device), torch.stack(zms).to(self.device)

    def labels(self, n: int, label: int | str | None = None, seed: int = 0) -> torch.Tensor | None:
        """One-hot labels ``[n, c_dim]`` for a class index or name (random classes if None); None if unconditional."""
        c_dim = self.generator.c_dim
        if c_dim == 0:
            if label is not None:
                raise ValueError("this model is unconditional; it takes no class label")
            return None
        if isinstance(label, str):
            if label not in self.class_names:
                raise ValueError(f"unknown class {label!r}; classes: {', '.join(self.class_names)}")
            label = self.class_names.index(label)
        if label is None:
            idx = torch.randint(c_dim, (n,), generator=torch.Generator().manual_seed(seed))
        else:
            if not 0 <= int(label) < c_dim:
                raise ValueError(f"class index {label} out of range 0..{c_dim - 1}")
            idx = torch.full((n,), int(label))
        return torch.nn.functional.one_hot(idx, c_dim).float().to(self.device)

    @torch.inference_mode()
    def render(self, z: torch.Tensor, z_motion: torch.Tensor, times: torch.Tensor, c: torch.Tensor | None = None,
               truncation_psi: float = 1.0, scale: float = 1.0, coord_range=(0.0, 1.0)) -> torch.Tensor:
        """Frames of the videos ``(z, z_M)`` at arbitrary real ``times [T]`` -> ``[B, 3, T, H, W]`` on CPU."""
        times = torch.as_tensor(times, dtype=torch.float32, device=self.device)
        out = self.generator(z.to(self.device), z_motion.to(self.device), times, c, truncation_psi, scale, coord_range)
        return out.float().clamp(-1, 1).cpu()

    def sample(self, n: int, frames: int = 16, seed: int = 0, batch_size: int = 8, truncation_psi: float = 1.0,
               label: int | str | None = None, progress: bool = False) -> torch.Tensor:
        """``n`` videos of ``frames`` frames (frame i at t = i / (train_frames - 1)) -> ``[n, 3, T, H, W]`` in [-1, 1]."""
        from tqdm.auto import tqdm

        times = DIGANGenerator.frame_times(frames, self.train_frames)
        out = []
        for start in tqdm(range(0, n, batch_size), disable=not progress, desc="sampling", unit="batch"):
            b = min(batch_size, n - start)
            z, zm = self.latents(b, seed, start)
            c = self.labels(b, label, seed + start)
            out.append(self.render(z, zm, times, c, truncation_psi))
        return torch.cat(out)
