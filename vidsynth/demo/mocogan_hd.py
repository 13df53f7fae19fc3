"""The MoCoGAN-HD demo (``vidsynth demo --method mocogan-hd``): both training stages on a built-in
dataset within a CPU time budget.

1. train a tiny StyleGAN2 image generator on single frames of the dataset, in chunks of 10 % of the
   training budget, measuring its per-frame FID after each (``bench.frame_curve``: 16 images against
   real frames) and stopping when it is as good as held-out real first frames (the static baseline),
   stops improving, or has had 70 % (``image_stage``: the checks and the reason), 2. fit the latent PCA and train a tiny in-domain motion generator on 8-frame clips
   (stride 2) of the same videos with the image generator frozen (the rest, less ~15 % kept for
   step 3), 3. write into the motion run folder: sample videos, a long (48-frame) unrolled video, a
   content x motion grid, png frame strips, and ``demo_summary.json`` (real vs generated statistics,
   motion diversity, per-frame FID over a clip unrolled 3x past the training length).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from vidsynth.demo.stats import comparison_rows, video_statistics
from vidsynth.utils.files import atomic_write_text

RESERVE = 0.15   # share of the budget kept for sampling and writing
FRAME_CLIPS = 16  # clips (images) per side of the demo's per-frame FIDs: ~2 CPU s per check
TRAJECTORY_CLIPS = 8   # clips of the unrolled per-frame FID at the end (8 x 24 frames: ~20 CPU s; wide margin)


def run_mocogan_demo(outdir: str | Path = "runs", minutes: float = 5.0, seed: int = 0, device: str = "auto",
                     data: str = "builtin:shapes", image_share: float | None = None, progress: bool = False,
                     frame_fid: bool = True) -> dict:
    """Train both stages for about ``minutes`` in total; returns the summary (also saved as JSON).

    ``image_share``: None (default) splits the budget by measurement (``frame_curve.split_by_measurement``);
    a number gives stage 1 that fixed share instead. ``frame_fid``: measure the per-frame FIDs (False: no
    I3D at all, e.g. offline tests).
    Keys: ``image_run``, ``run`` (the motion run), ``files`` {name: path}, ``image_kimg``/``kimg``,
    ``image_steps``/``steps``, ``seconds``, ``image_stage`` (the split: checks, reason, share), ``frame_fid``
    (``frame_curve.FrameProbe.trajectory_fid``; None when off), ``real``/``generated`` (``vidsynth.demo.stats.video_statistics``:
    motion = mean |frame(t+1) - frame(t)| in 0..255), ``motion_diversity`` (mean per-pixel std, pixels in [-1, 1], as ``vidsynth.metrics``).
    """
    from vidsynth.apps.mocogan_hd.content_motion import content_motion_grid
    from vidsynth.apps.mocogan_hd.diversity import diversity_report
    from vidsynth.bench.frame_curve import handoff_model
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.data import open_dataset
    from vidsynth.device import resolve_device
    from vidsynth.loader import load_generator
    from vidsynth.report.callback import ReportCallback
    from vidsynth.training.loop import train
    from vidsynth.training.progress import UNLIMITED_KIMG
    from vidsynth.utils.files import read_jsonl
    from vidsynth.video.write import frame_strip, make_grid, write_png, write_video

    start = time.time()
    tag = data.replace("builtin:", "")
    common = dict(data=data, kimg=UNLIMITED_KIMG, seed=seed, snapshot_kimg=0, num_workers=0, device=device, sample_videos=8)

    video_cfg = method_config("mocogan-hd", "tiny")
    image_cfg = method_config("stylegan2", "tiny")
    probe = None
    if frame_fid:
        from vidsynth.bench.frame_curve import FrameProbe
        from vidsynth.bench.learning import held_out_clips

        firsts = held_out_clips(data, video_cfg.resolution, video_cfg.stride, FRAME_CLIPS, seed,
                                video_cfg.clip_sampling)[:, :, :1]     # the static baseline needs frame 0 only
        probe = FrameProbe.from_data(data, video_cfg.resolution, video_cfg.frames, video_cfg.stride, FRAME_CLIPS,
                                     firsts, seed, video_cfg.clip_sampling, device=resolve_device(device))

    # Stage 1: the image generator, its share of the budget measured (or fixed: image_share).
    budget = minutes * (1 - RESERVE)
    image_run, stage = stage_one(image_cfg, budget, probe, image_share, seed, device,
                                 lambda cfg, loop, run: train(cfg, loop, outdir=outdir, resume=run,
                                                              run_name=f"demo-image-{tag}", progress=progress,
                                                              callbacks=[ReportCallback()]),
                                 common)

    # Stage 2: the motion generator on the frozen image generator.
    left = max(minutes * 60 * (1 - RESERVE) - (time.time() - start), 20.0) / 60
    video_cfg = method_config("mocogan-hd", "tiny", {"image_generator": str(handoff_model(image_run, stage))})
    run = train(video_cfg, LoopConfig(minutes=left, sample_frames=16, **common),
                outdir=outdir, run_name=f"demo-video-{tag}", progress=progress, callbacks=[ReportCallback()])

    # Stage 3: videos and numbers.
    sampler = load_generator(run, device=device)
    fake = sampler.sample(8, frames=video_cfg.frames, seed=seed)                      # training length
    long = sampler.sample(4, frames=48, seed=seed)                                    # unrolled 6x
    grid = content_motion_grid(sampler, contents=3, motions=4, frames=16, seed=seed)
    dataset = open_dataset(data, video_cfg.resolution, video_cfg.frames, video_cfg.stride, seed=seed + 1)
    real = torch.stack([dataset.clip(i, 0)[0] for i in range(8)]).float() / 127.5 - 1
    files = {
        "samples_mp4": write_video(run / "demo-samples.mp4", make_grid(fake), fps=sampler.fps),
        "long_mp4": write_video(run / "demo-long.mp4", make_grid(long, nrow=4), fps=sampler.fps),
        "content_motion_mp4": write_video(run / "demo-content-motion.mp4",
                                             make_grid(grid.flatten(0, 1), nrow=4), fps=sampler.fps),
    }
    strip = np.concatenate([np.concatenate([frame_strip(r, 8), frame_strip(f, 8)], axis=1)
                            for r, f in zip(real[:4], fake[:4])], axis=0)
    files["real_vs_generated_png"] = write_png(run / "demo-real-vs-generated.png", strip)
    files["long_png"] = write_png(run / "demo-long.png", frame_strip(long[0], 12))
    diversity = diversity_report(sampler, contents=2, motions=8, frames=16, seed=seed)
    trajectory = None if probe is None else probe.trajectory_fid(sampler, TRAJECTORY_CLIPS, video_cfg.frames, 3, seed)

    def last(folder):
        stats = read_jsonl(Path(folder) / "stats.jsonl")
        return stats[-1] if stats else {}

    summary = {
        "image_run": str(image_run), "run": str(run), "data": data,
        "image_kimg": last(image_run).get("kimg", 0.0), "image_steps": last(image_run).get("step", 0),
        "kimg": last(run).get("kimg", 0.0), "steps": last(run).get("step", 0),
        "seconds": round(time.time() - start, 1), "image_stage": stage, "frame_fid": trajectory,
        "real": video_statistics(real), "generated": video_statistics(fake),
        "long_motion": video_statistics(long)["motion"], "motion_diversity": round(diversity["mean_std"], 5),
        "files": {k: str(v) for k, v in files.items()},
    }
    atomic_write_text(run / "demo_summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def stage_one(image_cfg, budget: float, probe, image_share: float | None, seed: int, device: str, train_fn,
              common: dict) -> tuple[Path, dict]:
    """Train the image generator; ``(run folder, image_stage)``. ``train_fn(cfg, loop, run)`` trains ``loop.minutes``
    more (``run`` None: a new run) and returns the run folder. ``probe`` None or ``image_share`` set: one chunk of
    ``image_share`` (default 0.5) of ``budget``; else ``frame_curve.split_by_measurement`` with the default
    ``StageSplit`` against the probe's static per-frame baseline, and ``image_stage["handoff"]``: the check with
    the lowest per-frame FID (``frame_curve.handoff_check``; an FVD per check would cost the demo ~30 s each),
    whose snapshot folder (``model``, inside the run) the motion stage starts from."""
    from vidsynth.bench.frame_curve import StageSplit, handoff_check, split_by_measurement
    from vidsynth.config import LoopConfig
    from vidsynth.loader import load_generator
    from vidsynth.training.snapshots import list_snapshots
    from vidsynth.utils.files import read_jsonl

    state = {"run": None}

    def train_image(minutes):   # -> the chunk's own training minutes (its last stats line: a part's own clock)
        state["run"] = train_fn(image_cfg, LoopConfig(minutes=minutes, sample_frames=1, **common), state["run"])
        return read_jsonl(Path(state["run"]) / "stats.jsonl")[-1]["time"] / 60

    if probe is None or image_share is not None:
        share = 0.5 if image_share is None else image_share
        train_image(budget * share)
        return state["run"], {"share": share, "reason": "fixed", "checks": []}
    base = probe.baselines()["static"]
    def measure():
        return {**probe.image_fid(load_generator(state["run"], device=device), len(probe.held), seed),
                "model": list_snapshots(state["run"])[-1].name}

    stage = split_by_measurement(budget, train_image, measure, base, StageSplit())
    handoff = handoff_check(stage["checks"]) if stage["checks"] else None
    return state["run"], {**stage, "static": base, "handoff": handoff}


def format_mocogan_summary(s: dict) -> str:
    """The summary as the few lines ``vidsynth demo --method mocogan-hd`` prints."""
    lines = [f"Image generator: {s['image_kimg']:.2f} kimg ({s['image_steps']} steps); motion generator: "
             f"{s['kimg']:.3f} kimg ({s['steps']} steps); {s['seconds']:.0f} s in total on {s['data']}.", ""]
    lines += comparison_rows(s["real"], s["generated"])
    lines += [f"motion of the 48-frame unrolled videos: {s['long_motion']}; motion diversity (mean per-pixel std "
              f"over 8 motions of one content, pixels in [-1, 1]): {s['motion_diversity']}"]
    stage, f = s.get("image_stage") or {}, s.get("frame_fid") or {}
    if stage.get("checks"):
        lines.append(f"image generator: {stage['share']:.0%} of the training budget ({stage['reason']}); per-frame FID "
                     + " -> ".join(f"{c['fid']:.0f}" for c in stage["checks"])
                     + f" (real first frames: {stage['static']['first']:.0f})")
    if stage.get("handoff"):
        h = stage["handoff"]
        lines.append(f"motion generator trained on the image snapshot at {h['share']:.0%} ({h['model']}, "
                     f"per-frame FID {h['value']:.0f}: the best check)")
    if f:
        lines.append(f"per-frame FID over {f['frames']} frames vs frame 0: x{f['trained_ratio']:.2f} trained, "
                     f"x{f['unrolled_ratio']:.2f} unrolled (noise margin {f['margin']:.0%}): "
                     f"{'on' if f['on_manifold'] else 'OFF'} the image manifold")
    lines += ["", "Files:"] + [f"  {k:24s} {v}" for k, v in s["files"].items()]
    lines += [f"  {'image run':24s} {s['image_run']}", f"  {'motion run':24s} {s['run']}"]
    return "\n".join(lines)
