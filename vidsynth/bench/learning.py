"""``vidsynth bench --measure learning``: a learning curve against honest baselines.

Trains a named preset (``digan-tiny``, ``digan-test``, ...) on a dataset for a budget of training
minutes and, every ``every`` minutes of training, measures FVD and KVD (``fvd{N}_16f``,
``kvd{N}_16f``: N clips per side, 16 frames, the Kinetics I3D) of the run's current EMA generator
against the training data. Beside the curve, three baselines measured the same way:

- ``noise_floor``: held-out real clips (builtin data: videos of another seed, never trained on;
  files: a second random draw of clips). What a perfect generator would score with N clips.
- ``static``: the first frame of each held-out clip held for the whole clip: perfect content, no
  motion. A video generator that does not beat it has learned less than a still photograph.
- ``untrained``: the generator as the run's seed initialises it, before any step.

On a sensible set the baselines are ordered noise floor < static < untrained, and a generator that
learns falls from ``untrained`` towards the noise floor; ``beats_static_minute`` is the first point
whose FVD is below static's, and ``steady_end`` the mean of the last ``STEADY_POINTS`` points (one point
can be a lucky wobble). Compare presets or losses by ratios of FVDs in one run (FVD from a few
clips is biased upward, roughly as 1/N, so only numbers of the same N compare).

Training runs in chunks of ``every`` minutes through the same Python API ``vidsynth train`` uses
(``training.loop.train``, resuming the run folder between chunks; a resumed run continues as if it
never stopped), so time spent on metrics never counts against the budget: the budget is the sum of
the chunks' own training time (the ``time`` of each chunk's last ``stats.jsonl`` line).
``learning.json`` (and ``learning.png``, shown in the run's ``report.html``) is rewritten atomically
after every baseline and point, so Ctrl-C leaves a valid partial result; ``resume=RUN`` continues it.
"""
from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path
from typing import Callable

import torch

from vidsynth.errors import ConfigError
from vidsynth.utils.files import atomic_write, atomic_write_text
from vidsynth.utils.signals import restore_terminate, terminate_as_interrupt

PROTOCOL_FRAMES = 16         # frames per clip (the I3D needs >= 9)
RESULT_FILE = "learning.json"
PLOT_FILE = "learning.png"
BASELINES = ("noise_floor", "static", "untrained")
# The curve's end is also given as the mean of its last this many points (``steady_end``).
STEADY_POINTS = 3
# Fields that change how a run trains but not its generator at step 0 (--baselines-from reuses "untrained").
OPTIMISER_FIELDS = frozenset({"lr", "beta1", "beta2", "r1_gamma", "r1_interval", "g_reg_interval", "ema_kimg",
                              "ema_rampup", "diffaugment", "batch"})
# The settings a resumed curve must share with its first part (the budget ``minutes`` may change).
FIXED_ON_RESUME = ("config", "data", "every", "every_kimg", "clips", "seed", "overrides")
# ``budget="kimg"`` (``--kimg``/``--every-kimg``): the budget and the points are counted in thousands of
# training videos instead of minutes. Quality per kimg does not depend on how loaded the machine is, so
# curves measured on a busy machine compare; the result records the kimg/min measured beside them
# (``kimg_per_minute``), from which a time budget on a quiet machine converts.


# method -> how its presets are named in --config (mocogan-hd first: "mocogan-hd-tiny" is not a digan name)
METHODS = ("mocogan-hd", "digan")
# A MoCoGAN-HD preset's image generator: the stylegan2 preset of the same name, except these.
IMAGE_PRESETS = {"paper": "paper256"}
# MoCoGAN-HD: the most of the budget the image generator (stage 1) may take; its share is measured
# (bench/frame_curve.py: StageSplit, split_by_measurement).
IMAGE_SHARE = 0.7


IMAGE_PREFIX = "image."   # --set image.KEY=VALUE: a field of a MoCoGAN-HD run's image generator (stage 1)


def split_overrides(method: str, overrides: dict | None) -> tuple[dict, dict]:
    """``--set`` overrides -> ``(the method's own, the image generator's)``: ``image.KEY`` goes to the image
    stage of a MoCoGAN-HD run (``{"image.lr": "0.001"}`` -> ``{"lr": "0.001"}``); DIGAN has no such stage."""
    own, image = {}, {}
    for key, value in (overrides or {}).items():
        if key.startswith(IMAGE_PREFIX):
            if method != "mocogan-hd":
                raise ConfigError(f"--set {key}: image.KEY sets a field of MoCoGAN-HD's image generator (stage 1); "
                                  f"{method} has no image stage: drop the '{IMAGE_PREFIX}' prefix")
            image[key[len(IMAGE_PREFIX):]] = value
        else:
            own[key] = value
    return own, image


