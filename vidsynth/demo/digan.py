"""The DIGAN demo (``vidsynth demo``): train a tiny DIGAN on a built-in dataset within a time budget,
then write samples, a real-vs-generated comparison and a measured summary of how close they are: simple
statistics and its FVD beside the dataset's noise-floor and static baselines (``demo/baselines.py``).
It runs on the cores that are free when it starts (``demo/cores.py``)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from vidsynth.demo import baselines as fvd_baselines
from vidsynth.demo.cores import free_cores, free_threads, usable_cores
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


# Seconds kept for the final FVD when the baselines came from the cache (no measured eval time yet): one
# fvd64_16f took 26 s on one thread beside another process (2-core AMD EPYC), ~15 s on two free threads.
CACHED_EVAL_SECONDS = 30.0
# ... and when they are the package's numbers for a built-in set: that FVD also extracts the real clips' I3D
# features the first time (47 s on one thread beside another process, against 25 s for the fake side alone).
SHIPPED_EVAL_SECONDS = 50.0


def choose_threads(threads: int | None = None, log=print) -> tuple[int, float | None]:
    """``(threads, free cores measured)``: ``threads`` when given, else the free cores (``demo/cores.py``)."""
    if threads:
        return int(threads), None
    free = free_cores()
    n = free_threads(free, usable_cores())
    log(f"{free:.1f} of {usable_cores()} cores free: training on {n} thread{'s' if n > 1 else ''}")
    return n, round(free, 2)


def run_digan_demo(data: str, minutes: float, outdir: str | Path, seed: int = 0, device: str = "auto",
                   progress: bool = True, threads: int | None = None) -> dict:
    """Train for about ``minutes`` in total; returns the summary (also saved as ``RUN/demo_summary.json``).

    Keys: ``run``, ``data``, ``kimg``, ``steps``, ``seconds``, ``threads``, ``free_cores``,
    ``real``/``generated`` (``video_statistics``), ``fvd`` (``{"demo", "noise_floor", "static",
    "clips"}``, or ``{"skipped": reason}`` when the I3D is not installed) and ``files`` {name: path}.
    ``threads``: torch threads (None: the cores free at the start, measured).
    """
    from vidsynth.config import method_config
    from vidsynth.device import resolve_device
    from vidsynth.errors import VidsynthError

    start = time.time()
    cfg = method_config("digan", "tiny")
    threads, free = choose_threads(threads, log=(lambda msg: print(msg, flush=True)) if progress else (lambda m: None))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        dev = resolve_device(device)
        fvd_args = dict(data=data, resolution=cfg.resolution, stride=cfg.stride, seed=seed, device=dev,
                        clip_sampling=cfg.clip_sampling)
        # The baselines first (cached after the first demo on this dataset), so the FVD's cost is measured.
        eval_start = time.time()
        try:
            base = fvd_baselines.dataset_baselines(**fvd_args)
            eval_seconds = (CACHED_EVAL_SECONDS if base["cached"] else SHIPPED_EVAL_SECONDS if base.get("shipped")
                            else (time.time() - eval_start) / 2)
        except VidsynthError as e:   # e.g. the I3D weights are not installed: the demo still trains
            base, eval_seconds = {"skipped": str(e).splitlines()[0]}, 0.0
        # Leave ~25 s of the budget for start-up, sampling and writing the comparison, and one FVD.
        train_minutes = max(minutes - (time.time() - start) / 60 - 0.45 - eval_seconds / 60, 0.2)
        return _train_and_summarise(cfg, data, train_minutes, outdir, seed, device, progress, start, threads,
                                    free, base, fvd_args)
    finally:
        torch.set_num_threads(before)


def _train_and_summarise(cfg, data, train_minutes, outdir, seed, device, progress, start, threads, free, base,
                         fvd_args) -> dict:
    """Train for ``train_minutes``, then sample, write the files and measure; the summary."""
    from vidsynth.config import LoopConfig
    from vidsynth.data import open_dataset
    from vidsynth.loader import load_generator
    from vidsynth.report.callback import ReportCallback
    from vidsynth.training.loop import train
    from vidsynth.training.progress import UNLIMITED_KIMG

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
    if "skipped" in base:
        fvd = dict(base)
    else:
        fvd = {"demo": fvd_baselines.generated_fvd(sampler, **fvd_args), "noise_floor": base["noise_floor"],
               "static": base["static"], "clips": fvd_baselines.DEMO_CLIPS}
        if base.get("shipped"):   # the real features are cached now: the next demo reads both from the cache
            fvd_baselines.remember(base, **fvd_args)
    summary = {
        "run": str(run), "data": data, "kimg": stats["kimg"], "steps": stats["step"],
        "seconds": round(time.time() - start, 1), "threads": threads, "free_cores": free, "fvd": fvd,
        "real": video_statistics(real), "generated": video_statistics(fake),
        "files": {k: str(v) for k, v in paths.items()},
    }
    atomic_write_text(run / "demo_summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(s: dict) -> str:
    """The summary as the few lines ``vidsynth demo`` prints."""
    lines = [f"Trained {s['kimg']:.1f} kimg ({s['steps']} steps) in {s['seconds']:.0f} s on {s['data']}.", ""]
    lines += comparison_rows(s["real"], s["generated"])
    fvd = s.get("fvd") or {}
    if "demo" in fvd:
        lines += [""] + fvd_baselines.fvd_rows(fvd["demo"], fvd, fvd.get("clips", fvd_baselines.DEMO_CLIPS))
    elif "skipped" in fvd:
        lines += ["", f"FVD not measured: {fvd['skipped']}"]
    lines += ["", "Files:"] + [f"  {k:24s} {v}" for k, v in s["files"].items()]
    lines += [f"  {'run folder':24s} {s['run']}"]
    return "\n".join(lines)
