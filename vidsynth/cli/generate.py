"""``vidsynth generate``: sample videos from a trained run or an exported model, and render DIGAN's
INR applications (``--mode``: arbitrary times, time/space inter- and extrapolation, long streamed
videos, motion swaps, latent interpolation).

Every mode is deterministic under ``--seed``: video ``i`` uses latents drawn from ``(seed, i)``.
Thin: the modes and the output writing live in :mod:`vidsynth.apps.digan.modes`; this file parses
options, calls them and prints what was written.
"""
from __future__ import annotations

from pathlib import Path

import click

from vidsynth.apps.digan.modes import MODES
from vidsynth.video.frame_rate import FRAME_RATE


EPILOG = """\b
Examples:
  vidsynth generate runs/00000-digan-shapes --n 16 --frames 32 --out samples.mp4      # one grid video
  vidsynth generate runs/00000-digan-shapes --n 8 --out samples/ --format gif          # one gif per video
  vidsynth generate runs/00000-digan-shapes --n 4 --out frames/ --format png           # png frame folders
  vidsynth generate runs/00000-digan-shapes --n 64 --out videos.npz                    # uint8 [N, T, H, W, 3]
  vidsynth generate runs/00000-digan-shapes/model-best --n 16 --out best.mp4          # the --best-by snapshot
  vidsynth generate runs/00000-digan-shapes/checkpoints/training_state-000001000.pt --out step1000.mp4
  vidsynth generate RUN --times 0,0.5,1.7,-0.3 --out times.npz         # any real times (t = i/(train_frames-1))
  vidsynth generate RUN --mode interpolate-time --factor 4 --out slow.mp4
  vidsynth generate RUN --mode extrapolate-time --factor 4 --out longer.mp4
  vidsynth generate RUN --mode upsample --scale 4 --out up4.mp4
  vidsynth generate RUN --mode zoom-out --range -0.25 1.25 --out zoom.mp4
  vidsynth generate RUN --mode long --frames 1024 --n 1 --out long.mp4
  vidsynth generate RUN --mode diverse-motion --n 8 --out motions.mp4
  vidsynth generate RUN --mode swap --contents 4 --motions 4 --out swap.mp4
  vidsynth generate RUN --mode interpolate-latent --steps 8 --out lerp.mp4
  vidsynth generate RUN --class running --n 8 --out running.mp4       # class-conditional runs

\b
Modes (--mode; DIGAN runs; see docs/digan_apps.md):
  sample              --n videos of --frames frames
  times               --n videos rendered at the real times of --times (fractional, negative, > 1)
  interpolate-time    --factor x denser frames over the training interval [0, 1] (slow motion)
  extrapolate-time    the training frame spacing, --factor x longer (t past 1 was never trained)
  upsample            a --scale x denser pixel grid (space interpolation: 4 -> 4x resolution)
  zoom-out            a wider view: the pixel grid covers --range (default [-0.25, 1.25]^2)
  long                --frames frames (e.g. 1024) streamed in chunks of --chunk into .mp4 (or
                      a folder: one mp4 per video); memory does not grow with the length
  diverse-motion      one content code (video 0) with --n motion codes
  swap                --contents x --motions table: row = content, column = motion
  interpolate-latent  --steps videos on the path from video 0 to video 1 (w lerp, z_M slerp)
  morph               one video whose frame k is step k of that path (--frames steps)
--scale applies to every mode; grids of swap / interpolate-latent keep their rows.
"""


@click.command("generate", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("run", type=click.Path(exists=True))
@click.option("--n", "n", type=int, default=None, help="Number of videos (diverse-motion: motion codes). "
              "[default: 16; long, morph: 1]")
@click.option("--frames", type=int, default=None, help="Frames per video at the training spacing. "
              "[default: 16; long: 128; morph: 64]")
@click.option("--seed", type=int, default=0, help="Video i uses latents seeded by (seed, i).")
@click.option("--out", type=click.Path(), required=True,
              help="A .mp4/.gif (grid of all videos), a .npz (all frames), or a folder (one file per video).")
@click.option("--format", "fmt", type=click.Choice(["mp4", "gif", "png"]), default=None,
              help="File format when --out is a folder. [default: mp4]")
@click.option("--grid/--no-grid", default=None, help="Into a folder: one grid video instead of one file per video.")
@click.option("--batch-size", type=int, default=8, help="Videos rendered at once.")
@click.option("--truncation", type=float, default=1.0, help="Truncation psi (1 = none, <1 = closer to the mean).")
@click.option("--class", "label", default=None, help="Class name or index (class-conditional models).")
@click.option("--fps", type=FRAME_RATE, default=None, help="Frame rate of written videos: 8, 25, 29.97 or "
              "30000/1001 (kept exact). [default: the run's]")
@click.option("--device", default="auto", help="auto, cpu, cuda ...")
@click.option("--mode", type=click.Choice(MODES), default="sample", help="What to render (DIGAN; see Modes below).")
@click.option("--times", default=None, help="Real times, e.g. 0,0.5,1.7,-0.3; 'a:b:n' = n times from a to b. "
              "Implies --mode times.")
@click.option("--factor", type=float, default=4.0, help="interpolate-time: x denser; extrapolate-time: x longer.")
@click.option("--scale", type=float, default=None, help="Pixel-grid density (input_resolution*scale must be an "
              "integer). [default: upsample 4, otherwise 1]")
@click.option("--range", "coord_range", type=float, nargs=2, default=(-0.25, 1.25),
              help="zoom-out: coordinate range LO HI in units of the training view [0, 1].")
@click.option("--contents", type=int, default=4, help="swap: content codes (rows).")
@click.option("--motions", type=int, default=4, help="swap: motion codes (columns).")
@click.option("--steps", type=int, default=8, help="interpolate-latent: videos along the path.")
@click.option("--space", type=click.Choice(["w", "z"]), default="w",
              help="interpolate-latent / morph: interpolate w (the INR-weight code) or the content code z.")
@click.option("--chunk", type=int, default=16, help="Frames per generator call (memory is one chunk).")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), default="fp32", help="Autocast format "
              "of the generator: bf16 (CUDA or CPU), fp16 (CUDA).")
