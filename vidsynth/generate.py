"""``vidsynth generate``: sample videos from a trained run or an exported model."""
from __future__ import annotations

from pathlib import Path

import click

from vidsynth import io

EPILOG = """\b
Examples:
  vidsynth generate runs/00000-digan-shapes --n 16 --frames 32 --out samples.mp4      # one grid video
  vidsynth generate runs/00000-digan-shapes --n 8 --out samples/ --format gif          # one gif per video
  vidsynth generate runs/00000-digan-shapes --n 4 --out frames/ --format png           # png frame folders
  vidsynth generate runs/00000-digan-shapes --n 64 --out videos.npz                    # uint8 [N, T, H, W, 3]
"""


def write_videos(videos, out: Path, fmt: str | None, grid: bool | None, fps: int) -> list[Path]:
    """Write ``videos [N, 3, T, H, W]``: to one file (a grid, or an npz of all) or one file per video in a folder."""
    import numpy as np

    suffix = out.suffix.lower()
    if suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, videos=np.stack([io.to_uint8_frames(v) for v in videos]))
        return [out]
    if suffix in (".mp4", ".gif"):
        if grid is False and len(videos) > 1:
            raise click.UsageError(f"--no-grid writes one file per video: give a folder, not '{out}'")
        return [io.write_video(out, io.make_grid(videos) if len(videos) > 1 else videos[0], fps=fps)]
    if suffix:
        raise click.UsageError(f"cannot write '{out}': use .mp4, .gif, .npz, or a folder")
    fmt = fmt or "mp4"
    if grid:
        name = out / f"grid.{fmt}" if fmt != "png" else out / "grid"
        return [io.write_video(name, io.make_grid(videos), fps=fps)]
    paths = []
    for i, video in enumerate(videos):
        name = out / (f"video{i:04d}" + ("" if fmt == "png" else f".{fmt}"))
        paths.append(io.write_video(name, video, fps=fps))
    return paths


@click.command("generate", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--n", "n", type=int, default=16, help="Number of videos.")
@click.option("--frames", type=int, default=16, help="Frames per video.")
@click.option("--seed", type=int, default=0, help="Video i uses latents seeded by (seed, i).")
@click.option("--out", type=click.Path(), required=True,
              help="A .mp4/.gif (grid of all videos), a .npz (all frames), or a folder (one file per video).")
@click.option("--format", "fmt", type=click.Choice(["mp4", "gif", "png"]), default=None,
              help="File format when --out is a folder. [default: mp4]")
@click.option("--grid/--no-grid", default=None, help="Into a folder: one grid video instead of one file per video.")
@click.option("--batch-size", type=int, default=8, help="Videos rendered at once.")
@click.option("--truncation", type=float, default=1.0, help="Truncation psi (1 = none, <1 = closer to the mean).")
@click.option("--class", "label", default=None, help="Class name or index (class-conditional models).")
@click.option("--fps", type=int, default=None, help="Frame rate of written videos. [default: the run's]")
@click.option("--device", default="auto", help="auto, cpu, cuda ...")
def generate_command(run, n, frames, seed, out, fmt, grid, batch_size, truncation, label, fps, device):
    """Sample videos from RUN (a run folder or an exported model folder)."""
    import vidsynth

    import math

    if n < 1 or frames < 1 or batch_size < 1:
        raise click.UsageError("--n, --frames and --batch-size must be >= 1")
    if not math.isfinite(truncation):
        raise click.UsageError("--truncation must be a finite number (1 = no truncation)")
    sampler = vidsynth.load(run, device=device)
    if label is not None and label.isdigit():
        label = int(label)
    try:
        videos = sampler.sample(n, frames=frames, seed=seed, batch_size=batch_size, truncation_psi=truncation,
                                label=label, progress=True)
    except ValueError as e:   # e.g. a class for an unconditional model, an unknown class name
        raise click.UsageError(str(e)) from None
    paths = write_videos(videos, Path(out), fmt, grid, fps or getattr(sampler, "fps", 8))
    click.echo(f"wrote {len(paths)} file(s): {paths[0]}" + (" ..." if len(paths) > 1 else ""))
