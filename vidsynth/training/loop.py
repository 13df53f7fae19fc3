"""The generic training loop: data, device, run folder, progress, logging, snapshots, resume.

Method-specific work (networks, losses) lives in a *trainer* object (e.g. ``DIGANTrainer``) with
``step(step, clips, labels, cur_nimg) -> stats``, ``state_dict``/``load_state_dict``, ``export`` and
``sample``. This loop never looks inside the networks.

Counters: ``step`` counts optimisation steps, ``nimg`` the real videos shown to D (step * global
batch). A run stops at ``kimg`` thousand videos or after ``minutes``; either way it ends with a
snapshot (samples, exported EMA generator, resume checkpoint), so nothing trained is lost.

Layout: ``train`` -> ``_setup_run`` (resume or new run folder, data, trainer, config.json) ->
``_run_steps`` (the step loop, stats ticks, periodic snapshots) -> ``_snapshot`` (the loop's own files,
then the ``callbacks`` it was given: metrics, report; see ``training/callbacks.py``). This module
imports nothing from the layers above training (metrics, report, apps, cli).
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Sequence

import torch

from vidsynth.config import LoopConfig, save_json
from vidsynth.data.sources import source_fingerprint
from vidsynth.device import resolve_device
from vidsynth.errors import ConfigError, VidsynthError
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.base import Trainer, build_trainer
from vidsynth.training.callbacks import Snapshot, SnapshotCallback, check_callbacks
from vidsynth.training.distributed import DistContext
from vidsynth.training.log_sinks import open_sinks
from vidsynth.training.micro_batch import micro_batches
from vidsynth.training.progress import TrainingProgress
from vidsynth.training.run_dir import RunLock, new_run_dir
from vidsynth.training.snapshots import save_snapshot_model, update_best
from vidsynth.utils.files import append_jsonl
from vidsynth.video.frame_rate import rate_to_json
from vidsynth.video.write import frame_strip, make_grid, write_png, write_video

TICK_SECONDS = 10.0   # how often a stats line is written


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
        from vidsynth.data.clips import open_image_dataset

        return open_image_dataset(loop.data, resolution=cfg.resolution, xflip=cfg.xflip, seed=loop.seed,
                                  split=loop.split or None)
    size = cfg.resolution
    if cfg.method == "digan":  # (height, width): rectangular frames with --set aspect=16:9
        from vidsynth.config import digan_frame_size

        size = digan_frame_size(cfg)
    return open_dataset(loop.data, resolution=size, frames=cfg.frames, stride=cfg.stride,
                        xflip=cfg.xflip, seed=loop.seed, labels=cfg.labels if cfg.conditional else "none",
                        split=loop.split or None, clip_sampling=getattr(cfg, "clip_sampling", "per_video"))


def _refuse_outdir_inside_data(outdir, data: str) -> None:
    """Run folders inside the dataset folder would be read as data by the next run (``train --data .``)."""
    folder = Path(str(data)).expanduser()
    if str(data).startswith(("builtin:", "images:")) or not folder.is_dir():
        return
    out, root = Path(outdir).expanduser().resolve(), folder.resolve()
    if out == root or root in out.parents:
        raise ConfigError(f"--outdir '{outdir}' is inside the dataset folder '{data}': the samples of this run would "
                          "become training data. Choose an --outdir outside the dataset (e.g. --outdir ../runs)")


def check_run_options(loop: LoopConfig, callbacks: Sequence[SnapshotCallback] | None = None) -> None:
    """``best_by`` is one of ``metrics``, ``log`` names known sinks and, when ``callbacks`` are given,
    one of them computes ``metrics`` (ConfigError before any work)."""
    from vidsynth.training.log_sinks import parse_log
    from vidsynth.training.snapshots import validate_best_by

    validate_best_by(loop.best_by, loop.metrics)
    parse_log(loop.log)
    if callbacks is not None:
        check_callbacks(loop, callbacks)


class NonFiniteError(VidsynthError):
    """A loss or weight became NaN/inf: the message names the step and the last good checkpoint."""


# Options that may change when a run is resumed: how long, how often to snapshot, which metrics, and
# on which machine. Everything else (the method config, data, seed, ...) shapes what is trained.
RESUMABLE_OPTIONS = ("kimg", "minutes", "snapshot_kimg", "snapshot_minutes", "num_workers", "device",
                     "keep_checkpoints", "metrics", "metrics_kimg", "keep_models", "best_by", "log")
# Method options that may change on --resume: how a step is cut into passes to fit the device's memory
# (training/micro_batch.py), not what a step computes.
RESUMABLE_METHOD_OPTIONS = ("batch_gpu",)


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
               if k not in RESUMABLE_METHOD_OPTIONS and getattr(cfg, k) != getattr(saved_cfg, k)]
    refused += [(k, getattr(saved_loop, k), getattr(loop, k)) for k in sorted(explicit.get("loop", ()))
                if k not in RESUMABLE_OPTIONS and not _same_option(k, getattr(loop, k), getattr(saved_loop, k))]
    if refused:
        listed = "; ".join(f"{k} (run: {a!r}, given: {b!r})" for k, a, b in refused)
        raise ConfigError(f"cannot change on --resume: {listed}"
                          + ". These shape what is trained: drop them, or start a new run. On --resume you may "
                          f"change: {', '.join(RESUMABLE_OPTIONS + RESUMABLE_METHOD_OPTIONS)}")
    given = [k for k in sorted(explicit.get("loop", ())) if k in RESUMABLE_OPTIONS]
    changed = [f"{k} {getattr(saved_loop, k)!r} -> {getattr(loop, k)!r}" for k in given
               if getattr(loop, k) != getattr(saved_loop, k) and k not in ("num_workers", "device")]
    method_given = {k: getattr(cfg, k) for k in sorted(explicit.get("method", ()))
                    if k in RESUMABLE_METHOD_OPTIONS}
    changed += [f"{k} {getattr(saved_cfg, k)!r} -> {v!r}" for k, v in method_given.items() if v != getattr(saved_cfg, k)]
    saved_cfg = dataclasses.replace(saved_cfg, **method_given)
    if changed and is_main:
        _notice("resuming with " + ", ".join(changed))
    machine = {"num_workers": loop.num_workers, "device": loop.device}  # this machine's, not the old one's
    return saved_cfg, dataclasses.replace(saved_loop, **{**machine, **{k: getattr(loop, k) for k in given}})


def train(cfg, loop: LoopConfig, outdir: str | Path = "runs", resume: str | Path | None = None,
          run_name: str | None = None, progress: bool = True, dist: DistContext | None = None,
          init_weights: str | Path | None = None, explicit: dict | None = None,
          allow_data_change: bool = False, callbacks: Sequence[SnapshotCallback] = ()) -> Path:
    """Train ``cfg`` (a method config) as ``loop`` says; returns the run folder.

    ``resume``: a run folder (or ``auto`` = the newest run in ``outdir`` of the same method) to
    continue exactly where its last checkpoint left off; the run's saved config is used and only
    ``RESUMABLE_OPTIONS`` may change (``explicit``: the option names the user gave; others that
    differ are refused). A run stopped before its first checkpoint starts again from step 0 in its
    folder. A dataset that changed since the checkpoint is refused unless ``allow_data_change``.
    The run folder is locked (``runs.RunLock``) while training.
    ``init_weights``: an exported model whose weights a new run starts from (fine-tuning;
    ``training/init_weights.py``).
    ``callbacks``: ``SnapshotCallback``s called at every snapshot, in order (``vidsynth train`` passes
    ``metrics.callback.MetricsCallback()`` and ``report.callback.ReportCallback()``); a ``loop.metrics``
    that no callback computes is refused.
    """
    check_run_options(loop, callbacks)
    locks = []
    try:
        run = _setup_run(cfg, loop, outdir, resume, run_name, dist or DistContext(), init_weights, explicit,
                         allow_data_change, list(callbacks), locks)
        _run_steps(run, progress)
        return run.run_dir if run.is_main else None
    finally:
        for lock in locks:
            lock.release()


@dataclasses.dataclass
class _Run:
    """A training run in progress: what setup decided and the counters the step loop advances."""

    cfg: object                      # the method config (DIGANConfig, StyleGAN2Config, MoCoGANHDConfig)
    loop: LoopConfig
    dist: DistContext
    device: torch.device
    run_dir: Path | None             # None on ranks other than 0
    dataset: object
    fingerprint: str
    trainer: Trainer
    step: int
    nimg: int
    resumed: bool                    # continued from a checkpoint
    init_weights: str | Path | None
    meta: dict                       # metadata stored with each exported model
    grid: tuple                      # fixed (z, z_motion, c) of the sample grids
    sinks: object = None
    callbacks: list = dataclasses.field(default_factory=list)
    start_nimg: int = 0

    @property
    def is_main(self) -> bool:
        return self.dist.rank == 0


def _setup_run(cfg, loop, outdir, resume, run_name, dist, init_weights, explicit, allow_data_change, callbacks,
               locks) -> _Run:
    """Find or create the run folder, open the data, build (and restore) the trainer, write config.json."""
    is_main = dist.rank == 0
    device = resolve_device(loop.device)
    cfg, loop, run_dir, state = _resume_or_new(cfg, loop, outdir, resume, explicit, is_main, locks)
    check_callbacks(loop, callbacks)       # a resumed run's saved metrics, too
    dataset, fingerprint = _open_checked_data(cfg, loop, state, allow_data_change, is_main)
    c_dim = len(dataset.class_names) if cfg.conditional else 0
    if cfg.conditional and c_dim == 0:
        raise ConfigError(f"conditional=true but '{loop.data}' has no classes (labels={cfg.labels!r}): put "
                          "videos in one sub-folder per class and --set labels=folders, or add a labels.json")
    if cfg.batch % dist.world_size:
        raise ConfigError(f"batch {cfg.batch} must be divisible by the number of processes ({dist.world_size})")
    micro_batches(cfg.batch // dist.world_size, getattr(cfg, "batch_gpu", 0))   # batch_gpu divides each share
    trainer = build_trainer(cfg, device, c_dim, loop.seed, dist)
    step, nimg, init_weights = _restore_trainer(trainer, cfg, state, init_weights, dist.rank)
    if run_dir is None:
        run_dir = new_run_dir(outdir, cfg.method, loop.data, run_name) if is_main else None
        if is_main:
            locks.append(RunLock(run_dir))
    if is_main:
        _write_run_start(run_dir, cfg, loop, dataset, c_dim, fingerprint, dist.world_size, init_weights)
    meta = {"method": cfg.method, "train_frames": cfg.frames, "fps": rate_to_json(loop.fps),
            "class_names": dataset.class_names, "dataset": loop.data, "resolution": cfg.resolution,
            "train_stride": getattr(cfg, "stride", 1), "clip_sampling": getattr(cfg, "clip_sampling", "per_video")}
    return _Run(cfg=cfg, loop=loop, dist=dist, device=device, run_dir=run_dir, dataset=dataset,
                fingerprint=fingerprint, trainer=trainer, step=step, nimg=nimg, resumed=state is not None,
                init_weights=init_weights, meta=meta, grid=_grid_latents(cfg, loop, c_dim, device), callbacks=callbacks)


def _resume_or_new(cfg, loop, outdir, resume, explicit, is_main, locks):
    """``(cfg, loop, run_dir, state)``: the resumed run's folder, configs and checkpoint, or (for a new
    run) the given configs, validated, with ``run_dir`` and ``state`` None."""
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
    return cfg, loop, run_dir, state


def _open_checked_data(cfg, loop, state, allow_data_change, is_main):
    """``(dataset, fingerprint)``; a dataset that changed since the checkpoint needs ``allow_data_change``."""
    dataset = _open_data(cfg, loop)
    fingerprint = source_fingerprint(dataset.source)
    if state is not None and state.get("data_fingerprint", fingerprint) != fingerprint:
        if not allow_data_change:
            raise ConfigError(f"the dataset '{loop.data}' changed since the checkpoint '{state.get('path')}' was "
                              "written (videos added, removed or replaced). Pass --allow-data-change to continue "
                              "on the data as it is now, or restore the data")
        if is_main:
            _notice(f"the dataset '{loop.data}' changed since the checkpoint; continuing on it (--allow-data-change)")
    return dataset, fingerprint


def _restore_trainer(trainer, cfg, state, init_weights, rank):
    """Load the checkpoint's trainer state (or the fine-tuning weights); returns ``(step, nimg, init_weights)``."""
    if state is not None:
        try:
            trainer.load_state_dict(state["trainer"])
        except Exception as e:  # KeyError, shape mismatch (RuntimeError), wrong types ...: not this trainer's state
            from vidsynth.errors import CheckpointError

            raise CheckpointError(f"'{state.get('path')}' does not fit the {cfg.method} trainer ({type(e).__name__}: "
                                  f"{str(e).strip()[:200]}); it is corrupt or from another version") from None
        return state["step"], state["nimg"], state.get("init_weights")   # provenance of a resumed fine-tuning run
    if init_weights:
        from vidsynth.training.init_weights import load_initial_weights

        load_initial_weights(trainer, init_weights, log=print if rank == 0 else (lambda *a: None))
    return 0, 0, init_weights


