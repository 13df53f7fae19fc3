"""``vidsynth train``: parse options into a method config and a loop config, then run the loop."""
from __future__ import annotations

import click

from vidsynth.cli import given
from vidsynth.config import (DEFAULT_PRESETS, PRESETS, LoopConfig, apply_overrides, method_config,
                             parse_resolution, parse_set_options, preset_loop_defaults, validate_loop,
                             validate_method)

EPILOG = """\b
Examples:
  vidsynth train --method digan --data builtin:shapes --preset tiny --minutes 10
  vidsynth train --method digan --data ~/videos --preset paper128 --kimg 5000
  vidsynth train --method digan --data ~/taichi --preset taichi
  vidsynth train --method digan --data ~/driving --preset paper128 --resolution 128x224   (rectangular)
  vidsynth train --method digan --data clips.zip --preset paper128 --set sigma_t=0.5 --set frames=128
  vidsynth train --method digan --data ~/ucf101 --preset paper128 --set conditional=true --set labels=folders
  vidsynth train --method digan --data ~/UCF-101 --split ~/ucfTrainTestlist/trainlist01.txt --preset ucf101
  vidsynth train --resume runs/00003-digan-shapes --kimg 2000
  vidsynth train --method digan --resume auto
  vidsynth train --method digan --data ~/ucf101 --metrics fvd2048_16f --best-by fvd2048_16f --keep-checkpoints 0
  vidsynth train --method digan --data ~/videos --log tensorboard,wandb --set sample_videos=9
  vidsynth train --resume-from-weights models/digan-ucf101 --data ~/my_videos --kimg 500   (fine-tune an import)
  torchrun --nproc_per_node 8 -m vidsynth train --method digan --data ~/videos --preset paper128
  torchrun --nproc_per_node 8 -m vidsynth train --method digan --data ~/videos --precision bf16 --channels-last
  vidsynth train --method stylegan2 --data builtin:shapes --preset tiny --minutes 10
  vidsynth train --method stylegan2 --data ~/frames_or_images --preset paper256 --set diffaugment=color,translation
  vidsynth train --method mocogan-hd --image-generator runs/00004-stylegan2-shapes --data builtin:shapes --preset tiny
  vidsynth train --method mocogan-hd --image-generator ffhq256/ --data ~/vox --cross-domain --preset paper
  vidsynth train --method mocogan-hd --image-generator RUN --data ~/ucf101 --preset paper --set batch_gpu=1
                                        (batch 16 in passes of 1 video: 11.7 GiB on CPU, ~170 all at once)

\b
Every field of the method config can be set with --set key=value; `vidsynth train --method digan
--preset tiny --show-config` prints them all with their values.
"""


def _method_names():
    return sorted(PRESETS)


def _run_method(run: str) -> str | None:
    """The method a run folder was trained with (its ``config.json``), or None if it has none."""
    import json
    from pathlib import Path

    try:
        return json.loads((Path(run) / "config.json").read_text())["method"]["method"]
    except (OSError, ValueError, KeyError, TypeError):
        return None   # not a run folder (yet): the resume itself says what is wrong


@click.command("train", epilog=EPILOG, context_settings={"show_default": True})
@click.option("--method", type=click.Choice(_method_names()), default="digan", help="Which model family to train "
              "(with --resume RUN: the run's own).")
@click.option("--data", default=None, help="builtin:NAME, a folder of videos or frame folders, or a .zip. "
              "[default: builtin:shapes]")
@click.option("--split", default=None, type=click.Path(dir_okay=False), help="Train only on the videos listed in "
              "this file (one relative path per line, or a UCF-101 trainlist01.txt).")
@click.option("--preset", default=None, help="Named configuration: paper128, ucf101, sky, taichi, kinetics-food, "
              "paper128-long, tiny, test (DIGAN; the paper ones train 25,000 kimg unless --kimg); "
              "paper256, tiny, test (stylegan2); paper, tiny, test (mocogan-hd). [default: paper128 / paper256 / paper]")
@click.option("--kimg", type=float, default=None, help="Train until this many thousand real videos were shown to D "
              "[default: the preset's (25,000 for the DIGAN paper presets), else 1,000].")
