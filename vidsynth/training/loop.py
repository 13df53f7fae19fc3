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
from vidsynth.data.sources import source_fingerprint
from vidsynth.runs import RunLock, append_jsonl, atomic_write, new_run_dir, read_jsonl
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


def _checksum(obj) -> torch.Tensor:
    """Position-weighted float64 sum of every tensor in a nested state (a permutation changes it too)."""
    if isinstance(obj, torch.Tensor):
        flat = obj.detach().double().flatten().cpu()
        return (flat * torch.linspace(1, 2, flat.numel(), dtype=torch.float64)).sum() if flat.numel() else flat.sum()
    if isinstance(obj, dict):
        return sum((_checksum(v) for v in obj.values()), torch.zeros((), dtype=torch.float64))
    if isinstance(obj, (list, tuple)):
        return sum((_checksum(v) for v in obj), torch.zeros((), dtype=torch.float64))
    return torch.zeros((), dtype=torch.float64)


def _state_checksums(state: dict) -> torch.Tensor:
    """One checksum per entry of a trainer's ``state_dict`` (parameters, buffers, optimizer moments)."""
    return torch.stack([_checksum(state[k]) for k in sorted(state)])


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


def _refuse_outdir_inside_data(outdir, data: str) -> None:
    """Run folders inside the dataset folder would be read as data by the next run (``train --data .``)."""
    folder = Path(str(data)).expanduser()
    if str(data).startswith(("builtin:", "images:")) or not folder.is_dir():
        return
    out, root = Path(outdir).expanduser().resolve(), folder.resolve()
    if out == root or root in out.parents:
        raise ConfigError(f"--outdir '{outdir}' is inside the dataset folder '{data}': the samples of this run would "
                          "become training data. Choose an --outdir outside the dataset (e.g. --outdir ../runs)")


def check_run_options(loop: LoopConfig) -> None:
    """``best_by`` is one of ``metrics`` and ``log`` names known sinks (ConfigError before any work)."""
    from vidsynth.training.log_sinks import parse_log
    from vidsynth.training.snapshots import validate_best_by

    validate_best_by(loop.best_by, loop.metrics)
    parse_log(loop.log)


class NonFiniteError(VidsynthError):
    """A loss or weight became NaN/inf: the message names the step and the last good checkpoint."""


# Options that may change when a run is resumed: how long, how often to snapshot, which metrics, and
# on which machine. Everything else (the method config, data, seed, ...) shapes what is trained.
RESUMABLE_OPTIONS = ("kimg", "minutes", "snapshot_kimg", "snapshot_minutes", "num_workers", "device",
                     "keep_checkpoints", "metrics", "metrics_kimg", "keep_models", "best_by", "log")


def _notice(text: str) -> None:
    import sys

    print(f"notice: {text}", file=sys.stderr)


def _same_option(name: str, given, saved) -> bool:
    if name == "data" and given != saved and not str(given).startswith(("builtin:", "images:")):
        return Path(str(given)).expanduser().resolve() == Path(str(saved)).expanduser().resolve()
    return given == saved