def _write_run_start(run_dir, cfg, loop, dataset, c_dim, fingerprint, world_size, init_weights) -> None:
    """The dataset line on stdout, ``config.json`` and (if files were skipped) ``skipped_files.json``."""
    print(f"dataset: {dataset.num_videos} videos from {loop.data}" + (f" (split {loop.split})" if loop.split else "")
          + (f"; {c_dim} classes, labels from {dataset.label_origin}" if c_dim else ""))
    save_json(run_dir / "config.json", {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop),
                                        "class_names": dataset.class_names, "world_size": world_size,
                                        "num_videos": dataset.num_videos, "data_fingerprint": fingerprint,
                                        "init_weights": str(init_weights) if init_weights else None})
    if dataset.skipped:
        save_json(run_dir / "skipped_files.json", {"skipped": [list(s) for s in dataset.skipped]})


def _grid_latents(cfg, loop, c_dim, device) -> tuple:
    """Fixed latents for every sample grid, so snapshots are comparable over training."""
    gen = torch.Generator().manual_seed(loop.seed + 12345)
    grid_z = torch.randn(loop.sample_videos, getattr(cfg, "z_dim", 1), generator=gen)  # mocogan-hd: unused
    grid_zm = torch.randn(loop.sample_videos, getattr(cfg, "motion_dim", getattr(cfg, "z_dim", 1)), generator=gen)
    grid_c = None
    if c_dim:
        grid_c = torch.nn.functional.one_hot(torch.arange(loop.sample_videos) % c_dim, c_dim).float().to(device)
    return grid_z, grid_zm, grid_c