@click.option("--minutes", type=float, default=None, help="Stop after this many minutes (0 = no limit); ends with a snapshot.")
@click.option("--outdir", default="runs", help="Parent folder of the auto-numbered run folders.")
@click.option("--name", default=None, help="Run folder suffix (default: from the dataset).")
@click.option("--resume", default=None, help="Continue a run exactly: a run folder, or 'auto' for the newest in --outdir.")
@click.option("--resume-from-weights", "init_weights", default=None, metavar="MODEL",
              help="Fine-tune: start a NEW run from an exported model's weights (a `vidsynth convert` folder or "
              "a run folder); its architecture is used, optimizers and counters start fresh.")
@click.option("--allow-data-change", is_flag=True, help="With --resume: continue although the dataset changed "
              "since the run's last checkpoint.")
@click.option("--batch", type=int, default=None, help="Global batch size (split across processes; each process "
              "runs its share in passes of --set batch_gpu=N samples if set, gradients summed).")
@click.option("--resolution", default=None, metavar="R|HxW", help="Training resolution (power of two), or "
              "HEIGHTxWIDTH for rectangular DIGAN frames, e.g. 128x224 (= --resolution 128 --set aspect=224:128).")
@click.option("--frames", type=int, default=None, help="Frames per training clip.")
@click.option("--seed", type=int, default=None, help="Random seed (weights, data order, latents).")
@click.option("--snapshot-kimg", type=float, default=None, help="Write samples/model/checkpoint every N kimg.")
@click.option("--snapshot-minutes", type=float, default=None, help="... and/or every N minutes (0 = off).")
@click.option("--workers", type=int, default=None,
              help="Data loader worker processes (decode and resize); default: half the cores, 1 to 8.")
@click.option("--metrics", default=None, help="Metrics computed at snapshots, e.g. fvd2048_16f,kvd2048_16f "
              "(see vidsynth metrics --help). [default: none]")
@click.option("--metrics-kimg", type=float, default=None, help="Compute --metrics every N kimg (0 = every snapshot).")
@click.option("--device", default=None, help="auto, cpu, cuda, cuda:1 ... [default: auto]")
@click.option("--keep-checkpoints", type=int, default=None, help="Resume checkpoints kept, newest first; 0 = keep "
              "all (= --set keep_checkpoints=N). Exported models model-<kimg>/: --set keep_models=N. [default: 3]")
@click.option("--best-by", default=None, metavar="METRIC", help="Keep RUN/model-best/: the snapshot with the best "
              "value of this metric (one of --metrics; lower is better except is*).")
@click.option("--log", "log_sinks", default=None, help="Log sinks besides stats.jsonl: tensorboard, wandb, both "
              "comma-separated, none, or auto (TensorBoard if installed). W&B stays offline unless you are logged "
              "in. [default: auto]")
@click.option("--image-generator", default=None, help="mocogan-hd: the frozen image generator, a stylegan2 run "
              "folder or an exported model folder (= --set image_generator=PATH).")
@click.option("--cross-domain", is_flag=True, default=None, help="mocogan-hd: cross-domain training (contrastive "
              "image D; videos from another domain than the image generator) (= --set cross_domain=true).")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), default=None, help="Autocast format of "
              "the forward passes: bf16 (CUDA or CPU), fp16 (CUDA, loss-scaled) (= --set precision=...). [default: fp32]")
@click.option("--channels-last", is_flag=True, default=None, help="4-D weights in NHWC memory layout "
              "(= --set channels_last=true).")
@click.option("--compile", "compile_", is_flag=True, default=None, help="torch.compile the generator, fixed shapes "
              "(= --set compile=true; the first steps pay for the compilation).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override any config field (repeatable).")