def parse_config(name: str) -> tuple[str, str]:
    """``"digan-tiny"`` -> ``("digan", "tiny")``: a method and one of its presets in ``vidsynth.config``."""
    from vidsynth.config import PRESETS

    for method in METHODS:
        prefix = f"{method}-"
        if name.startswith(prefix) and name[len(prefix):] in PRESETS[method]:
            return method, name[len(prefix):]
    choices = [f"{m}-{p}" for m in reversed(METHODS) for p in PRESETS[m]]
    raise ConfigError(f"--config {name!r} cannot be trained by --measure learning: choose one of {', '.join(choices)}")


def metric_names(clips: int) -> list[str]:
    """The FVD and KVD protocol names for ``clips`` clips per side (16 frames)."""
    return [f"fvd{clips}_{PROTOCOL_FRAMES}f", f"kvd{clips}_{PROTOCOL_FRAMES}f"]


def beats_static(curve: list[dict], static_fvd: float | None, axis: str = "minutes") -> float | None:
    """``axis`` (training minutes or kimg) of the first curve point whose FVD is below the static
    baseline's (None: never)."""
    if static_fvd is None:
        return None
    for point in curve:
        if point["fvd"] < static_fvd:
            return point[axis]
    return None


def steady_end(curve: list[dict], static_fvd: float | None, points: int = STEADY_POINTS) -> dict | None:
    """Where the curve ends, steadier than its last point: ``{"points", "fvd", "x_static"}``, the mean FVD of
    the last ``points`` points and its ratio to the static baseline's (None without a static FVD). None when
    the curve has fewer points. A GAN's FVD wobbles from point to point (up to 1.9x between neighbours in
    docs/performance.md), so one point, first crossing included, can be luck; the mean of a few is not."""
    if len(curve) < points:
        return None
    fvd = sum(p["fvd"] for p in curve[-points:]) / points
    return {"points": points, "fvd": fvd, "x_static": None if not static_fvd else fvd / static_fvd}


def summary_line(result: dict) -> str:
    """``"beats static at minute 3"`` (``"... at kimg 2.5 (minute 4.1)"`` for a kimg budget) or
    ``"never beats static"`` (within the budget trained so far), then, once the curve has
    ``STEADY_POINTS`` points, ``"; the last 3 points average FVD 371.2 (1.19x static)"``."""
    static = result["baselines"].get("static", {}).get("fvd")
    minute = beats_static(result["curve"], static)
    if minute is None:
        line = "never beats static"
    elif result.get("settings", {}).get("budget") == "kimg":
        line = f"beats static at kimg {beats_static(result['curve'], static, 'kimg'):g} (minute {minute:g})"
    else:
        line = f"beats static at minute {minute:g}"
    end = steady_end(result["curve"], static)
    if end is not None:
        line += f"; the last {end['points']} points average FVD {end['fvd']:.1f}"
        if end["x_static"] is not None:
            line += f" ({end['x_static']:.2f}x static)"
    return line


def clip_protocol(cfg) -> dict:
    """How a config cuts its real clips: ``{"resolution", "stride", "clip_sampling"}``."""
    return {"resolution": cfg.resolution, "stride": getattr(cfg, "stride", 1),
            "clip_sampling": getattr(cfg, "clip_sampling", "per_video")}


def real_protocol(result: dict) -> dict:
    """How a learning result cut its real clips (``clip_protocol`` of its config).

    Baselines are only comparable between runs whose real clips are the same: a stride-2 clip moves twice
    as far in its 16 frames, so its static baseline is another number (builtin:scene: 725.4 at stride 2
    against 506.7 at stride 1). Results written before these fields existed get them from their config.
    """
    from vidsynth.config import method_config

    if "stride" not in result or "clip_sampling" not in result or "resolution" not in result:
        method, preset = parse_config(result["settings"]["config"])
        own = split_overrides(method, result["settings"].get("overrides"))[0]
        result = {**clip_protocol(method_config(method, preset, own)), **result}
    return {k: result[k] for k in ("resolution", "stride", "clip_sampling")}


