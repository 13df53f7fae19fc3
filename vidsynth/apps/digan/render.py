"""Arbitrary-time, non-autoregressive rendering (DIGAN paper §4.2 "Non-autoregressive generation").

A DIGAN video is a function of (x, y, t): every frame is computed from the latents alone, never
from the previous frame. So any set of real times -- fractional, negative, past the training
interval [0, 1] -- renders directly, and the frames of a chunk render in parallel in one batched
pass. Long videos are cut into chunks of ``chunk_frames`` times; each chunk is rendered, handed
on (to a :class:`~vidsynth.video.stream.VideoStreamWriter`, say) and freed, so memory does not
grow with the video length.

Time convention (as in training): frame ``i`` of a ``train_frames``-frame clip sits at
``t = i / (train_frames - 1)``.
"""
from __future__ import annotations

import math

from pathlib import Path
from typing import Iterator, Sequence

import torch

from vidsynth.video.stream import VideoStreamWriter
from vidsynth.video.write import make_grid


MAX_TIMES = 100_000  # frames one --times may ask for (each is a rendered frame)


def parse_times(text: str) -> list[float]:
    """``"0,0.5,1.7,-0.3"`` -> list of floats; ``"a:b:n"`` items expand to ``n`` evenly spaced times in [a, b]."""
    times: list[float] = []
    for item in str(text).replace(" ", "").split(","):
        if not item:
            continue
        try:
            if item.count(":") == 2 and not item.startswith(":"):
                a, b, n = item.split(":")
                if not 1 <= int(n) <= MAX_TIMES:
                    raise ValueError
                times += torch.linspace(float(a), float(b), int(n)).tolist()
            else:
                times.append(float(item))
        except ValueError:
            raise ValueError(f"cannot read time {item!r}: use numbers like 0,0.5,-0.3 or start:stop:count "
                             f"(count 1 to {MAX_TIMES})") from None
    if not all(math.isfinite(t) for t in times):
        raise ValueError("times must be finite numbers")
    if not times:
        raise ValueError("no times given")
    return times


def mapped_w(sampler, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0) -> torch.Tensor:
    """Content codes ``z [B, z_dim]`` -> ``w [B, w_dim]`` (the code that sets every INR weight)."""
    with torch.inference_mode():
        return sampler.generator.mapping(z.to(sampler.device), c, truncation_psi)


@torch.inference_mode()
def render_chunks(sampler, w: torch.Tensor, z_motion: torch.Tensor, times, chunk_frames: int = 16,
                  scale: float = 1.0, coord_range: tuple[float, float] = (0.0, 1.0)) -> Iterator[torch.Tensor]:
    """Yield ``[B, 3, t, H, W]`` float CPU chunks (``t <= chunk_frames``) of videos ``(w, z_M)`` at ``times``.

    ``times`` is ``[T]`` (shared) or ``[B, T]`` (per video). Each chunk is one batched generator
    call: all of its frames are computed in parallel, none depends on another.
    """
    if chunk_frames < 1:
        raise ValueError(f"chunk_frames must be >= 1, got {chunk_frames}")
    g, device = sampler.generator, sampler.device
    times = torch.as_tensor(times, dtype=torch.float32)
    w, z_motion = w.to(device), z_motion.to(device)
    for start in range(0, times.shape[-1], chunk_frames):
        chunk = times[..., start:start + chunk_frames].to(device)
        yield g.synthesize(w, z_motion, chunk, scale, coord_range).float().clamp(-1, 1).cpu()


def render(sampler, w: torch.Tensor, z_motion: torch.Tensor, times, chunk_frames: int = 64, scale: float = 1.0,
           coord_range: tuple[float, float] = (0.0, 1.0)) -> torch.Tensor:
    """All frames at once: ``[B, 3, T, H, W]`` in [-1, 1] (use :func:`stream` when T is large)."""
    return torch.cat(list(render_chunks(sampler, w, z_motion, times, chunk_frames, scale, coord_range)), dim=2)


def render_times(sampler, times: Sequence[float], n: int = 1, seed: int = 0, label=None, truncation_psi: float = 1.0,
                 scale: float = 1.0, coord_range=(0.0, 1.0), chunk_frames: int = 64) -> torch.Tensor:
    """Videos ``0..n-1`` of ``seed`` rendered at arbitrary real ``times`` -> ``[n, 3, len(times), H, W]``."""
    z, zm = sampler.latents(n, seed)
    w = mapped_w(sampler, z, sampler.labels(n, label, seed), truncation_psi)
    return render(sampler, w, zm, torch.tensor(list(times), dtype=torch.float32), chunk_frames, scale, coord_range)


def stream(sampler, path: str | Path, w: torch.Tensor, z_motion: torch.Tensor, times, chunk_frames: int = 16,
           scale: float = 1.0, coord_range=(0.0, 1.0), fps: float = 8, grid: bool = True,
           nrow: int | None = None, progress: bool = False) -> list[Path]:
    """Render videos ``(w, z_M)`` at ``times`` chunk by chunk straight into mp4 file(s).

    ``grid=True`` writes one file (all videos tiled); otherwise ``path`` is a folder that gets
    ``video0000.mp4 ...``. Memory is one chunk of frames whatever ``len(times)``.
    """
    from tqdm.auto import tqdm

    path = Path(path)
    n = w.shape[0]
    if grid:
        writers = [VideoStreamWriter(path if path.suffix else path.with_suffix(".mp4"), fps)]
    else:
        writers = [VideoStreamWriter(path / f"video{i:04d}.mp4", fps) for i in range(n)]
    total = torch.as_tensor(times).shape[-1]
    bar = tqdm(total=total, disable=not progress, desc="rendering", unit="frame")
    try:
        for chunk in render_chunks(sampler, w, z_motion, times, chunk_frames, scale, coord_range):
            if grid:
                writers[0].write(make_grid(chunk, nrow))
            else:
                for writer, video in zip(writers, chunk):
                    writer.write(video)
            bar.update(chunk.shape[2])
            del chunk
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    finally:
        bar.close()
    return [writer.close() for writer in writers]