def _write_reals(run: _Run) -> None:
    """``reals.mp4``: a grid of the first (up to 8) training clips, once per run."""
    loop, dataset = run.loop, run.dataset
    real = torch.stack([dataset[(i % dataset.num_videos, 0, False)][0]  # a bad file: another clip, with a warning
                        for i in range(min(8, loop.sample_videos))])
    write_video(run.run_dir / "reals.mp4", make_grid(real.float() / 127.5 - 1), fps=loop.fps)


def _run_steps(run: _Run, progress: bool) -> None:
    """Train until ``kimg``, ``minutes`` or a signal; snapshot on the way and at the end."""
    cfg, loop, dist, is_main = run.cfg, run.loop, run.dist, run.is_main
    run.sinks = open_sinks(loop.log, run.run_dir, {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop)},
                           resume=run.resumed) if is_main else None
    if is_main and not run.resumed:
        _write_reals(run)
    run.start_nimg = run.nimg
    total_nimg = int(loop.kimg * 1000)
    start_time = time.time()
    last_snap_nimg, last_snap_time, last_tick = run.nimg, start_time, start_time
    tick_stats: dict[str, list[float]] = {}
    bar = TrainingProgress(loop.kimg, loop.minutes, run.nimg, desc=f"{cfg.method} {run.run_dir.name if is_main else ''}",
                           enabled=progress and is_main)
    batches, frames_for_step = _open_batches(run)
    stop = run.nimg >= total_nimg
    signals = StopSignal()
    try:
        with signals:
            while not stop:
                wait_start = time.perf_counter()
                clips, labels = next(batches)
                waited = time.perf_counter() - wait_start
                if frames_for_step is None:
                    stats = run.trainer.step(run.step, clips, labels, run.nimg)
                else:
                    stats = run.trainer.step(run.step, clips, labels, run.nimg, frames_for_step(run.step))
                _check_finite_stats(run, stats)
                for k, v in stats.items():
                    tick_stats.setdefault(k, []).append(v)
                tick_stats.setdefault("time/data_wait", []).append(waited)
                run.step += 1
                run.nimg += cfg.batch
                bar.update(run.nimg)
                now = time.time()
                out_of_time = loop.minutes > 0 and now - start_time >= loop.minutes * 60
                interrupted = dist.any(signals.received is not None)
                stop = run.nimg >= total_nimg or out_of_time or interrupted
                if is_main and (now - last_tick >= TICK_SECONDS or stop):
                    _write_tick(run, tick_stats, bar, now - start_time, now - last_tick)
                    tick_stats, last_tick = {}, now
                snap_due = (loop.snapshot_kimg > 0 and run.nimg - last_snap_nimg >= loop.snapshot_kimg * 1000) or \
                           (loop.snapshot_minutes > 0 and now - last_snap_time >= loop.snapshot_minutes * 60)
                if snap_due and not stop:
                    _snapshot(run)
                    last_snap_nimg, last_snap_time = run.nimg, time.time()
    finally:
        bar.close()
    _snapshot(run, final=True)
    dist.barrier()   # the other ranks wait until rank 0 has written the final files
    if run.sinks:
        run.sinks.close()
    if signals.received and is_main:
        import sys

        print(f"\n{signals.received} received: saved a final checkpoint at step {run.step} (kimg "
              f"{run.nimg / 1000:.3f}). Continue with: vidsynth train --method {cfg.method} --resume {run.run_dir}",
              file=sys.stderr)