# -- the baselines' clips -------------------------------------------------------------------------------
def held_out_clips(data: str, resolution: int, stride: int, clips: int, seed: int,
                   clip_sampling: str = "per_video") -> torch.Tensor:
    """``clips`` real clips ``[N, 3, 16, R, R]`` in [-1, 1] that the metrics' real side does not use.

    ``builtin:NAME``: videos of seed ``seed + 1``, which neither training (seed ``seed``) nor the
    metrics (seed 0 videos) read. Files: clips drawn with another seed than the metrics' real clips.
    """
    from vidsynth.data import open_dataset
    from vidsynth.metrics.sources import iter_real, real_clip_keys

    ds = open_dataset(data, resolution, PROTOCOL_FRAMES, stride=stride, seed=seed + 1)
    span = (PROTOCOL_FRAMES - 1) * stride + 1
    keys = real_clip_keys(ds, clips, span, seed + 1, clip_sampling)
    return torch.cat(list(iter_real(ds, clips, span, keys=keys)))


def static_clips(videos: torch.Tensor) -> torch.Tensor:
    """Each clip's first frame held for the whole clip: ``[N, 3, T, H, W]`` -> same shape."""
    return videos[:, :, :1].expand_as(videos).contiguous()


def untrained_sampler(cfg, seed: int, device: torch.device, meta: dict):
    """A sampler of the generator exactly as a run of ``cfg`` with ``seed`` starts (its EMA copy at step 0)."""
    from vidsynth.registry import sampler_class
    from vidsynth.training.base import build_trainer
    from vidsynth.training.distributed import DistContext

    module, _ = build_trainer(cfg, device, 0, seed, DistContext()).export()
    return sampler_class(type(module).__name__)(module, meta)


def measure(fake, data: str, clips: int, resolution: int, stride: int, clip_sampling: str, seed: int,
            device: torch.device) -> dict:
    """``{"fvd", "kvd", "eval_s"}`` of ``fake`` (a sampler or a float clip tensor) against ``data``."""
    from vidsynth.metrics.evaluation import SmallSampleWarning, evaluate

    start = time.time()
    with warnings.catch_warnings():   # few clips on purpose: the bias is stated in the result's note
        warnings.simplefilter("ignore", SmallSampleWarning)
        results = evaluate(metric_names(clips), real=data, fake=fake, device=str(device), seed=seed,
                           progress=False, resolution=resolution, real_stride=stride, clip_sampling=clip_sampling)
    fvd, kvd = (r["value"] for r in results)
    return {"fvd": fvd, "kvd": kvd, "eval_s": round(time.time() - start, 1)}


# -- the result file ---------------------------------------------------------------------------------
def write_result(run_dir: Path, result: dict) -> None:
    """``learning.json`` and ``learning.png`` (atomically), and the run's ``report.html``."""
    from vidsynth.report.page import write_report
    from vidsynth.report.plots import learning_plot

    static = result["baselines"].get("static", {}).get("fvd")
    result["beats_static_minute"] = beats_static(result["curve"], static)
    result["beats_static_kimg"] = beats_static(result["curve"], static, "kimg")
    result["steady_end"] = steady_end(result["curve"], static)
    result["summary"] = summary_line(result)
    atomic_write_text(run_dir / RESULT_FILE, json.dumps(result, indent=2) + "\n")
    png = learning_plot(result)
    if png is not None:
        atomic_write(run_dir / PLOT_FILE, lambda tmp: tmp.write_bytes(png))
    if (run_dir / "config.json").exists():
        write_report(run_dir)


def read_result(run_dir: Path, option: str = "--resume") -> dict:
    """The ``learning.json`` of a run folder, or that file itself (ConfigError naming the file when it is
    missing or unreadable)."""
    path = Path(run_dir) if Path(run_dir).is_file() else Path(run_dir) / RESULT_FILE
    try:
        result = json.loads(path.read_text())
        if not isinstance(result, dict) or result.get("measure") != "learning" or "settings" not in result:
            raise ValueError("not a learning result")
        return result
    except (OSError, ValueError) as e:
        raise ConfigError(f"{option} {run_dir}: cannot read {path} ({type(e).__name__}: {e}); give a run folder "
                          "written by vidsynth bench --measure learning") from None


def _repoint_moved_run(result: dict, given: Path, log: Callable[[str], None]) -> None:
    """``--resume DIR`` continues in DIR, the folder given: ``learning.json`` records absolute run paths, and a
    run folder copied or moved elsewhere must not train on (or fail to find) the folder it was copied from.
    MoCoGAN-HD keeps two runs: DIR replaces the one of its own stage (its ``config.json`` method), and the
    other is looked for beside DIR when its recorded path is gone."""
    from vidsynth.training.run_dir import read_run_config

    folder = given.parent if given.is_file() else given
    run_config = read_run_config(folder)
    if run_config is None:
        return   # a bare learning.json (e.g. interrupted before any run folder): nothing to re-point
    key = "image_run" if run_config["method"].get("method") == "stylegan2" else "run"
    recorded = result.get(key)
    if recorded is not None and Path(recorded).resolve() != folder.resolve():
        log(f"--resume {given}: continuing in {folder} (learning.json recorded {recorded})")
        result[key] = str(folder)
    other = "run" if key == "image_run" else "image_run"
    if result.get(other) is not None and not Path(result[other]).is_dir():
        beside = folder.parent / Path(result[other]).name   # both folders moved together
        if beside.is_dir():
            result[other] = str(beside)
            return
        raise ConfigError(f"--resume {given}: its other run folder {result[other]} (learning.json '{other}') is "
                          "missing; move both run folders of a MoCoGAN-HD curve together and resume from the "
                          "new place of either")