def _resume_configs(cfg, loop: LoopConfig, state: dict, explicit: dict | None, is_main: bool):
    """The method and loop configs of a resumed run: the checkpoint's, plus the options given now that
    may change (``RESUMABLE_OPTIONS``, applied with a notice). Options that may not change and differ
    from the run's are refused, listed by name. ``explicit`` (the option names given on the command
    line) is None from the Python API: then ``loop``'s kimg, minutes and snapshot options apply."""
    from vidsynth.config import METHOD_CONFIGS, apply_overrides, validate_loop, validate_method
    from vidsynth.errors import CheckpointError

    saved = state["config"]
    try:
        fields = {f.name for f in dataclasses.fields(METHOD_CONFIGS[cfg.method])}
        saved_cfg = apply_overrides(METHOD_CONFIGS[cfg.method](), {k: v for k, v in saved["method"].items()
                                                                   if k in fields and k != "method"})
        known = {f.name for f in dataclasses.fields(LoopConfig)}  # tolerate keys from other versions
        saved_loop = apply_overrides(LoopConfig(), {k: v for k, v in saved["loop"].items() if k in known})
        validate_method(saved_cfg)
        validate_loop(saved_loop)
    except ConfigError as e:
        raise CheckpointError(f"'{state.get('path', 'the checkpoint')}' holds a config that cannot be used ({e}); "
                              "it is corrupt or from another version") from None
    if explicit is None:
        keep = ("kimg", "minutes", "snapshot_kimg", "snapshot_minutes", "num_workers", "device", "keep_checkpoints")
        return saved_cfg, dataclasses.replace(saved_loop, **{k: getattr(loop, k) for k in keep})
    refused = [(k, getattr(saved_cfg, k), getattr(cfg, k)) for k in sorted(explicit.get("method", ()))
               if getattr(cfg, k) != getattr(saved_cfg, k)]
    refused += [(k, getattr(saved_loop, k), getattr(loop, k)) for k in sorted(explicit.get("loop", ()))
                if k not in RESUMABLE_OPTIONS and not _same_option(k, getattr(loop, k), getattr(saved_loop, k))]
    if refused:
        listed = "; ".join(f"{k} (run: {a!r}, given: {b!r})" for k, a, b in refused)
        raise ConfigError(f"cannot change on --resume: {listed}"
                          + ". These shape what is trained: drop them, or start a new run. On --resume you may "
                          f"change: {', '.join(RESUMABLE_OPTIONS)}")
    given = [k for k in sorted(explicit.get("loop", ())) if k in RESUMABLE_OPTIONS]
    changed = [f"{k} {getattr(saved_loop, k)!r} -> {getattr(loop, k)!r}" for k in given
               if getattr(loop, k) != getattr(saved_loop, k) and k not in ("num_workers", "device")]
    if changed and is_main:
        _notice("resuming with " + ", ".join(changed))
    machine = {"num_workers": loop.num_workers, "device": loop.device}  # this machine's, not the old one's
    return saved_cfg, dataclasses.replace(saved_loop, **{**machine, **{k: getattr(loop, k) for k in given}})


def train(cfg, loop: LoopConfig, outdir: str | Path = "runs", resume: str | Path | None = None,
          run_name: str | None = None, progress: bool = True, dist: DistContext | None = None,
          init_weights: str | Path | None = None, explicit: dict | None = None,
          allow_data_change: bool = False) -> Path:
    """Train ``cfg`` (a method config) as ``loop`` says; returns the run folder.

    ``resume``: a run folder (or ``auto`` = the newest run in ``outdir`` of the same method) to
    continue exactly where its last checkpoint left off; the run's saved config is used and only
    ``RESUMABLE_OPTIONS`` may change (``explicit``: the option names the user gave; others that
    differ are refused). A run stopped before its first checkpoint starts again from step 0 in its
    folder. A dataset that changed since the checkpoint is refused unless ``allow_data_change``.
    The run folder is locked (``runs.RunLock``) while training.
    ``init_weights``: an exported model whose weights a new run starts from (fine-tuning;
    ``training/init_weights.py``).
    """
    check_run_options(loop)
    locks = []
    try:
        return _train(cfg, loop, outdir, resume, run_name, progress, dist, init_weights, explicit, allow_data_change,
                      locks)
    finally:
        for lock in locks:
            lock.release()


