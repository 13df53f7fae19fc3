"""``vidsynth bench``: measure generator/discriminator cost and speed of named configs."""
from __future__ import annotations

import json
import sys

import click


@click.command("bench")
@click.option("--config", "configs", multiple=True, metavar="NAME",
              help="Config to measure (repeatable). Default: digan-tiny, mocogan-hd-tiny, digan-paper128, "
                   "mocogan-hd-ucf128. --list shows all.")
@click.option("--measure", "measures", multiple=True, metavar="KIND",
              help="Only these measurements (repeatable): flops, generation, discriminator, training, "
                   "long_video, speedups, head_to_head (DIGAN vs MoCoGAN-HD interleaved, needs both configs), "
                   "loader (data loader clips/s vs the training step's, share of step time waiting for data; only when "
                   "asked for), peak (sgemm / conv GFLOP/s of this machine), i3d (FVD's network: clips/s, fraction of the "
                   "conv peak, memory format / batch / --compile variants), memory (training at batch 4, "
                   "generation at batch 4 for 16/128/1024 frames), official (the official DIGAN / MoCoGAN-HD "
                   "generators side by side with ours; needs --official-digan / --official-mocogan-hd), learning (trains one "
                   "--config on --data for --minutes: FVD/KVD every --every minutes against three baselines; runs alone).")
