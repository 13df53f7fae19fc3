"""``vidsynth demo``: train a tiny model on a built-in dataset within a time budget, then write
samples, a real-vs-generated comparison and a measured summary of how close they are."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np
import torch

from vidsynth import io


def video_statistics(videos: torch.Tensor) -> dict[str, float]:
    """Simple, interpretable statistics of ``[N, 3, T, H, W]`` videos in [-1, 1], measured in 0..255 units.

    - ``motion``: mean absolute per-pixel change between consecutive frames (0 = frozen video);
    - ``rgb_mean``/``rgb_std``: colour mean and spread per channel;
    - ``temporal_std``: per-pixel std over time, averaged (how much each pixel varies in a clip).
    """
    v = (videos.float().clamp(-1, 1) + 1) * 127.5
    motion = (v[:, :, 1:] - v[:, :, :-1]).abs().mean().item()
    return {
        "motion": round(motion, 2),
        "rgb_mean": [round(x, 1) for x in v.mean(dim=(0, 2, 3, 4)).tolist()],
        "rgb_std": [round(x, 1) for x in v.std(dim=(0, 2, 3, 4)).tolist()],
        "temporal_std": round(v.std(dim=2).mean().item(), 2),
    }


def side_by_side(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """One video: a grid of real clips (left) and generated clips (right), separated by a white bar."""
    left, right = io.make_grid(real), io.make_grid(fake)
    h = max(left.shape[2], right.shape[2])
    pad = lambda g: torch.nn.functional.pad(g, (0, 0, 0, h - g.shape[2]), value=1.0)
    bar = torch.ones(3, left.shape[1], h, 6)
    return torch.cat([pad(left), bar, pad(right)], dim=3)


def run_digan_demo(data: str, minutes: float, outdir: str | Path, seed: int = 0, device: str = "auto",
                   progress: bool = True) -> dict:
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.data import open_dataset
    from vidsynth.export import load_generator
    from vidsynth.training.loop import train
    from vidsynth.training.progress import UNLIMITED_KIMG

    start = time.time()
    cfg = method_config("digan", "tiny")
    # Leave ~25 s of the budget for start-up, sampling and writing the comparison.
    train_minutes = max(minutes - 0.45, 0.2)
    loop = LoopConfig(data=data, kimg=UNLIMITED_KIMG, minutes=train_minutes, seed=seed, snapshot_kimg=0,
                      snapshot_minutes=0, device=device, num_workers=1, sample_videos=16, sample_frames=16)
    run = train(cfg, loop, outdir=outdir, run_name=f"demo-{data.replace('builtin:', '')}", progress=progress)
    sampler = load_generator(run, device=device)
    n = 16
    fake = sampler.sample(n, frames=cfg.frames, seed=seed)
    dataset = open_dataset(data, cfg.resolution, cfg.frames, seed=seed + 1)  # held-out built-in videos
    real = torch.stack([dataset.clip(i, 0)[0] for i in range(n)]).float() / 127.5 - 1
    paths = {
        "samples_mp4": io.write_video(run / "demo-samples.mp4", io.make_grid(fake), fps=8),
        "samples_gif": io.write_video(run / "demo-samples.gif", io.make_grid(fake), fps=8),
        "real_vs_generated_mp4": io.write_video(run / "demo-real-vs-generated.mp4", side_by_side(real[:9], fake[:9]),
                                                fps=8),
    }
    strip = np.concatenate([np.concatenate([io.frame_strip(r, 8), io.frame_strip(f, 8)], axis=1)
                            for r, f in zip(real[:4], fake[:4])], axis=0)
    paths["real_vs_generated_png"] = io.write_png(run / "demo-real-vs-generated.png", strip)
    stats = json.loads((run / "snapshots.jsonl").read_text().splitlines()[-1])
    summary = {
        "run": str(run), "data": data, "kimg": stats["kimg"], "steps": stats["step"],
        "seconds": round(time.time() - start, 1),
        "real": video_statistics(real), "generated": video_statistics(fake),
        "files": {k: str(v) for k, v in paths.items()},
    }
    (run / "demo_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(s: dict) -> str:
    r, g = s["real"], s["generated"]
    rows = [
        ("mean |frame(t+1) - frame(t)| (motion)", r["motion"], g["motion"]),
        ("per-pixel std over time", r["temporal_std"], g["temporal_std"]),
        ("colour mean R,G,B", r["rgb_mean"], g["rgb_mean"]),
        ("colour std R,G,B", r["rgb_std"], g["rgb_std"]),
    ]
    lines = [f"Trained {s['kimg']:.1f} kimg ({s['steps']} steps) in {s['seconds']:.0f} s on {s['data']}.",
             "", f"{'statistic (0..255 units)':42s} {'real':>20s} {'generated':>20s}"]
    lines += [f"{name:42s} {str(a):>20s} {str(b):>20s}" for name, a, b in rows]
    lines += ["", "Files:"] + [f"  {k:24s} {v}" for k, v in s["files"].items()]
    lines += [f"  {'run folder':24s} {s['run']}"]
    return "\n".join(lines)


@click.command("demo", context_settings={"show_default": True}, epilog="""\b
Examples:
  vidsynth demo                                # tiny DIGAN on builtin:scene, <= 5 minutes on 2 CPU cores
  vidsynth demo --data builtin:shapes --minutes 15
  vidsynth demo --method mocogan-hd            # StyleGAN2 image G, then a MoCoGAN-HD motion G
""")
@click.option("--method", type=click.Choice(["digan", "mocogan-hd"]), default="digan")
@click.option("--data", default="builtin:scene", help="A built-in dataset (builtin:scene, builtin:shapes) or any dataset path.")
@click.option("--minutes", type=float, default=5.0, help="Total time budget, training included.")
@click.option("--outdir", default="runs", help="Where the demo's run folder goes.")
@click.option("--seed", type=int, default=0)
@click.option("--device", default="auto", help="auto, cpu, cuda ...")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo_command(method, data, minutes, outdir, seed, device, quiet):
    """Train a tiny model on a built-in dataset and write sample videos plus a real-vs-generated comparison."""
    if minutes <= 0:
        raise click.UsageError("--minutes must be > 0")
    if method == "mocogan-hd":
        from vidsynth.apps.mocogan_hd.demo import format_mocogan_summary, run_mocogan_demo

        summary = run_mocogan_demo(outdir=outdir, minutes=minutes, seed=seed, device=device, data=data,
                                   progress=not quiet)
        click.echo(format_mocogan_summary(summary))
        return
    summary = run_digan_demo(data, minutes, outdir, seed, device, progress=not quiet)
    click.echo(format_summary(summary))