def _train(cfg, loop, outdir, resume, run_name, progress, dist, init_weights, explicit, allow_data_change,
           locks) -> Path:
    dist = dist or DistContext()
    rank, world_size = dist.rank, dist.world_size
    is_main = rank == 0
    device = resolve_device(loop.device)
    state = run_dir = None
    if resume:
        run_dir, state = ckpt.load_latest(resume, outdir, cfg.method)
        if run_dir is not None and is_main:
            locks.append(RunLock(run_dir))  # before anything is written: a second process stops here
        if state is not None:
            cfg, loop = _resume_configs(cfg, loop, state, explicit, is_main)
        elif run_dir is not None:
            if is_main:
                _notice(f"'{run_dir}' has no checkpoint yet (it stopped before its first snapshot): starting it "
                        "again from step 0 in the same folder")
                for stale in ("stats.jsonl", "snapshots.jsonl"):  # the lost attempt's lines
                    (run_dir / stale).unlink(missing_ok=True)
        elif is_main:
            _notice(f"--resume auto found no {cfg.method} run in '{outdir}': starting a new run")
    if state is None:
        from vidsynth.config import validate_method

        validate_method(cfg)  # also from the Python API: before a run folder exists
    if run_dir is None:
        _refuse_outdir_inside_data(outdir, loop.data)
    dataset = _open_data(cfg, loop)
    fingerprint = source_fingerprint(dataset.source)
    if state is not None and state.get("data_fingerprint", fingerprint) != fingerprint:
        if not allow_data_change:
            raise ConfigError(f"the dataset '{loop.data}' changed since the checkpoint '{state.get('path')}' was "
                              "written (videos added, removed or replaced). Pass --allow-data-change to continue "
                              "on the data as it is now, or restore the data")
        if is_main:
            _notice(f"the dataset '{loop.data}' changed since the checkpoint; continuing on it (--allow-data-change)")
    c_dim = len(dataset.class_names) if cfg.conditional else 0
    if cfg.conditional and c_dim == 0:
        raise ConfigError(f"conditional=true but '{loop.data}' has no classes (labels={cfg.labels!r}): put "
                          "videos in one sub-folder per class and --set labels=folders, or add a labels.json")
    if cfg.batch % world_size:
        raise ConfigError(f"batch {cfg.batch} must be divisible by the number of processes ({world_size})")
    trainer = _build_trainer(cfg, device, c_dim, loop.seed, dist)
    step = nimg = 0
    if state is not None:
        try:
            trainer.load_state_dict(state["trainer"])
        except Exception as e:  # KeyError, shape mismatch (RuntimeError), wrong types ...: not this trainer's state
            from vidsynth.errors import CheckpointError

            raise CheckpointError(f"'{state.get('path')}' does not fit the {cfg.method} trainer ({type(e).__name__}: "
                                  f"{str(e).strip()[:200]}); it is corrupt or from another version") from None
        step, nimg = state["step"], state["nimg"]
        init_weights = state.get("init_weights")         # provenance of a resumed fine-tuning run
    elif init_weights:
        from vidsynth.training.init_weights import load_initial_weights

        load_initial_weights(trainer, init_weights, log=print if rank == 0 else (lambda *a: None))
    if run_dir is None:
        run_dir = new_run_dir(outdir, cfg.method, loop.data, run_name) if is_main else None
        if is_main:
            locks.append(RunLock(run_dir))
    if is_main:
        print(f"dataset: {dataset.num_videos} videos from {loop.data}" + (f" (split {loop.split})" if loop.split else "")
              + (f"; {c_dim} classes, labels from {dataset.label_origin}" if c_dim else ""))
        save_json(run_dir / "config.json", {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop),
                                            "class_names": dataset.class_names, "world_size": world_size,
                                            "num_videos": dataset.num_videos, "data_fingerprint": fingerprint,
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
        # Every rank must hold the same state; a checksum per rank is recorded to prove it.
        checksums = dist.all_gather(_state_checksums(trainer.state_dict()).to(device).unsqueeze(0))
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
                            "data_fingerprint": fingerprint,
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
        real = torch.stack([dataset[(i % dataset.num_videos, 0, False)][0]  # a bad file: another clip, with a warning
                            for i in range(min(8, loop.sample_videos))])
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