def _chunk_training(run_dir: Path) -> tuple[float, float, int]:
    """``(seconds, kimg, step)`` of the chunk that just ended: its last ``stats.jsonl`` line."""
    from vidsynth.utils.files import read_jsonl

    last = read_jsonl(run_dir / "stats.jsonl")[-1]
    return float(last["time"]), float(last["kimg"]), int(last["step"])


# -- the benchmark -----------------------------------------------------------------------------------
def run_learning(config: str, data: str, minutes: float | None = None, every: float | None = None,
                 clips: int = 64, seed: int = 0, device: str = "auto", outdir: str | Path = "runs",
                 resume: str | Path | None = None, progress: bool = False,
                 log: Callable[[str], None] = lambda msg: None, kimg: float | None = None,
                 every_kimg: float | None = None, overrides: dict | None = None,
                 baselines_from: str | Path | None = None) -> dict:
    """Train ``config`` on ``data`` for ``minutes`` of training, measuring every ``every`` minutes; or
    (``kimg``, ``every_kimg``) for ``kimg`` thousand training videos, measuring every ``every_kimg``.

    Returns the result (also ``RUN/learning.json``): ``settings``, ``run``, ``status`` (``complete`` or
    ``interrupted``), ``trained_minutes`` (training only), ``wall_minutes`` (metrics included),
    ``baselines`` {name: {fvd, kvd, eval_s}}, ``curve`` [{minutes, kimg, step, fvd, kvd, eval_s}],
    ``beats_static_minute`` (None: never) and ``summary``.
    MoCoGAN-HD (two stages): the image generator trains first (until its per-frame FID stops improving or beats the static frames, at most ``IMAGE_SHARE`` of the budget: ``_train_image_stage``) in its own
    run (``image_run``; the curve's minutes include it), then the motion generator (both runs hold the
    result); the untrained baseline is the motion generator as initialised on that image generator, and
    the complete result adds ``frame_fid`` (per-frame FID over an unrolled clip, ``frame_fid_over_time``) and
    ``motion_diversity`` (do the videos move differently? ``models/mocogan_hd/motion_diversity.py``).
    A kimg budget adds ``kimg_per_minute`` (kimg trained / training minutes; it depends on the load, the
    curve does not) and ``beats_static_kimg``. ``overrides``: config fields changed from the preset (``--set``;
    kept in ``settings`` so that tuning runs say what they tried); for MoCoGAN-HD they reach the motion stage
    and ``image.KEY`` ones the image stage (``split_overrides``). ``baselines_from``: a ``learning.json``
    (or its run folder) of the same data, clips and seed whose noise-floor and static baselines are reused
    (they do not depend on the preset, only on the data, resolution, clips and seed), and its untrained
    baseline too when both runs share the preset and differ only in ``OPTIMISER_FIELDS`` (the generator
    at step 0 is the same; never for MoCoGAN-HD, whose untrained motion generator renders through the image
    generator this run trains): two or three metric evaluations fewer per tuning run.
    ``resume``: the folder holding ``learning.json`` of an earlier, interrupted or shorter, call with the
    same settings.
    """
    from vidsynth.config import method_config
    from vidsynth.device import resolve_device

    by_kimg = kimg is not None or every_kimg is not None
    if by_kimg and (minutes is not None or every is not None):
        raise ConfigError("give the budget either in minutes (--minutes/--every) or in kimg (--kimg/--every-kimg), "
                          "not both")
    if by_kimg:
        every_kimg = kimg if every_kimg is None else every_kimg
        checks = (("--kimg", kimg, "kimg"), ("--every-kimg", every_kimg, "kimg"))
    else:
        minutes = 5.0 if minutes is None else minutes
        every = 1.0 if every is None else every
        checks = (("--minutes", minutes, "minutes"), ("--every", every, "minutes"))
    for name, value, unit in checks:
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ConfigError(f"{name} must be a positive number of {unit}, got {value!r}")
    if clips < 2:
        raise ConfigError(f"--clips must be >= 2 (a covariance needs 2 clips per side), got {clips}")
    method, preset = parse_config(config)
    two_stage = method == "mocogan-hd"
    if two_stage and by_kimg:
        raise ConfigError(f"--kimg is not supported for {config} (two stages share a time budget): use --minutes")
    own_overrides, image_overrides = split_overrides(method, overrides)
    cfg = method_config(method, preset, own_overrides)
    if image_overrides:
        method_config("stylegan2", IMAGE_PRESETS.get(preset, preset), image_overrides)   # a bad key fails now
    fl = lambda v: None if v is None else float(v)   # noqa: E731
    settings = {"config": config, "data": str(data), "budget": "kimg" if by_kimg else "minutes",
                "minutes": fl(minutes), "every": fl(every), "kimg": fl(kimg), "every_kimg": fl(every_kimg),
                "clips": int(clips), "seed": int(seed), "overrides": dict(overrides or {})}
    dev = resolve_device(device)
    if resume is not None:
        result = read_result(Path(resume))
        changed = [f"{k} (run: {result['settings'].get(k)!r}, given: {settings[k]!r})" for k in FIXED_ON_RESUME
                   if result["settings"].get(k) != settings[k]]
        if result["settings"].get("budget", "minutes") != settings["budget"]:
            changed.append(f"the budget's unit (run: {result['settings'].get('budget', 'minutes')}, "
                           f"given: {settings['budget']})")
        if changed:
            raise ConfigError(f"--resume {resume}: cannot change {'; '.join(changed)}; only --minutes (or --kimg) "
                              "may change")
        result["settings"].update(minutes=settings["minutes"], kimg=settings["kimg"])
        _repoint_moved_run(result, Path(resume), log)
    else:
        result = {
            "measure": "learning", "settings": settings, "method": method, "preset": preset,
            "metrics": metric_names(clips), "device": str(dev), "threads": torch.get_num_threads(),
            **clip_protocol(cfg),
            "run": None, "status": "running", "trained_minutes": 0.0, "wall_minutes": 0.0, "baselines": {}, "curve": [],
            "note": (f"FVD/KVD from {clips} real and {clips} generated clips ({PROTOCOL_FRAMES} frames) against the "
                     "training data: biased upward at small N, so compare only numbers of one N (ratios in one run). "
                     "Minutes are training time only; metric time is not counted."),
        }
        if by_kimg:
            result.update(trained_kimg=0.0, kimg_per_minute=None)
        if two_stage:
            result.update(image_run=None, image_minutes=minutes * IMAGE_SHARE, image_trained_minutes=0.0)
        if baselines_from is not None:
            other = read_result(Path(baselines_from), "--baselines-from")
            changed = [k for k in ("data", "clips", "seed") if other["settings"].get(k) != settings[k]]
            theirs_clip, ours_clip = real_protocol(other), real_protocol(result)
            changed += [f"{k} ({theirs_clip[k]!r}, this run {ours_clip[k]!r})" for k in ours_clip
                        if theirs_clip[k] != ours_clip[k]]
            if changed:
                raise ConfigError(f"--baselines-from {baselines_from}: its {', '.join(changed)} differ; give a "
                                  "learning.json of the same --data, --clips, --seed and real clips (resolution, "
                                  "stride, clip_sampling: the config's)")
            reuse = ["noise_floor", "static"]
            theirs, ours = other["settings"].get("overrides") or {}, settings["overrides"]
            # MoCoGAN-HD's untrained baseline is the motion generator on *this* run's image stage: never reused
            if not two_stage and other["settings"]["config"] == config and all(
                    k in OPTIMISER_FIELDS for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k)):
                reuse.append("untrained")
            result["baselines"] = {k: other["baselines"][k] for k in reuse if k in other["baselines"]}
            result["baselines_from"] = str(baselines_from)
    stride, clip_sampling = (clip_protocol(cfg)[k] for k in ("stride", "clip_sampling"))
    measure_args = dict(data=str(data), clips=clips, resolution=cfg.resolution, stride=stride,
                        clip_sampling=clip_sampling, seed=seed, device=dev)
    meta = {"method": method, "train_frames": cfg.frames, "resolution": cfg.resolution, "train_stride": stride,
            "clip_sampling": clip_sampling, "class_names": [], "dataset": str(data)}
    state = {"started": time.time(), "wall_before": result.get("wall_minutes", 0.0)}  # wall: metrics included

    def save():   # MoCoGAN-HD: into both runs, so that either resumes the whole benchmark
        result["wall_minutes"] = state["wall_before"] + (time.time() - state["started"]) / 60
        for folder in (result.get("image_run"), result["run"]):
            if folder is not None:
                write_result(Path(folder), result)

    def baseline(name, fake):
        if name not in result["baselines"]:
            log(f"baseline {name} ...")
            result["baselines"][name] = measure(fake() if callable(fake) else fake, **measure_args)
            log(f"baseline {name}: FVD {result['baselines'][name]['fvd']:.1f}")
            save()

    tag = str(data).replace("builtin:", "").rstrip("/").split("/")[-1]
    previous = terminate_as_interrupt()   # a scheduler's SIGTERM during a metric ends like Ctrl-C: status recorded
    try:
        if "noise_floor" not in result["baselines"] or "static" not in result["baselines"]:
            held = held_out_clips(str(data), cfg.resolution, stride, clips, seed, clip_sampling)
            baseline("noise_floor", held)
            baseline("static", static_clips(held))
        if two_stage:
            cfg = _train_image_stage(result, preset, data, seed, dev, outdir, tag, progress, save, log,
                                        measure_args)
        baseline("untrained", lambda: untrained_sampler(cfg, seed, dev, meta))  # the run's own step 0
        budget, step_size = (kimg, every_kimg) if by_kimg else (minutes, every)
        trained = lambda: result["trained_kimg"] if by_kimg else result["trained_minutes"]   # noqa: E731

        def add_point(run_dir, done_kimg, step):
            from vidsynth.loader import load_generator

            point = {"minutes": round(result["trained_minutes"], 3), "kimg": done_kimg, "step": step,
                     **measure(load_generator(run_dir, device=dev), **measure_args)}
            result["curve"].append(point)
            result.pop("pending_point", None)
            save()
            log(f"minute {point['minutes']:.2f} ({done_kimg:.2f} kimg): FVD {point['fvd']:.1f}, KVD {point['kvd']:.3f}; "
                f"static {result['baselines']['static']['fvd']:.1f}")

        pending = result.get("pending_point")
        if pending is not None:   # resumed: a chunk whose metric was interrupted (Ctrl-C, SIGTERM) gets it now
            log(f"the point at {pending['kimg']:.2f} kimg was not measured (interrupted): measuring it now")
            add_point(Path(result["run"]), pending["kimg"], pending["step"])
        while trained() < budget - 1e-9:
            done = trained()
            next_due = (math.floor(done / step_size + 1e-9) + 1) * step_size   # the next multiple of the step
            target = min(next_due, budget)
            run_dir, seconds, done_kimg, step = _train_chunk(
                cfg, data, None if by_kimg else target - done, seed, dev, outdir, result["run"],
                f"learning-{preset}-{tag}", progress, kimg=target if by_kimg else None)
            result["run"] = str(run_dir)
            result["trained_minutes"] += seconds / 60
            if by_kimg:
                result["trained_kimg"] = done_kimg
                result["kimg_per_minute"] = round(done_kimg / max(result["trained_minutes"], 1e-9), 4)
            # the loop stopped before its budget: a signal (Ctrl-C / SIGTERM); no point there
            stopped = (done_kimg < target - 1e-9) if by_kimg else (seconds < (target - done) * 60)
            if not stopped:   # a point is due: recorded first, so that a resume measures it if its metric is cut
                result["pending_point"] = {"kimg": done_kimg, "step": step}
            save()
            if stopped:
                raise KeyboardInterrupt
            add_point(run_dir, done_kimg, step)
        if two_stage and "frame_fid" not in result:
            log("per-frame FID over an unrolled clip ...")
            result["frame_fid"] = unrolled_frame_fid(result["run"], cfg, data, clips, seed, dev)
        if two_stage and "motion_diversity" not in result:
            result["motion_diversity"] = latent_motion_diversity(result["run"], cfg, clips, seed, dev)
        result["status"] = "complete"
    except KeyboardInterrupt:
        result["status"] = "interrupted"
        where = result["run"] or result.get("image_run")
        log("interrupted: the partial curve is kept" + (f"; continue with --resume {where}" if where else ""))
    finally:
        restore_terminate(previous)
    save()
    if not (result["run"] or result.get("image_run")):   # interrupted before any run folder: nothing written
        result["beats_static_minute"], result["summary"] = None, summary_line(result)
    return result


