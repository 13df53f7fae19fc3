"""The generic training loop: data, device, run folder, progress, logging, snapshots, resume.

Method-specific work (networks, losses) lives in a *trainer* object (e.g. ``DIGANTrainer``) with
``step(step, clips, labels, cur_nimg) -> stats``, ``state_dict``/``load_state_dict``, ``export`` and
``sample``. This loop never looks inside the networks.

Counters: ``step`` counts optimisation steps, ``nimg`` the real videos shown to D (step * global
batch). A run stops at ``kimg`` thousand videos or after ``minutes``; either way it ends with a
snapshot (samples, exported EMA generator, resume checkpoint), so nothing trained is lost.
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import torch

from vidsynth import io
from vidsynth.config import LoopConfig, save_json, to_json
from vidsynth.device import resolve_device
from vidsynth.frame_rate import rate_to_json
from vidsynth.errors import ConfigError, VidsynthError
from vidsynth.runs import append_jsonl, atomic_write, new_run_dir, read_jsonl
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.distributed import DistContext
from vidsynth.training.log_sinks import open_sinks
from vidsynth.training.progress import TrainingProgress
from vidsynth.training.snapshots import save_snapshot_model, update_best

TICK_SECONDS = 10.0   # how often a stats line is written


def _build_trainer(cfg, device, c_dim, seed, dist: DistContext):
    if cfg.method == "digan":
        from vidsynth.training.digan import DIGANTrainer

        return DIGANTrainer(cfg, device, c_dim=c_dim, seed=seed, dist=dist)
    if cfg.method == "stylegan2":
        from vidsynth.training.stylegan2 import StyleGAN2Trainer

        return StyleGAN2Trainer(cfg, device, c_dim=c_dim, seed=seed, dist=dist)
    if cfg.method == "mocogan-hd":
        from vidsynth.training.mocogan_hd import MoCoGANHDTrainer

        return MoCoGANHDTrainer(cfg, device, c_dim=c_dim, seed=seed, dist=dist)
    raise ConfigError(f"no trainer for method '{cfg.method}'")


class StopSignal:
    """SIGINT / SIGTERM during training: finish the current step, write a final checkpoint, exit cleanly.

    A second signal while that happens is ignored (the checkpoint write is atomic anyway).
    """

    def __init__(self):
        self.received = None
        self._previous = {}

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        import signal

        self.received = signal.Signals(signum).name

    def __exit__(self, *exc):
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _all_finite(module: torch.nn.Module) -> bool:
    return all(torch.isfinite(p).all() for p in module.parameters())


def _open_data(cfg, loop: LoopConfig):
    from vidsynth.data import open_dataset

    if cfg.method == "stylegan2":  # single frames, or the images of an image folder
        from vidsynth.data.images import open_image_dataset

        return open_image_dataset(loop.data, resolution=cfg.resolution, xflip=cfg.xflip, seed=loop.seed,
                                  split=loop.split or None)
    size = cfg.resolution
    if cfg.method == "digan":  # (height, width): rectangular frames with --set aspect=16:9
        from vidsynth.config import digan_frame_size

        size = digan_frame_size(cfg)
    return open_dataset(loop.data, resolution=size, frames=cfg.frames, stride=cfg.stride,
                        xflip=cfg.xflip, seed=loop.seed, labels=cfg.labels if cfg.conditional else "none",
                        split=loop.split or None, clip_sampling=getattr(cfg, "clip_sampling", "per_video"))


def _compute_metrics(run_dir: Path, loop: LoopConfig, module, meta: dict, kimg: float, device) -> None:
    """Evaluate ``loop.metrics`` on the EMA generator against the training data; append to metrics.jsonl.

    Real clips are read as training reads them: the run's resolution, temporal stride and clip sampling."""
    import copy

    from vidsynth.export import SAMPLERS, _import
    from vidsynth.metrics import evaluate

    sampler = _import(SAMPLERS[type(module).__name__])(copy.deepcopy(module), meta)
    results = evaluate(loop.metrics, real=loop.data, fake=sampler, device=str(device), seed=loop.seed,
                       progress=False, resolution=meta.get("resolution"), real_stride=meta.get("train_stride", 1),
                       clip_sampling=meta.get("clip_sampling", "per_video"), num_workers=loop.num_workers)
    for r in results:
        append_jsonl(run_dir / "metrics.jsonl", dict(r, kimg=kimg))