def _open_batches(run: _Run):
    """The run's batch iterator and, for a trainer that looks at only some frames of each clip (DIGAN:
    ``real_frames``), the function giving the step those frames (the loader decodes only them; else None).
    Workers decode and resize; batches are pinned for a CUDA device."""
    from vidsynth.data import iterate_batches

    cfg, loop, dist = run.cfg, run.loop, run.dist
    real_frames = getattr(run.trainer, "real_frames", None)
    frames_of_step = frames_for_step = None
    if real_frames is not None:
        local, drawn = cfg.batch // dist.world_size, {}  # step -> [local, k] clip frame numbers

        def frames_of_step(step: int):  # the loader asks first (ahead of the step, while prefetching)
            drawn[step] = real_frames(step, local)
            return drawn[step]

        def frames_for_step(step: int):  # the step takes them: only the prefetched steps' are ever kept
            return drawn.pop(step) if step in drawn else real_frames(step, local)
    batches = iterate_batches(run.dataset, cfg.batch, loop.seed, start_step=run.step, rank=dist.rank,
                              world_size=dist.world_size, num_workers=loop.num_workers,
                              frames_of_step=frames_of_step, pin_memory=run.device.type == "cuda")
    return batches, frames_for_step


def _check_finite_stats(run: _Run, stats: dict) -> None:
    """NonFiniteError naming the first non-finite loss statistic and the last good checkpoint."""
    bad = [k for k, v in stats.items() if not math.isfinite(v)]
    if bad:
        last = ckpt.list_checkpoints(run.run_dir) if run.is_main else []
        raise NonFiniteError(
            f"{', '.join(bad)} became {stats[bad[0]]} at step {run.step} (kimg {run.nimg / 1000:.3f}); training "
            f"stopped without saving. Last good checkpoint: {last[0] if last else 'none'}. Resume from it "
            "(--resume) with a lower --set lr=... or a higher --set r1_gamma=...")