def _train_chunk(cfg, data, minutes: float | None, seed: int, device, outdir, run, run_name: str, progress: bool,
                 kimg: float | None = None):
    """Train ``minutes`` more, or up to ``kimg`` in total (a new run, or ``run`` resumed);
    ``(run_dir, seconds, kimg, step)`` of the chunk.

    ``seconds``: the chunk's own training time (its last ``stats.jsonl`` line), start-up and snapshot excluded.
    """
    from vidsynth.config import LoopConfig
    from vidsynth.training.loop import train
    from vidsynth.training.progress import UNLIMITED_KIMG

    loop = LoopConfig(data=str(data), kimg=UNLIMITED_KIMG if kimg is None else kimg, minutes=minutes or 0.0,
                      seed=seed, snapshot_kimg=0,
                      snapshot_minutes=0, device=str(device), num_workers=0, keep_checkpoints=1,
                      keep_models=0,                   # keep every point's model (tiny presets: small folders)
                      sample_frames=1 if cfg.method == "stylegan2" else 16)
    run_dir = train(cfg, loop, outdir=outdir, resume=run, run_name=run_name, progress=progress)
    return (run_dir, *_chunk_training(run_dir))


def _train_image_stage(result, preset, data, seed, device, outdir, tag, progress, save, log, measure_args):
    """MoCoGAN-HD stage 1: the image generator, in checks of ``frame_curve.StageSplit.check_share`` of the budget
    until its per-frame FID beats the static per-frame baseline, stops improving or reaches ``IMAGE_SHARE``
    (``result["image_stage"]``: the checks and the reason; ``result["frame_baselines"]``; its minutes count on the
    curve's axis). Each check also measures its snapshot's frames held still (``held_still_fvd``: FVD of
    ``clips`` images repeated for the whole clip, the static baseline's protocol), and the motion generator
    starts from the snapshot with the lowest (``frame_curve.handoff_check``; ``image_stage["handoff"]``), not
    the last. Returns the motion generator's config on it."""
    from vidsynth.bench import frame_curve
    from vidsynth.config import method_config
    from vidsynth.loader import load_generator
    from vidsynth.training.snapshots import list_snapshots

    own_overrides, image_overrides = split_overrides("mocogan-hd", result["settings"].get("overrides"))
    image_preset = IMAGE_PRESETS.get(preset, preset)
    image_cfg = method_config("stylegan2", image_preset, image_overrides)
    stage = result.setdefault("image_stage", {"checks": [], "reason": None})
    if stage["reason"] in (None, "interrupted"):
        probe = _frame_probe(result, method_config("mocogan-hd", preset, own_overrides), data, seed, device, save, log)
        budget = result["settings"]["minutes"]

        def train_image(minutes):
            log(f"image generator (stylegan2 {image_preset}): {minutes:.2f} minutes ...")
            run_dir, seconds, _, _ = _train_chunk(image_cfg, data, minutes, seed, device, outdir, result["image_run"],
                                                  f"learning-{preset}-image-{tag}", progress)
            result["image_run"] = str(run_dir)
            result["image_trained_minutes"] += seconds / 60
            result["trained_minutes"] = result["image_trained_minutes"]
            save()
            return seconds / 60

        def measure_image():
            sampler = load_generator(result["image_run"], device=device)
            still = held_still_clips(sampler, measure_args["clips"], seed)
            fvd = measure(still, **measure_args)
            return {**probe.image_fid(sampler, len(probe.held), seed), "held_still_fvd": fvd["fvd"],
                    "held_still_kvd": fvd["kvd"], "model": list_snapshots(result["image_run"])[-1].name}

        out = frame_curve.split_by_measurement(
            budget, train_image, measure_image, result["frame_baselines"]["static"],
            frame_curve.StageSplit(max_share=IMAGE_SHARE), checks=stage["checks"],
            done=result["image_trained_minutes"], log=log, on_check=save)
        stage.update(reason=out["reason"], share=out["share"], rule=out["rule"])
        result["image_minutes"] = result["image_trained_minutes"]
        save()
        if out["reason"] == "interrupted":
            raise KeyboardInterrupt
        stage["handoff"] = frame_curve.handoff_check(stage["checks"])
        save()
        h = stage["handoff"]
        log(f"image generator stops at {out['share']:.0%} of the budget ({out['reason']}); the motion generator "
            f"starts from its snapshot at {h['share']:.0%} ({h['model']}: {h['by']} {h['value']:.1f})")
    # the motion stage: the preset with the run's own --set overrides (they were dropped here before: every
    # MoCoGAN-HD tuning run recorded its overrides but trained the preset), on the handed-off image generator
    return method_config("mocogan-hd", preset,
                         {**own_overrides, "image_generator": str(frame_curve.handoff_model(result["image_run"], stage))})