@click.option("--channels-last", is_flag=True, help="4-D weights in NHWC memory layout.")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the generator (fixed shapes; pays off for "
              "many videos of one shape).")
@click.option("--preview", is_flag=True, help="Also write <out>.png: a strip of 8 frames of the grid.")
def generate_command(run, n, frames, seed, out, fmt, grid, batch_size, truncation, label, fps, device, mode, times,
                     factor, scale, coord_range, contents, motions, steps, space, chunk, precision, channels_last,
                     compile_, preview):
    """Sample videos from RUN (a run folder, a snapshot RUN/model-best or RUN/model-<kimg>, an exported model
    folder, or a checkpoint RUN/checkpoints/training_state-*.pt); DIGAN applications via --mode."""
    import math

    import vidsynth
    from vidsynth.nn.precision import autocast, prepare_generator

    if times is not None and mode == "sample":
        mode = "times"
    n = n if n is not None else (1 if mode in ("long", "morph") else 16)
    frames = frames if frames is not None else {"long": 128, "morph": 64}.get(mode, 16)
    scale = scale if scale is not None else (4.0 if mode == "upsample" else 1.0)
    if n < 1 or frames < 1 or batch_size < 1 or chunk < 1:
        raise click.UsageError("--n, --frames, --batch-size and --chunk must be >= 1")
    if (fps is not None and fps < 1) or contents < 1 or motions < 1 or steps < 1:
        raise click.UsageError("--fps, --contents, --motions and --steps must be >= 1")
    if not math.isfinite(truncation):
        raise click.UsageError("--truncation must be a finite number (1 = no truncation)")
    sampler = vidsynth.load(run, device=device)
    prepare_generator(sampler.generator, channels_last=channels_last, compile=compile_)
    if label is not None and label.isdigit():
        label = int(label)
    fps = fps or getattr(sampler, "fps", 8)
    out = Path(out)
    if mode != "sample" and not hasattr(getattr(sampler, "generator", None), "synthesize"):
        raise click.UsageError(f"--mode {mode} needs a DIGAN model (an INR generator)")
    with autocast(sampler.device, precision):    # the samplers return fp32 frames in any format
        _generate(sampler, out, fmt, grid, fps, n, frames, seed, batch_size, truncation, label, mode, times, factor,
                  scale, coord_range, contents, motions, steps, space, chunk, preview)


def _generate(sampler, out, fmt, grid, fps, n, frames, seed, batch_size, truncation, label, mode, times, factor,
              scale, coord_range, contents, motions, steps, space, chunk, preview):
    """Render ``mode`` with ``sampler`` and write the files (``generate_command`` after its checks)."""
    from vidsynth.apps.digan.modes import render_mode, stream_long, write_videos
    from vidsynth.video.write import frame_strip, make_grid, write_png

    try:
        if mode == "long":
            paths = stream_long(sampler, out, n, frames, seed, truncation, label, scale, chunk, fps, grid)
            click.echo(f"streamed {frames} frames x {n} video(s) in chunks of {chunk}: {paths[0]}"
                       + (" ..." if len(paths) > 1 else ""))
            return
        if mode == "sample" and scale == 1:
            videos, nrow = sampler.sample(n, frames=frames, seed=seed, batch_size=batch_size,
                                          truncation_psi=truncation, label=label, progress=True), None
        else:
            videos, nrow = render_mode(sampler, "upsample" if mode == "sample" else mode, n, frames, seed, batch_size,
                                       truncation, label, times, factor, scale, coord_range, contents, motions, steps,
                                       space, chunk)
        paths = write_videos(videos, out, fmt, grid, fps, nrow)
    except ValueError as e:   # a class for an unconditional model, an unknown class name, a bad scale, time or --out
        raise click.UsageError(str(e)) from None
    if preview:
        strip = out.with_suffix(".png") if out.suffix else out / "preview.png"
        paths.append(write_png(strip, frame_strip(make_grid(videos, nrow), 8)))
    click.echo(f"wrote {len(paths)} file(s): {paths[0]}" + (" ..." if len(paths) > 1 else "")
               + f"  [{len(videos)} video(s), {'x'.join(map(str, videos.shape[2:]))} frames x H x W, mode {mode}]")