def _write_tick(run: _Run, tick_stats: dict, bar: TrainingProgress, elapsed: float, tick_seconds: float) -> None:
    """One ``stats.jsonl`` line (and sink scalars): the tick's mean statistics, counters and speed."""
    waits = tick_stats.pop("time/data_wait", [])
    record = {k: sum(v) / len(v) for k, v in tick_stats.items()}
    steps = len(waits) or sum(len(v) for v in tick_stats.values()) / max(len(tick_stats), 1)
    record.update(step=run.step, kimg=run.nimg / 1000, time=elapsed,
                  sec_per_kimg=tick_seconds / max(steps * run.cfg.batch / 1000, 1e-9),
                  data_wait_share=min(sum(waits) / max(tick_seconds, 1e-9), 1.0))  # of the tick's time, waiting for data
    if run.device.type == "cuda":
        record["peak_mem_gb"] = torch.cuda.max_memory_allocated(run.device) / 2**30
    append_jsonl(run.run_dir / "stats.jsonl", record)
    run.sinks.scalars(record, run.nimg)
    bar.postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in record.items() if k.startswith("loss/")}
                | {"data_wait": f"{record['data_wait_share']:.0%}"})


def _snapshot(run: _Run, final: bool = False) -> None:
    """Sample grids, the exported model, the resume checkpoint and a ``snapshots.jsonl`` line; then the
    callbacks (metrics, report), whose metric values go to the sinks and to ``model-best/``."""
    # Every rank must hold the same state; a checksum per rank is recorded to prove it.
    checksums = run.dist.all_gather(_state_checksums(run.trainer.state_dict()).to(run.device).unsqueeze(0))
    if not run.is_main:
        return
    trainer, loop, run_dir, step, nimg = run.trainer, run.loop, run.run_dir, run.step, run.nimg
    module, kwargs = trainer.export()
    if not _all_finite(module) or not _all_finite(trainer.G):
        last = ckpt.list_checkpoints(run_dir)
        raise NonFiniteError(f"the generator weights are not finite at step {step} (kimg {nimg / 1000:.3f}); "
                             "nothing was saved. Last good checkpoint: "
                             f"{last[0] if last else 'none'}. Resume from it with a lower --set lr=... or "
                             "higher --set r1_gamma=...")
    kimg = nimg / 1000
    _write_samples(run, kimg)
    model_dir = save_snapshot_model(run_dir, module, kwargs, dict(run.meta, kimg=kimg, step=step), kimg,
                                    keep=loop.keep_models)
    ckpt.save(run_dir, {"trainer": trainer.state_dict(), "step": step, "nimg": nimg, "method": run.cfg.method,
                        "init_weights": str(run.init_weights) if run.init_weights else None,
                        "data_fingerprint": run.fingerprint,
                        "config": {"method": dataclasses.asdict(run.cfg), "loop": dataclasses.asdict(loop)}},
              step, keep=loop.keep_checkpoints)
    append_jsonl(run_dir / "snapshots.jsonl", {"kimg": kimg, "step": step, "final": final, "time": time.time(),
                                               "rank_checksums": checksums.cpu().tolist()})
    snap = Snapshot(run_dir=run_dir, kimg=kimg, nimg=nimg, step=step, final=final, start_nimg=run.start_nimg,
                    model_dir=model_dir, module=module, meta=run.meta, loop=loop, device=run.device)
    for callback in run.callbacks:
        values = callback(snap)
        if values:
            run.sinks.scalars({f"metrics/{name}": value for name, value in values.items()}, nimg)
            update_best(run_dir, loop.best_by, kimg, values)


def _write_samples(run: _Run, kimg: float) -> None:
    """``samples-<kimg>kimg.mp4``, ``samples-latest.gif|png`` from the fixed grid latents; also to the sinks."""
    loop = run.loop
    videos = run.trainer.sample(run.grid[0], run.grid[1], loop.sample_frames, run.grid[2])
    grid = make_grid(videos)
    write_video(run.run_dir / f"samples-{kimg:09.3f}kimg.mp4", grid, fps=loop.fps)
    gif = write_video(run.run_dir / "samples-latest.gif", grid, fps=loop.fps)
    strip = frame_strip(grid, 4)
    write_png(run.run_dir / "samples-latest.png", strip)
    run.sinks.samples(strip, gif, run.nimg)