def held_still_clips(sampler, clips: int, seed: int) -> torch.Tensor:
    """``clips`` images of an image generator, each held for ``PROTOCOL_FRAMES`` frames: ``[N, 3, 16, R, R]``.
    The image generator's own static baseline: what a MoCoGAN-HD motion generator on it starts from."""
    images = sampler.sample(clips, frames=1, seed=seed)                       # [N, 3, 1, R, R]
    return static_clips(images.expand(-1, -1, PROTOCOL_FRAMES, -1, -1))


_PROBES: dict = {}   # FrameProbe by its settings: built once per process (its real features take ~1 min)


def _frame_probe(result, cfg, data, seed, device, save=None, log=lambda msg: None):
    """The run's ``frame_curve.FrameProbe`` (``frame_curve.frame_clips(clips)`` clips per side); records
    ``result["frame_baselines"]`` once."""
    from vidsynth.bench import frame_curve

    n = frame_curve.frame_clips(result["settings"]["clips"])
    key = (str(data), cfg.resolution, cfg.frames, cfg.stride, n, seed, cfg.clip_sampling, str(device))
    if key not in _PROBES:
        log(f"per-frame FID reference ({n} clips per side) ...")
        _PROBES.clear()
        held = held_out_clips(str(data), cfg.resolution, cfg.stride, n, seed, cfg.clip_sampling)
        _PROBES[key] = frame_curve.FrameProbe.from_data(str(data), cfg.resolution, cfg.frames, cfg.stride, n, held,
                                                        seed, cfg.clip_sampling, device=device)
    if "frame_baselines" not in result:
        result["frame_baselines"] = _PROBES[key].baselines()
        if save is not None:
            save()
    return _PROBES[key]


