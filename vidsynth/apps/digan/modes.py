"""DIGAN's application modes for ``vidsynth generate --mode`` and the writing of their videos.

Each mode renders videos ``[N, 3, T, H, W]`` from a DIGAN sampler by calling the application that
owns the idea (paper §4.2): :mod:`render` (arbitrary times, long streams), :mod:`time_resample`,
:mod:`space_resample` (upsample, zoom-out), :mod:`motion` and :mod:`interpolate`. Every mode is
deterministic: video ``i`` uses the latents of ``(seed, i)``. Bad option combinations raise
``ValueError`` (the command turns them into a usage error). Importing this module is cheap (no
torch): ``vidsynth generate --help`` reads :data:`MODES` from it.
"""
from __future__ import annotations

from pathlib import Path

MODES = ("sample", "times", "interpolate-time", "extrapolate-time", "upsample", "zoom-out", "long",
         "diverse-motion", "swap", "interpolate-latent", "morph")


def write_videos(videos, out: Path, fmt: str | None, grid: bool | None, fps: int, nrow: int | None = None) -> list[Path]:
    """Write ``videos [N, 3, T, H, W]``: to one file (a grid, or an npz of all) or one file per video in a folder."""
    import numpy as np

    from vidsynth.video.write import make_grid, to_uint8_frames, write_npz, write_video

    suffix = out.suffix.lower()
    if suffix == ".npz":
        return [write_npz(out, videos=np.stack([to_uint8_frames(v) for v in videos]))]
    if suffix in (".mp4", ".gif"):
        if grid is False and len(videos) > 1:
            raise ValueError(f"--no-grid writes one file per video: give a folder, not '{out}'")
        return [write_video(out, make_grid(videos, nrow) if len(videos) > 1 else videos[0], fps=fps)]
    if suffix:
        raise ValueError(f"cannot write '{out}': use .mp4, .gif, .npz, or a folder")
    fmt = fmt or "mp4"
    if grid:
        name = out / f"grid.{fmt}" if fmt != "png" else out / "grid"
        return [write_video(name, make_grid(videos, nrow), fps=fps)]
    paths = []
    for i, video in enumerate(videos):
        name = out / (f"video{i:04d}" + ("" if fmt == "png" else f".{fmt}"))
        paths.append(write_video(name, video, fps=fps))
    return paths


def render_mode(sampler, mode: str, n: int, frames: int, seed: int, batch_size: int, truncation: float, label,
                times: str | None, factor: float, scale: float, coord_range, contents: int, motions: int, steps: int,
                space: str, chunk: int):
    """The videos ``[N, 3, T, H, W]`` of a DIGAN application mode (not ``sample`` or ``long``) and the grid row length."""
    import torch

    from vidsynth.apps.digan import interpolate, motion, render, space_resample, time_resample
    from vidsynth.models.digan.coordinates import frame_times

    tf = sampler.train_frames
    base_times = frame_times(frames, tf)                          # frames at the training spacing

    def batched(render_batch):
        """``render_batch(z, z_M, c)`` over videos 0..n-1 of the seed, ``batch_size`` at a time."""
        out = []
        for start in range(0, n, batch_size):
            b = min(batch_size, n - start)
            z, zm = sampler.latents(b, seed, start)
            out.append(render_batch(z, zm, sampler.labels(b, label, seed + start)))
        return torch.cat(out)

    def at(times_):
        """Videos at ``times_`` on the ``scale``-times denser grid (``upsample`` at scale 1 is plain rendering)."""
        return batched(lambda z, zm, c: space_resample.upsample(sampler, z, zm, times_, scale, c, truncation, chunk))

    if mode == "times":
        if not times:
            raise ValueError("--mode times needs --times, e.g. --times 0,0.5,1.7,-0.3")
        return at(torch.tensor(render.parse_times(times))), None
    if mode == "interpolate-time":
        if factor < 1 or factor != int(factor):
            raise ValueError("--mode interpolate-time needs an integer --factor >= 1")
        return at(time_resample.interpolation_times(tf, int(factor))), None
    if mode == "extrapolate-time":
        return at(time_resample.extrapolation_times(tf, factor)), None
    if mode == "upsample":
        return at(base_times), None
    if mode == "zoom-out":
        return batched(lambda z, zm, c: space_resample.zoom_out(sampler, z, zm, base_times, tuple(coord_range), scale,
                                                                c, truncation, chunk)), None
    if scale != 1:
        raise ValueError(f"--scale is not supported with --mode {mode}")
    if mode == "diverse-motion":
        return motion.diverse_motion(sampler, base_times, n, seed, 0, label, truncation, chunk), None
    if mode == "swap":
        return motion.swap_grid(sampler, base_times, contents, motions, seed, label, truncation, chunk), motions
    if mode == "interpolate-latent":
        videos = interpolate.interpolate_latents(sampler, base_times, steps, seed, 0, 1, label, truncation, space, chunk)
        return videos, steps
    if mode == "morph":
        return interpolate.morph(sampler, frames, seed, 0, 1, label, truncation, space), None
    raise ValueError(f"unknown mode {mode!r}")


def stream_long(sampler, out: Path, n: int, frames: int, seed: int, truncation: float, label, scale: float,
                chunk: int, fps: int, grid: bool | None) -> list[Path]:
    """``--mode long``: render chunk by chunk straight into mp4 (one grid file, or one per video in a folder)."""
    from vidsynth.apps.digan import render
    from vidsynth.models.digan.coordinates import frame_times

    suffix = out.suffix.lower()
    if suffix and suffix not in (".mp4", ".mkv", ".webm"):
        raise ValueError(f"--mode long streams into .mp4/.mkv/.webm or a folder of mp4s, not '{out}'")
    z, zm = sampler.latents(n, seed)
    w = render.mapped_w(sampler, z, sampler.labels(n, label, seed), truncation)
    if suffix or grid:
        as_grid, target = True, out if suffix else out / "grid.mp4"
    else:
        as_grid, target = False, out                                    # out/video0000.mp4 ...
    return render.stream(sampler, target, w, zm, frame_times(frames, sampler.train_frames), chunk, scale,
                         (0.0, 1.0), fps, grid=as_grid, progress=True)