@click.option("--show-config", is_flag=True, help="Print the resolved configuration and exit.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train_command(method, data, split, preset, kimg, minutes, outdir, name, resume, init_weights, allow_data_change,
                  batch, resolution, frames, seed,
                  snapshot_kimg, snapshot_minutes, workers, metrics, metrics_kimg, device, keep_checkpoints, best_by,
                  log_sinks, image_generator, cross_domain, precision, channels_last, compile_, sets, show_config, quiet):
    """Train a video generator; writes an auto-numbered run folder under --outdir."""
    import dataclasses
    import json

    from vidsynth.metrics.callback import MetricsCallback
    from vidsynth.report.callback import ReportCallback
    from vidsynth.training.distributed import distributed_context
    from vidsynth.training.loop import check_run_options, train

    callbacks = [MetricsCallback(), ReportCallback()]   # at each snapshot: --metrics, then report.html

    overrides = parse_set_options(sets)
    # --set keys of the training loop (keep_checkpoints, log, sample_videos ...) go to the loop config.
    loop_fields = {f.name for f in dataclasses.fields(LoopConfig)}
    loop_sets = {k: overrides.pop(k) for k in list(overrides) if k.replace("-", "_") in loop_fields}
    if resolution is not None:
        resolution, aspect = parse_resolution(resolution)
        if aspect is not None:
            if method != "digan":
                raise click.UsageError(f"--resolution {resolution}x...: rectangular frames are for DIGAN only "
                                       f"(its INR renders any grid); {method} needs a square resolution")
            overrides["aspect"] = aspect
    for key, value in (("batch", batch), ("resolution", resolution), ("frames", frames),
                       ("image_generator", image_generator), ("cross_domain", cross_domain or None),
                       ("precision", precision), ("channels_last", channels_last or None), ("compile", compile_ or None)):
        if value is not None:
            overrides[key] = value
    if resume and resume != "auto" and not given("method"):
        method = _run_method(resume) or method   # the printed hint "--resume RUN" works for every method
    if init_weights:
        if resume:
            raise click.UsageError("--resume continues a run; --resume-from-weights starts a new one: use one")
        from vidsynth.training.init_weights import architecture_overrides

        weights_method, arch = architecture_overrides(init_weights)
        if method != weights_method and given("method"):
            raise click.UsageError(f"--method {method} but '{init_weights}' holds a {weights_method} model")
        method = weights_method
        clash = {k: v for k, v in overrides.items() if k in arch and str(v) != str(arch[k])}
        if clash:
            raise click.UsageError(f"--set {', '.join(clash)} would change the architecture of '{init_weights}'")
        overrides = {**overrides, **arch}
    preset = preset or DEFAULT_PRESETS.get(method, "paper128")
    cfg = method_config(method, preset, overrides)
    validate_method(cfg)  # every method, before a run folder exists
    if method == "digan":
        from vidsynth.config import digan_frame_size

        asked = overrides.get("aspect")
        if resolution is not None and asked and digan_frame_size(cfg)[1] != int(asked.split(":")[0]):
            step = cfg.resolution // 4
            raise click.UsageError(f"--resolution {cfg.resolution}x{asked.split(':')[0]}: the width must be a multiple "
                                   f"of height/4 = {step} (the discriminator halves it down to 4 rows); "
                                   f"try {cfg.resolution}x{digan_frame_size(cfg)[1]}")
    loop_overrides = {k: v for k, v in dict(data=data, split=split, kimg=kimg, minutes=minutes, seed=seed,
                                            snapshot_kimg=snapshot_kimg, snapshot_minutes=snapshot_minutes,
                                            num_workers=workers, device=device, metrics=metrics,
                                            metrics_kimg=metrics_kimg, keep_checkpoints=keep_checkpoints,
                                            best_by=best_by, log=log_sinks).items() if v is not None}
    loop_overrides = {**{k.replace("-", "_"): v for k, v in loop_sets.items()}, **loop_overrides}
    if not resume:   # a resumed run keeps its own settings (see training.loop.train)
        loop_overrides = {**preset_loop_defaults(method, preset), **loop_overrides}
    loop = apply_overrides(LoopConfig(), loop_overrides)
    validate_loop(loop)
    check_run_options(loop, callbacks)
    if show_config:
        click.echo(json.dumps({"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop)}, indent=2))
        return
    with distributed_context(loop.device) as dist:
        loop = dataclasses.replace(loop, device=dist.device)
        run = train(cfg, loop, outdir=outdir, resume=resume, run_name=name, progress=not quiet,
                    dist=dist, init_weights=init_weights,
                    explicit={"method": {k.replace("-", "_") for k in overrides}, "loop": set(loop_overrides)},
                    allow_data_change=allow_data_change, callbacks=callbacks)
    if run is not None:
        click.echo(f"Run folder: {run}")
        click.echo(f"  samples: {run}/samples-latest.gif   model: {run}/model   resume: --resume {run}")