def unrolled_frame_fid(run, cfg, data: str, clips: int, seed: int, device, unroll: int = 3) -> dict:
    """Per-frame FID of the run's generator over a clip ``unroll`` times its training length, against the
    pooled real frames of training clips, with ``frame_curve.manifold_verdict`` (later frames vs frame 0,
    within the noise margin). ``frame_curve.frame_clips(clips)`` clips: the static I3D runs once per frame."""
    from vidsynth.loader import load_generator

    probe = _frame_probe({"settings": {"clips": clips}, "frame_baselines": None}, cfg, data, seed, device)
    return {**probe.trajectory_fid(load_generator(run, device=device), len(probe.held), cfg.frames, unroll, seed),
            "network": "i3d_kinetics400_static_pool1024"}


def latent_motion_diversity(run, cfg, clips: int, seed: int, device, unroll: int = 3) -> dict:
    """``motion_diversity`` of the run's MoCoGAN-HD motion generator: the latent trajectories of ``clips`` videos
    (at most 64) over ``unroll`` times the training length, the same videos the probes draw (seed ``seed``)."""
    from vidsynth.loader import load_generator
    from vidsynth.models.mocogan_hd.motion_diversity import motion_diversity

    sampler = load_generator(run, device=device)
    n, frames = max(2, min(int(clips), 64)), cfg.frames * unroll
    latents = sampler.trajectory(sampler.content_codes(n, seed), frames, sampler.motion_noise(n, frames, seed))
    return {**motion_diversity(latents), "clips": n, "frames": frames}


