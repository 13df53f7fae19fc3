"""``vidsynth generate``: sample videos from a trained run, and DIGAN's INR applications as ``--mode``s.

Every mode is deterministic under ``--seed``: video ``i`` uses latents drawn from ``(seed, i)``.
The work is done by ``vidsynth.apps``; this file only parses options and writes files.
"""
from __future__ import annotations

from pathlib import Path

import click

MODES = ("sample", "times", "interpolate-time", "extrapolate-time", "upsample", "zoom-out", "long",
         "diverse-motion", "swap", "interpolate-latent", "morph")

EPILOG = """\b
Modes (--mode):
  sample              n videos of --frames frames (frame i at t = i / (train_frames - 1))
  times               n videos rendered at the real times of --times (fractional, negative, > 1)
  interpolate-time    --factor x denser frames over the training interval [0, 1] (slow motion)
  extrapolate-time    the training frame spacing, --factor x longer (t past 1 was never trained)
  upsample            a --scale x denser pixel grid (space interpolation: 4 -> 4x resolution)
  zoom-out            a wider view: the grid covers --range (default [-0.25, 1.25]^2)
  long                --frames frames (e.g. 1024) streamed chunk by chunk into an mp4; memory
                      does not grow with the length
  diverse-motion      one content code, --n motion codes
  swap                --contents x --motions table: row = content, column = motion (a grid)
  interpolate-latent  --steps videos on the path from video 0 to video 1 (w lerp, z_M slerp)
  morph               one video whose frame k is step k of that path (--frames steps)

\b
Output (--out): a FILE (.mp4 .gif .npz, or a folder name ending in / for png frames) gets one
grid of all videos; a DIR gets one file per video (DIR/video-0000.mp4, --format picks the type)
unless --grid, which writes DIR/grid.<format>. --preview also writes a png strip of the grid.

\b
Examples:
  vidsynth generate runs/00000-digan-shapes --n 16 --frames 32 --seed 0 --out samples.mp4
  vidsynth generate RUN --n 4 --out videos/ --format gif
  vidsynth generate RUN --times 0,0.5,1.7,-0.3 --out times.npz
  vidsynth generate RUN --mode interpolate-time --factor 4 --out slow.mp4
  vidsynth generate RUN --mode extrapolate-time --factor 4 --out long4x.mp4
  vidsynth generate RUN --mode upsample --scale 4 --out up4.mp4
  vidsynth generate RUN --mode zoom-out --range -0.25 1.25 --out zoom.mp4
  vidsynth generate RUN --mode long --frames 1024 --n 1 --out long.mp4
  vidsynth generate RUN --mode diverse-motion --n 8 --out motions.mp4
  vidsynth generate RUN --mode swap --contents 4 --motions 4 --out swap.mp4
  vidsynth generate RUN --mode interpolate-latent --steps 8 --out lerp.mp4
  vidsynth generate RUN --class running --n 8 --out running.mp4      # class-conditional runs
"""


def _parse_class(value):
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def _output_plan(out: Path, fmt: str | None, grid: bool):
    """``(path, grid, fmt)``: a file suffix means one grid file; otherwise a folder of videos (or grid.<fmt>)."""
    suffix = out.suffix.lower().lstrip(".")
    if suffix in ("mp4", "gif", "npz", "mkv", "webm"):
        return out, True, suffix
    fmt = fmt or "mp4"
    if grid:
        return (out / "grid") if fmt == "png" else out / f"grid.{fmt}", True, fmt
    return out, False, fmt


