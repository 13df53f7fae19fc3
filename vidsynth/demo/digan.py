"""The DIGAN demo (``vidsynth demo``): train a tiny DIGAN on a built-in dataset within a time budget,
then write samples, a real-vs-generated comparison and a measured summary of how close they are."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from vidsynth.demo.stats import comparison_rows, video_statistics
from vidsynth.utils.files import atomic_write_text
from vidsynth.video.write import frame_strip, make_grid, write_png, write_video


def side_by_side(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """One video: a grid of real clips (left) and generated clips (right), separated by a white bar."""
    left, right = make_grid(real), make_grid(fake)
    h = max(left.shape[2], right.shape[2])
    pad = lambda g: torch.nn.functional.pad(g, (0, 0, 0, h - g.shape[2]), value=1.0)
    bar = torch.ones(3, left.shape[1], h, 6)
    return torch.cat([pad(left), bar, pad(right)], dim=3)


def run_digan_demo(data: str, minutes: float, outdir: str | Path, seed: int = 0, device: str = "auto",
                   progress: bool = True) -> dict:
    """Train for about ``minutes`` in total; returns the summary (also saved as ``RUN/demo_summary.json``).

    Keys: ``run``, ``data``, ``kimg``, ``steps``, ``seconds``, ``real``/``generated``
    (``video_statistics``) and ``files`` {name: path}.
    """
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.data import open_dataset
    from vidsynth.loader import load_generator
    from vidsynth.report.callback import ReportCallback
    from vidsynth.training.loop import train
    from vidsynth.training.progress import UNLIMITED_KIMG

    start = time.time()
    cfg = method_config("digan", "tiny")
    # Leave ~25 s of the budget for start-up, sampling and writing the comparison.
    train_minutes = max(minutes - 0.45, 0.2)
    loop = LoopConfig(data=data, kimg=UNLIMITED_KIMG, minutes=train_minutes, seed=seed, snapshot_kimg=0,
                      snapshot_minutes=0, device=device, num_workers=1, sample_videos=16, sample_frames=16)
    run = train(cfg, loop, outdir=outdir, run_name=f"demo-{data.replace('builtin:', '')}", progress=progress,
                callbacks=[ReportCallback()])   # report.html, as `vidsynth train` writes
    sampler = load_generator(run, device=device)
    n = 16
    fake = sampler.sample(n, frames=cfg.frames, seed=seed)
    dataset = open_dataset(data, cfg.resolution, cfg.frames, seed=seed + 1)  # held-out built-in videos
    real = torch.stack([dataset.clip(i, 0)[0] for i in range(n)]).float() / 127.5 - 1
    paths = {
        "samples_mp4": write_video(run / "demo-samples.mp4", make_grid(fake), fps=8),
        "samples_gif": write_video(run / "demo-samples.gif", make_grid(fake), fps=8),
        "real_vs_generated_mp4": write_video(run / "demo-real-vs-generated.mp4", side_by_side(real[:9], fake[:9]),
                                                fps=8),
    }
    strip = np.concatenate([np.concatenate([frame_strip(r, 8), frame_strip(f, 8)], axis=1)
                            for r, f in zip(real[:4], fake[:4])], axis=0)
    paths["real_vs_generated_png"] = write_png(run / "demo-real-vs-generated.png", strip)
    stats = json.loads((run / "snapshots.jsonl").read_text().splitlines()[-1])
    summary = {
        "run": str(run), "data": data, "kimg": stats["kimg"], "steps": stats["step"],
        "seconds": round(time.time() - start, 1),
        "real": video_statistics(real), "generated": video_statistics(fake),
        "files": {k: str(v) for k, v in paths.items()},
    }
    atomic_write_text(run / "demo_summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(s: dict) -> str:
    """The summary as the few lines ``vidsynth demo`` prints."""
    lines = [f"Trained {s['kimg']:.1f} kimg ({s['steps']} steps) in {s['seconds']:.0f} s on {s['data']}.", ""]
    lines += comparison_rows(s["real"], s["generated"])
    lines += ["", "Files:"] + [f"  {k:24s} {v}" for k, v in s["files"].items()]
    lines += [f"  {'run folder':24s} {s['run']}"]
    return "\n".join(lines)