def format_learning(result: dict) -> str:
    """The few lines ``vidsynth bench --measure learning`` prints."""
    s = result["settings"]
    if s.get("budget") == "kimg":
        rate = result.get("kimg_per_minute")
        done = (f"{result['trained_kimg']:.2f} of {s['kimg']:g} kimg in {result['trained_minutes']:.2f} training "
                f"minutes ({'?' if rate is None else f'{rate:.3f}'} kimg/min, {result['threads']} threads)")
    else:
        done = f"{result['trained_minutes']:.2f} of {s['minutes']:g} training minutes"
    lines = [f"learning curve: {s['config']} on {s['data']}, {done} ({result['status']}); "
             f"{', '.join(result['metrics'])}", ""]
    lines.append(f"{'':24s} {'FVD':>10s} {'KVD':>10s}")
    for name in BASELINES:
        if name in result["baselines"]:
            b = result["baselines"][name]
            lines.append(f"{'baseline ' + name:24s} {b['fvd']:10.1f} {b['kvd']:10.3f}")
    for p in result["curve"]:
        lines.append(f"{'minute %.2f (%.2f kimg)' % (p['minutes'], p['kimg']):24s} {p['fvd']:10.1f} {p['kvd']:10.3f}")
    from vidsynth.bench.frame_curve import format_frame_lines

    lines += format_frame_lines(result)
    lines += ["", result["summary"]]
    if result.get("run"):
        lines.append(f"run folder: {result['run']} ({RESULT_FILE}, {PLOT_FILE}, report.html)")
    return "\n".join(lines)
