"""The MoCoGAN-HD demo: both training stages on a built-in dataset within a CPU time budget.

1. train a tiny StyleGAN2 image generator on single frames of ``builtin:shapes`` (``image_share``
   of the budget), 2. fit the latent PCA and train a tiny motion generator (in-domain) on 8-frame
   clips of the same videos with the image generator frozen (the rest), 3. write sample videos:
   a grid, a long unrolled video, a content x motion grid, and png frame strips of each.
"""
from __future__ import annotations

import time
from pathlib import Path

import torch


def _moves(videos: torch.Tensor) -> float:
    """Mean absolute change between consecutive frames, in [0, 1] pixel units."""
    return ((videos[:, :, 1:] - videos[:, :, :-1]).abs().mean() / 2).item()


def run_mocogan_demo(outdir: str | Path = "demo_mocogan", minutes: float = 5.0, seed: int = 0, device: str = "auto",
                     data: str = "builtin:shapes", image_share: float = 0.5, progress: bool = False) -> dict:
    """Train both stages for ``minutes`` in total and write videos under ``outdir``.

    Returns paths (``image_run``, ``video_run``, ``videos`` {name: path}) and numbers (kimg of each
    stage, seconds, ``motion_diversity``, ``frame_change`` = mean |x_t+1 - x_t|).
    """
    from vidsynth import io
    from vidsynth.apps.mocogan_hd.content_motion import content_motion_grid
    from vidsynth.apps.mocogan_hd.diversity import motion_diversity
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.export import load_generator
    from vidsynth.runs import read_jsonl
    from vidsynth.training.loop import train

    outdir = Path(outdir)
    start = time.time()
    common = dict(data=data, kimg=1e6, seed=seed, snapshot_kimg=0, num_workers=0, device=device, sample_videos=8)

    # Stage 1: the image generator.
    image_cfg = method_config("stylegan2", "tiny")
    image_run = train(image_cfg, LoopConfig(minutes=minutes * image_share, sample_frames=1, **common),
                      outdir=outdir / "runs", run_name="demo-image", progress=progress)
    image_seconds = time.time() - start

    # Stage 2: the motion generator on the frozen image generator (what is left, less ~15 % for stage 3).
    left = max(minutes * 60 * (1 - 0.15) - (time.time() - start), 20.0) / 60
    video_cfg = method_config("mocogan-hd", "tiny", {"image_generator": str(image_run)})
    video_run = train(video_cfg, LoopConfig(minutes=left, sample_frames=16, **common),
                      outdir=outdir / "runs", run_name="demo-video", progress=progress)

    # Stage 3: videos.
    sampler = load_generator(video_run, device=device if device != "auto" else "cpu")
    videos = {}
    samples = sampler.sample(8, frames=16, seed=seed)
    videos["samples"] = io.write_video(outdir / "samples.mp4", io.make_grid(samples), fps=sampler.fps)
    long = sampler.sample(4, frames=48, seed=seed)
    videos["long"] = io.write_video(outdir / "long.mp4", io.make_grid(long, nrow=4), fps=sampler.fps)
    grid = content_motion_grid(sampler, contents=3, motions=4, frames=16, seed=seed)
    videos["content_motion"] = io.write_video(outdir / "content_motion.mp4", io.make_grid(grid.flatten(0, 1), nrow=4),
                                              fps=sampler.fps)
    videos["strip"] = io.write_png(outdir / "samples_strip.png", io.frame_strip(io.make_grid(samples[:4], nrow=4), 8))
    videos["long_strip"] = io.write_png(outdir / "long_strip.png", io.frame_strip(long[0], 12))
    diversity = motion_diversity(sampler, contents=2, motions=8, frames=16, seed=seed)

    def last(run):
        stats = read_jsonl(Path(run) / "stats.jsonl")
        return stats[-1] if stats else {}

    return {"image_run": str(image_run), "video_run": str(video_run), "videos": {k: str(v) for k, v in videos.items()},
            "image_kimg": last(image_run).get("kimg", 0.0), "video_kimg": last(video_run).get("kimg", 0.0),
            "image_seconds": image_seconds, "seconds": time.time() - start,
            "motion_diversity": diversity["mean_std"], "frame_change": _moves(samples)}