def check_run_options(loop: LoopConfig) -> None:
    """``best_by`` is one of ``metrics`` and ``log`` names known sinks (ConfigError before any work)."""
    from vidsynth.training.log_sinks import parse_log
    from vidsynth.training.snapshots import validate_best_by

    validate_best_by(loop.best_by, loop.metrics)
    parse_log(loop.log)


class NonFiniteError(VidsynthError):
    """A loss or weight became NaN/inf: the message names the step and the last good checkpoint."""


def train(cfg, loop: LoopConfig, outdir: str | Path = "runs", resume: str | Path | None = None,
          run_name: str | None = None, progress: bool = True, dist: DistContext | None = None,
          init_weights: str | Path | None = None) -> Path:
    """Train ``cfg`` (a method config) as ``loop`` says; returns the run folder.

    ``resume``: a run folder (or ``auto`` = the newest run in ``outdir`` of the same method) to
    continue exactly where its last checkpoint left off; the run's saved config is used and only
    ``kimg``/``minutes``/snapshot options may change. ``init_weights``: an exported model whose weights
    a new run starts from (fine-tuning; ``training/init_weights.py``).
    """
    check_run_options(loop)
    dist = dist or DistContext()
    rank, world_size = dist.rank, dist.world_size
    device = resolve_device(loop.device)
    state = None
    if resume:
        run_dir, state = ckpt.load_latest(resume, outdir, cfg.method)
        saved = state["config"]
        cfg = dataclasses.replace(cfg, **{k: v for k, v in saved["method"].items() if hasattr(cfg, k)})
        keep = {k: getattr(loop, k) for k in ("kimg", "minutes", "snapshot_kimg", "snapshot_minutes",
                                              "num_workers", "device", "keep_checkpoints")}
        known = {f.name for f in dataclasses.fields(LoopConfig)}   # tolerate keys from other versions
        loop = dataclasses.replace(LoopConfig(**{k: v for k, v in saved["loop"].items() if k in known}), **keep)
    dataset = _open_data(cfg, loop)
    c_dim = len(dataset.class_names) if cfg.conditional else 0
    if cfg.conditional and c_dim == 0:
        raise ConfigError(f"conditional=true but '{loop.data}' has no classes (labels={cfg.labels!r}): put "
                          "videos in one sub-folder per class and --set labels=folders, or add a labels.json")
    if cfg.batch % world_size:
        raise ConfigError(f"batch {cfg.batch} must be divisible by the number of processes ({world_size})")
    trainer = _build_trainer(cfg, device, c_dim, loop.seed, dist)
    step = nimg = 0
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        step, nimg = state["step"], state["nimg"]
        init_weights = state.get("init_weights")         # provenance of a resumed fine-tuning run
    elif init_weights:
        from vidsynth.training.init_weights import load_initial_weights

        load_initial_weights(trainer, init_weights, log=print if rank == 0 else (lambda *a: None))
    is_main = rank == 0
    if state is None:
        run_dir = new_run_dir(outdir, cfg.method, loop.data, run_name) if is_main else None
    if is_main:
        print(f"dataset: {dataset.num_videos} videos from {loop.data}" + (f" (split {loop.split})" if loop.split else "")
              + (f"; {c_dim} classes, labels from {dataset.label_origin}" if c_dim else ""))
        save_json(run_dir / "config.json", {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop),
                                            "class_names": dataset.class_names, "world_size": world_size,
                                            "num_videos": dataset.num_videos,
                                            "init_weights": str(init_weights) if init_weights else None})
        if dataset.skipped:
            save_json(run_dir / "skipped_files.json", {"skipped": [list(s) for s in dataset.skipped]})

    meta = {"method": cfg.method, "train_frames": cfg.frames, "fps": rate_to_json(loop.fps),
            "class_names": dataset.class_names, "dataset": loop.data, "resolution": cfg.resolution,
            "train_stride": getattr(cfg, "stride", 1), "clip_sampling": getattr(cfg, "clip_sampling", "per_video")}
    # Fixed latents for every sample grid, so snapshots are comparable over training.
    gen = torch.Generator().manual_seed(loop.seed + 12345)
    grid_z = torch.randn(loop.sample_videos, getattr(cfg, "z_dim", 1), generator=gen)  # mocogan-hd: unused
    grid_zm = torch.randn(loop.sample_videos, getattr(cfg, "motion_dim", getattr(cfg, "z_dim", 1)), generator=gen)
    grid_c = None
    if c_dim:
        grid_c = torch.nn.functional.one_hot(torch.arange(loop.sample_videos) % c_dim, c_dim).float().to(device)

    last_metrics_nimg = [nimg]

    def snapshot(final: bool = False):
        # Every rank must hold the same weights; a checksum per rank is recorded to prove it.
        checksums = dist.all_gather(torch.stack([sum(p.detach().double().sum() for p in m.parameters())
                                                 for m in (trainer.G, trainer.D)]).to(device).unsqueeze(0))
        if not is_main:
            return
        module, kwargs = trainer.export()
        if not _all_finite(module) or not _all_finite(trainer.G):
            last = ckpt.list_checkpoints(run_dir)
            raise NonFiniteError(f"the generator weights are not finite at step {step} (kimg {nimg / 1000:.3f}); "
                                 "nothing was saved. Last good checkpoint: "
                                 f"{last[0] if last else 'none'}. Resume from it with a lower --set lr=... or "
                                 "higher --set r1_gamma=...")
        kimg = nimg / 1000
        videos = trainer.sample(grid_z, grid_zm, loop.sample_frames, grid_c)
        grid = io.make_grid(videos)
        io.write_video(run_dir / f"samples-{kimg:09.3f}kimg.mp4", grid, fps=loop.fps)
        gif = io.write_video(run_dir / "samples-latest.gif", grid, fps=loop.fps)
        io.write_png(run_dir / "samples-latest.png", io.frame_strip(grid, 4))
        sinks.samples(io.frame_strip(grid, 4), gif, nimg)
        save_snapshot_model(run_dir, module, kwargs, dict(meta, kimg=kimg, step=step), kimg, keep=loop.keep_models)
        ckpt.save(run_dir, {"trainer": trainer.state_dict(), "step": step, "nimg": nimg, "method": cfg.method,
                            "init_weights": str(init_weights) if init_weights else None,
                            "config": {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop)}},
                  step, keep=loop.keep_checkpoints)
        if loop.metrics and (final or loop.metrics_kimg <= 0 or
                             nimg // int(loop.metrics_kimg * 1000) > last_metrics_nimg[0] // int(loop.metrics_kimg * 1000)):
            _compute_metrics(run_dir, loop, module, meta, kimg, device)
            sinks.scalars({f"metrics/{r['metric']}": r["value"] for r in read_jsonl(run_dir / "metrics.jsonl")
                           if r.get("kimg") == kimg}, nimg)
            update_best(run_dir, loop.best_by, kimg)
            last_metrics_nimg[0] = nimg
        append_jsonl(run_dir / "snapshots.jsonl", {"kimg": kimg, "step": step, "final": final, "time": time.time(),
                                                   "rank_checksums": checksums.cpu().tolist()})
        try:   # the HTML report is a convenience: never let it stop training
            from vidsynth.report import write_report

            write_report(run_dir)
        except Exception as e:  # noqa: BLE001
            import warnings

            warnings.warn(f"report.html not written: {e}")

    sinks = open_sinks(loop.log, run_dir, {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop)},
                       resume=state is not None) if is_main else None
    if is_main and state is None:
        real = torch.stack([dataset.clip(i % dataset.num_videos, 0)[0] for i in range(min(8, loop.sample_videos))])
        io.write_video(run_dir / "reals.mp4", io.make_grid(real.float() / 127.5 - 1), fps=loop.fps)

    total_nimg = int(loop.kimg * 1000)
    start_time = time.time()
    last_snap_nimg, last_snap_time, last_tick = nimg, start_time, start_time
    tick_stats: dict[str, list[float]] = {}
    bar = TrainingProgress(loop.kimg, loop.minutes, nimg, desc=f"{cfg.method} {run_dir.name if is_main else ''}",
                           enabled=progress and is_main)
    from vidsynth.data import iterate_batches

    batches = iterate_batches(dataset, cfg.batch, loop.seed, start_step=step, rank=rank, world_size=world_size,
                              num_workers=loop.num_workers)
    stop = nimg >= total_nimg
    signals = StopSignal()
    try:
        with signals:
            while not stop:
                clips, labels = next(batches)
                stats = trainer.step(step, clips, labels, nimg)
                bad = [k for k, v in stats.items() if not math.isfinite(v)]
                if bad:
                    last = ckpt.list_checkpoints(run_dir) if is_main else []
                    raise NonFiniteError(
                        f"{', '.join(bad)} became {stats[bad[0]]} at step {step} (kimg {nimg / 1000:.3f}); training "
                        f"stopped without saving. Last good checkpoint: {last[0] if last else 'none'}. Resume from it "
                        "(--resume) with a lower --set lr=... or a higher --set r1_gamma=...")
                for k, v in stats.items():
                    tick_stats.setdefault(k, []).append(v)
                step += 1
                nimg += cfg.batch
                bar.update(nimg)
                now = time.time()
                out_of_time = loop.minutes > 0 and now - start_time >= loop.minutes * 60
                interrupted = dist.any(signals.received is not None)
                stop = nimg >= total_nimg or out_of_time or interrupted
                if is_main and (now - last_tick >= TICK_SECONDS or stop):
                    record = {k: sum(v) / len(v) for k, v in tick_stats.items()}
                    record.update(step=step, kimg=nimg / 1000, time=now - start_time,
                                  sec_per_kimg=(now - last_tick) / max((sum(len(v) for v in tick_stats.values())
                                                                       / max(len(tick_stats), 1)) * cfg.batch / 1000, 1e-9))
                    if device.type == "cuda":
                        record["peak_mem_gb"] = torch.cuda.max_memory_allocated(device) / 2**30
                    append_jsonl(run_dir / "stats.jsonl", record)
                    sinks.scalars(record, nimg)
                    bar.postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in record.items() if k.startswith("loss/")})
                    tick_stats, last_tick = {}, now
                snap_due = (loop.snapshot_kimg > 0 and nimg - last_snap_nimg >= loop.snapshot_kimg * 1000) or \
                           (loop.snapshot_minutes > 0 and now - last_snap_time >= loop.snapshot_minutes * 60)
                if snap_due and not stop:
                    snapshot()
                    last_snap_nimg, last_snap_time = nimg, time.time()
    finally:
        bar.close()
    snapshot(final=True)
    dist.barrier()   # the other ranks wait until rank 0 has written the final files
    if sinks:
        sinks.close()
    if signals.received and is_main:
        import sys

        print(f"\n{signals.received} received: saved a final checkpoint at step {step} (kimg {nimg / 1000:.3f}). "
              f"Continue with: vidsynth train --method {cfg.method} --resume {run_dir}", file=sys.stderr)
    return run_dir if is_main else None