@click.command("generate", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--mode", type=click.Choice(MODES), default="sample", help="What to render (see Modes below).")
@click.option("--n", "n", type=int, default=None, help="Number of videos (diverse-motion: number of motions). "
              "[default: 16; long: 1]")
@click.option("--frames", type=int, default=None, help="Frames per video at the training spacing. "
              "[default: the run's training frames; long: 128; morph: 64]")
@click.option("--seed", type=int, default=0, help="Latent seed; video i uses (seed, i).")
@click.option("--out", type=click.Path(), default=None,
              help="Output file (grid) or folder (one file per video). [default: RUN/generated/<mode>-seed<seed>.mp4]")
@click.option("--format", "fmt", type=click.Choice(["mp4", "gif", "png", "npz"]), default=None,
              help="File type when --out is a folder. [default: mp4]")
@click.option("--grid", is_flag=True, help="With a folder --out: tile all videos into one grid file.")
@click.option("--times", default=None, help="Comma-separated real times, e.g. 0,0.5,1.7,-0.3; 'a:b:n' = n times "
              "from a to b. Implies --mode times.")
@click.option("--factor", type=float, default=4.0, help="interpolate-time: frames x factor over [0, 1]; "
              "extrapolate-time: video x factor longer.")
@click.option("--scale", type=float, default=None, help="Pixel-grid density; input_resolution*scale must be an "
              "integer. [default: upsample 4, otherwise 1]")
@click.option("--range", "coord_range", type=float, nargs=2, default=(-0.25, 1.25),
              help="zoom-out: coordinate range LO HI, in units of the training view [0, 1].")
@click.option("--contents", type=int, default=4, help="swap: number of content codes (rows).")
@click.option("--motions", type=int, default=4, help="swap: number of motion codes (columns).")
@click.option("--steps", type=int, default=8, help="interpolate-latent: videos along the path.")
@click.option("--space", type=click.Choice(["w", "z"]), default="w",
              help="interpolate-latent / morph: interpolate w (INR weights) or the content code z.")
@click.option("--class", "label", default=None, help="Class name or index (class-conditional runs). "
              "[default: a random class per video]")
@click.option("--psi", type=float, default=1.0, help="Truncation psi (1 = none; <1 trades diversity for quality).")
@click.option("--batch-size", type=int, default=8, help="Videos rendered per batch.")
@click.option("--chunk", type=int, default=16, help="Frames rendered per generator call (memory is one chunk).")
@click.option("--fps", type=float, default=None, help="Frames per second of written videos. [default: the run's]")
@click.option("--preview", is_flag=True, help="Also write <out>.png: a strip of frames of the grid.")
@click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate_command(run, mode, n, frames, seed, out, fmt, grid, times, factor, scale, coord_range, contents, motions,
                     steps, space, label, psi, batch_size, chunk, fps, preview, device, quiet):
    """Sample videos from a trained DIGAN run (or exported model) and render its INR applications."""
    import torch

    import vidsynth
    from vidsynth.apps import interpolate, motion, render, space_resample, time_resample
    from vidsynth.errors import VidsynthError

    sampler = vidsynth.load(run, device=device)
    if not hasattr(sampler, "generator") or not hasattr(sampler.generator, "synthesize"):
        raise VidsynthError(f"'{run}' is not a DIGAN model; the INR applications need a DIGAN run")
    if times is not None and mode == "sample":
        mode = "times"
    label = _parse_class(label)
    fps = fps or sampler.fps
    tf = sampler.train_frames
    n = n if n is not None else (1 if mode in ("long", "morph") else 16)
    frames = frames or {"long": 128, "morph": 64}.get(mode, tf)
    scale = scale if scale is not None else (4.0 if mode == "upsample" else 1.0)
    for name, value in (("--n", n), ("--frames", frames), ("--batch-size", batch_size), ("--chunk", chunk)):
        if value < 1:
            raise click.BadParameter(f"must be >= 1, got {value}", param_hint=name)
    out = Path(out) if out else Path(run) / "generated" / f"{mode}-seed{seed}.mp4"
    target, as_grid, fmt = _output_plan(out, fmt, grid)
    base_times = time_resample.extrapolation_times(tf, frames / tf)    # frames at the training spacing
    progress = not quiet

    def batched(times_, **kw):
        """Videos 0..n-1 of the seed at ``times_``, ``batch_size`` at a time -> [n, 3, T, H, W]."""
        chunks = []
        for start in range(0, n, batch_size):
            b = min(batch_size, n - start)
            z, zm = sampler.latents(b, seed, start)
            w = render.mapped_w(sampler, z, sampler.labels(b, label, seed + start), psi)
            chunks.append(render.render(sampler, w, zm, times_, chunk, **kw))
        return torch.cat(chunks)

    try:
        if mode == "long":
            if fmt not in ("mp4", "mkv", "webm", "png"):
                raise click.BadParameter("long videos stream into mp4/mkv/webm or png frames", param_hint="--out")
            z, zm = sampler.latents(n, seed)
            w = render.mapped_w(sampler, z, sampler.labels(n, label, seed), psi)
            written = render.stream(sampler, target, w, zm, base_times, chunk, scale, (0.0, 1.0), fps, grid=as_grid,
                                    progress=progress)
            click.echo(f"Wrote {len(base_times)} frames x {n} video(s) in chunks of {chunk}: "
                       + ", ".join(map(str, written)))
            return
        if mode == "sample":
            videos = batched(base_times, scale=scale)
        elif mode == "times":
            if not times:
                raise click.BadParameter("--mode times needs --times, e.g. --times 0,0.5,1.7,-0.3", param_hint="--times")
            videos = batched(torch.tensor(render.parse_times(times)), scale=scale)
        elif mode == "interpolate-time":
            if factor < 1 or factor != int(factor):
                raise click.BadParameter("interpolate-time needs an integer factor >= 1", param_hint="--factor")
            videos = batched(time_resample.interpolation_times(tf, int(factor)), scale=scale)
        elif mode == "extrapolate-time":
            videos = batched(time_resample.extrapolation_times(tf, factor), scale=scale)
        elif mode == "upsample":
            videos = batched(base_times, scale=scale)
        elif mode == "zoom-out":
            videos = batched(base_times, scale=scale, coord_range=tuple(coord_range))
        elif mode == "diverse-motion":
            videos = motion.diverse_motion(sampler, base_times, n, seed, 0, label, psi, chunk)
        elif mode == "swap":
            videos = motion.swap_grid(sampler, base_times, contents, motions, seed, label, psi, chunk)
            as_grid, target = True, target if as_grid else target / ("grid" if fmt == "png" else f"grid.{fmt}")
        elif mode == "interpolate-latent":
            videos = interpolate.interpolate_latents(sampler, base_times, steps, seed, 0, 1, label, psi, space, chunk)
        else:  # morph
            videos = interpolate.morph(sampler, frames, seed, 0, 1, label, psi, space)
    except ValueError as e:  # bad scale, times, ranges: one clear line
        raise VidsynthError(str(e)) from None
    nrow = motions if mode == "swap" else (len(videos) if mode == "interpolate-latent" else None)
    written = render.save_videos(videos, target, as_grid, fmt, fps, nrow)
    if preview:
        from vidsynth.io import frame_strip, make_grid, write_png

        strip = target.with_suffix(".png") if target.suffix else target.parent / f"{target.name}.png"
        write_png(strip, frame_strip(make_grid(videos, nrow), 8))
        written.append(strip)
    shape = "x".join(map(str, videos.shape[2:]))
    click.echo(f"Wrote {len(videos)} video(s) of {shape} (frames x H x W), mode {mode}: "
               + (str(written[0]) if len(written) == 1 else f"{written[0]} ... ({len(written)} files)"))