@click.option("--official-digan", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Checkout of github.com/sihyun-yu/digan for --measure official (imported at run time; "
                   "needs einops and omegaconf).")
@click.option("--official-mocogan-hd", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Checkout of github.com/snap-research/MoCoGAN-HD for --measure official.")
@click.option("--train-batch", "train_batches", type=int, multiple=True,
              help="Batch sizes of the training-step measurement (repeatable). Default: 4 and 16 with --full, "
                   "1 with --quick.")
@click.option("--batch-gpu", "batch_gpu", type=int, default=0, show_default=True, metavar="N",
              help="Training steps in micro-batches of N samples, gradients summed (the batch_gpu of training: "
                   "a batch-16 step with the memory of N; 0: the whole batch at once).")
@click.option("--max-memory", "max_memory", type=float, default=None, metavar="GIB",
              help="Training-step batches whose predicted peak exceeds this are reported as estimates, not run "
                   "(default: 90% of the memory available). The first batch measured (batch 1 as a probe) "
                   "always runs.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False),
              help="Also write the tables as Markdown here (the format of docs/performance.md).")
@click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
@click.option("--repeat", type=int, default=None, help="Timed repeats per measurement (default: 2 quick, 5 full).")
@click.option("--batch", type=int, default=None, help="Batch size (default: 1 quick, 4 full).")
@click.option("--quick/--full", default=None, help="Batch 1, few repeats, fewer frames for paper-scale speed "
                                                   "variants. Default: quick on CPU, full on CUDA.")
@click.option("--compile", "use_compile", is_flag=True, help="Also measure torch.compile (minutes on CPU).")
@click.option("--d-frames", type=int, default=None,
              help="Clip length for discriminator throughput (the paper used 128). Default: the config's.")
@click.option("--threads", type=int, default=None,
              help="torch CPU threads (default: torch's). On a loaded machine 1 thread avoids OpenMP "
                   "synchronisation stalls that make small ops 100x slower.")
@click.option("--no-i3d", is_flag=True, help="Skip the I3D feature-extractor measurement.")
@click.option("--list", "list_configs", is_flag=True, help="List the configs and exit.")
@click.option("--data", default="builtin:scene", show_default=True,
              help="learning: the dataset to train on (builtin:NAME, a folder or a .zip).")
@click.option("--minutes", type=float, default=None,
              help="learning: training minutes (time spent on metrics is not counted; default 5).")
@click.option("--every", type=float, default=None,
              help="learning: measure FVD/KVD every this many training minutes (default 1).")
@click.option("--kimg", type=float, default=None,
              help="learning: budget in thousands of training videos instead of minutes (curves compare across "
                   "machine loads; the kimg/min measured is recorded beside them).")
@click.option("--every-kimg", type=float, default=None,
              help="learning, with --kimg: measure FVD/KVD every this many kimg (default: once, at --kimg).")
@click.option("--clips", type=int, default=64, show_default=True,
              help="learning: clips per side of the metrics (fvd{N}_16f, kvd{N}_16f).")
@click.option("--outdir", default="runs", show_default=True, help="learning: where the run folder goes.")
@click.option("--resume", type=click.Path(file_okay=False), default=None,
              help="learning: continue the curve of this run folder (same settings; --minutes may grow).")
@click.option("--seed", type=int, default=0, show_default=True, help="learning: training and metric seed.")
@click.option("--baselines-from", type=click.Path(exists=True), default=None,
              help="learning: reuse the noise-floor and static baselines of this learning.json (same --data, "
                   "--clips, --seed and real clips: resolution, stride, clip sampling) instead of measuring them again.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="learning: override a field of --config's preset (repeatable), e.g. --set lr=0.002; for "
                   "MoCoGAN-HD, image.KEY sets a field of its image generator (stage 1), e.g. --set "
                   "image.ema_kimg=5.")
def bench_command(configs, measures, official_digan, official_mocogan_hd, train_batches, batch_gpu, max_memory,
                  json_path, markdown_path,
                  device, repeat, batch, quick, use_compile, d_frames, threads, no_i3d, list_configs, data, minutes,
                  every, kimg, every_kimg, clips, outdir, resume, seed, baselines_from, sets):
    """Measure GMAC/video, generation frames/s, peak memory, D clips/s, a training step, long-video
    memory and speed-up ratios for DIGAN and MoCoGAN-HD configs.

    \b
    GMAC = torch.utils.flop_counter FLOPs / 2 (one multiply-add = 1 MAC, the papers' "GFLOPs").
    Examples:
      vidsynth bench                                  # all default configs, quick on CPU
      vidsynth bench --config digan-tiny --json bench.json
      vidsynth bench --config digan-paper128 --measure flops
      vidsynth bench --measure i3d --threads 2          # I3D clips/s vs this machine's conv peak
      vidsynth bench --measure official --official-digan ~/digan --official-mocogan-hd ~/MoCoGAN-HD --no-i3d
      vidsynth bench --config digan-paper128 --measure training --train-batch 4 --train-batch 16
      vidsynth bench --measure learning --config digan-tiny --data builtin:scene --minutes 5 --every 1
                                                      # FVD/KVD over training vs 3 baselines (docs/performance.md)
      vidsynth bench --measure learning --config digan-tiny --data builtin:scene --kimg 4 --every-kimg 1
                                                      # the same, budget in kimg (compares under load)
    """
    from vidsynth.bench.runner import run_bench
    from vidsynth.bench.settings import BenchSettings
    from vidsynth.bench.subjects import DEFAULT_CONFIGS, SUBJECTS
    from vidsynth.bench.table import format_results
    from vidsynth.device import resolve_device
    from vidsynth.utils.files import atomic_write_text

    if list_configs:
        for name, s in SUBJECTS.items():
            click.echo(f"{name:20s} {s.description}")
        return
    if "learning" in measures:
        _learning(measures, configs, data, minutes, every, clips, outdir, resume, seed, device, threads, json_path,
                  kimg, every_kimg, sets, baselines_from)
        return
    _refuse_options(LEARNING_ONLY, learning=False)
    for name in configs:
        if name not in SUBJECTS:
            raise click.BadParameter(f"unknown config '{name}'; choose from {', '.join(SUBJECTS)}",
                                     param_hint="--config")
    if threads:
        import torch

        torch.set_num_threads(threads)
    official = {"digan": official_digan, "mocogan-hd": official_mocogan_hd}
    if "official" in measures:
        from vidsynth.bench.official import check_checkouts

        official = check_checkouts(official)          # before anything slow: a wrong folder exits 2 at once
    dev = resolve_device(device)
    settings = BenchSettings(dev, quick=dev.type == "cpu" if quick is None else quick, repeat=repeat, batch=batch,
                             compile=use_compile, d_frames=d_frames, train_batches=train_batches or None,
                             max_memory_gib=max_memory, batch_gpu=batch_gpu)
    out = run_bench(configs or DEFAULT_CONFIGS, settings, measures or None, i3d=not no_i3d,
                    log=lambda msg: click.echo(msg, err=True), official=official)
    click.echo(format_results(out))
    if json_path:
        atomic_write_text(json_path, json.dumps(out, indent=2))
        click.echo(f"wrote {json_path}", err=True)
    if markdown_path:
        atomic_write_text(markdown_path, format_results(out, markdown=True) + "\n")
        click.echo(f"wrote {markdown_path}", err=True)
    sys.stdout.flush()


# Options only --measure learning reads: given to another measure they would be ignored, and a "--set
# g_channel_max=128" flops table would silently be the preset's. And the reverse: "--batch 8" to a learning run
# would not train at batch 8 (that is --set batch=8).
# Every other option is the other measures' own, unless both kinds read it (SHARED): derived, so an option added
# later is refused with --measure learning until it is declared here.
LEARNING_ONLY = ("data", "minutes", "every", "kimg", "every_kimg", "clips", "outdir", "resume", "seed",
                 "baselines_from", "sets")
SHARED = ("configs", "measures", "json_path", "device", "threads", "list_configs")
NOT_LEARNING = tuple(p.name for p in bench_command.params if p.name not in LEARNING_ONLY + SHARED)


def _refuse_options(names: tuple[str, ...], learning: bool) -> None:
    """A usage error (exit 2) naming the options of ``names`` given on the command line: options of the other
    kind of measure (``learning``: the learning measure was asked for), which would be ignored."""
    from vidsynth.cli import given

    wrong = [p.opts[0] for p in click.get_current_context().command.params if p.name in names and given(p.name)]
    if not wrong:
        return
    many, them = len(wrong) > 1, "them" if len(wrong) > 1 else "it"
    if learning:
        raise click.UsageError(f"{', '.join(wrong)} do{'' if many else 'es'} not apply to --measure learning: drop "
                               f"{them} (a training field goes through --set FIELD=VALUE, e.g. --set batch=8)")
    raise click.UsageError(f"{', '.join(wrong)} only appl{'y' if many else 'ies'} to --measure learning; the other "
                           f"measures run the presets as named (see --list): drop {them}, or add --measure learning")


def _learning(measures, configs, data, minutes, every, clips, outdir, resume, seed, device, threads, json_path,
              kimg=None, every_kimg=None, sets=(), baselines_from=None):
    """``--measure learning`` (vidsynth.bench.learning): one config, its own options; exit 130 when interrupted."""
    from vidsynth.bench.learning import format_learning, run_learning
    from vidsynth.config import parse_set_options
    from vidsynth.utils.files import atomic_write_text

    if len(measures) > 1 or len(configs) != 1:
        raise click.UsageError("--measure learning runs alone, on exactly one --config (e.g. --config digan-tiny)")
    _refuse_options(NOT_LEARNING, learning=True)
    if threads:
        import torch

        torch.set_num_threads(threads)
    result = run_learning(configs[0], data, minutes, every, clips=clips, seed=seed, device=device, outdir=outdir,
                          resume=resume, progress=True, log=lambda msg: click.echo(msg, err=True), kimg=kimg,
                          every_kimg=every_kimg, overrides=parse_set_options(sets) if sets else None,
                          baselines_from=baselines_from)
    click.echo(format_learning(result))
    if json_path:
        atomic_write_text(json_path, json.dumps(result, indent=2) + "\n")
        click.echo(f"wrote {json_path}", err=True)
    if result["status"] == "interrupted":
        raise SystemExit(130)
