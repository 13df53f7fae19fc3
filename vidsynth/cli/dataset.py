"""``vidsynth dataset ...``: inspect, convert and preview datasets."""
from __future__ import annotations

import contextlib
import json
import warnings

import click

from vidsynth.video.frame_rate import FRAME_RATE

LABELS_HELP = ("Class labels: auto (labels.json, else a StyleGAN2-ADA/StyleGAN-V dataset.json, at the dataset root), "
               "folders (first sub-folder), dataset.json, none, or a path to a JSON file mapping video paths to "
               "class names.")
SPLIT_HELP = ("Keep only the videos listed in this file: one relative path per line, or a UCF-101 "
              "trainlist01.txt/testlist01.txt.")


@contextlib.contextmanager
def _short_warnings():
    """Print warnings as one ``warning: ...`` line each (no source line of vidsynth's code)."""
    def show(message, category, filename, lineno, file=None, line=None):
        click.echo(f"warning: {message}", err=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


@click.group("dataset", context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def dataset_group():
    """Inspect, convert and preview video datasets.

    SPEC is a folder of videos (mp4, avi, webm, mkv, mov, gif; searched recursively), a folder of
    frame folders (<video>/<frame>.png|jpg|jpeg|webp), a .zip of either, or builtin:shapes /
    builtin:scene. Unreadable, corrupt and empty files are skipped with a warning naming them.

    \b
    Examples:
      vidsynth dataset info ~/videos
      vidsynth dataset info data.zip --json
      vidsynth dataset convert ~/videos videos64.zip --resolution 64 --max-frames 128
      vidsynth dataset convert ~/UCF-101 ucf.zip -r 128 --layout stylegan-v --split trainlist01.txt
      vidsynth dataset prepare ucf101 ~/UCF-101 ucf101-128 --splits ~/ucfTrainTestlist
      vidsynth dataset preview builtin:shapes --out shapes.mp4
    """


@dataset_group.command("info")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of text.")
@click.option("--labels", default="auto", help=LABELS_HELP)
@click.option("--split", type=click.Path(dir_okay=False), default=None, help=SPLIT_HELP)
def info_command(spec, as_json, labels, split):
    """Summarise a dataset: videos, frames, resolutions, lengths, fps, classes, skipped files.

    \b
    SPEC: see `vidsynth dataset --help`.

    \b
    Examples:
      vidsynth dataset info ~/ucf101 --labels folders
      vidsynth dataset info builtin:scene --json
      vidsynth dataset info ~/UCF-101 --labels folders --split ucfTrainTestlist/testlist01.txt
    """
    from vidsynth.data.info import dataset_info, format_info

    info = dataset_info(spec, labels=labels, split=split)
    click.echo(json.dumps(info, indent=1) if as_json else format_info(info))


@dataset_group.command("convert")
@click.argument("src")
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--resolution", "-r", type=click.IntRange(min=1), required=True,
              help="Output frame size in pixels (centre square crop, then antialiased resize).")
@click.option("--max-frames", type=click.IntRange(min=1), default=None,
              help="Keep at most this many frames per video (after --fps-stride). Default: all.")
@click.option("--fps-stride", type=click.IntRange(min=1), default=1,
              help="Keep every S-th frame (2 halves the frame rate).")
@click.option("--max-videos", type=click.IntRange(min=1), default=None,
              help="Convert only the first N videos (natural order). Useful for builtin: datasets.")
@click.option("--labels", default="auto", help=LABELS_HELP + " Written to labels.json (or dataset.json) in the zip.")
@click.option("--layout", type=click.Choice(["vidsynth", "stylegan-v"]), default="vidsynth",
              help="vidsynth: <path/of/video>/<frame>.png + labels.json. stylegan-v: <name>/<video>/<frame>.png + "
                   "<name>/dataset.json, which StyleGAN-V trains from as is (and DIGAN, extracted).")
@click.option("--split", type=click.Path(dir_okay=False), default=None, help=SPLIT_HELP)
@click.option("--force", is_flag=True, help="Overwrite DST if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def convert_command(src, dst, resolution, max_frames, fps_stride, max_videos, labels, layout, split, force, quiet):
    """Convert SRC to DST, a zip of PNG frame folders at one resolution: the fastest format to train from.

    \b
    SRC: see `vidsynth dataset --help`. Unreadable and corrupt files are skipped with a warning.
    The zip is written atomically (temp file, then rename) and never overwrites DST without --force.

    \b
    Examples:
      vidsynth dataset convert ~/videos videos128.zip --resolution 128
      vidsynth dataset convert ~/ucf101 ucf64.zip -r 64 --labels folders --fps-stride 2 --max-frames 64
      vidsynth dataset convert builtin:shapes shapes32.zip -r 32 --max-videos 256 --max-frames 32
      vidsynth dataset convert ~/UCF-101 ucf-train.zip -r 128 --layout stylegan-v --labels folders \\
          --split ~/ucfTrainTestlist/trainlist01.txt
    """
    from vidsynth.data.convert import convert_dataset

    with _short_warnings():
        out = convert_dataset(src, dst, resolution, max_frames=max_frames, fps_stride=fps_stride,
                              max_videos=max_videos, force=force, labels=labels, progress=not quiet,
                              layout=layout, split=split)
    click.echo(f"wrote {out['path']}: {out['videos']} videos, {out['frames']} frames at {resolution}x{resolution}"
               + (f", {len(out['classes'])} classes" if out["classes"] else "")
               + (f"; {len(out['skipped'])} files skipped" if out["skipped"] else ""))


@dataset_group.command("prepare")
@click.argument("name", type=click.Choice(["ucf101", "sky", "taichi"]))
@click.argument("src", type=click.Path(file_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--resolution", "-r", type=click.IntRange(min=1), default=None,
              help="Frame size in pixels. [default: 128, the DIGAN papers' size]")
@click.option("--splits", type=click.Path(file_okay=False), default=None,
              help="ucf101: the ucfTrainTestlist folder; adds train.zip and test.zip for --fold.")
@click.option("--fold", type=click.IntRange(1, 3), default=1, help="ucf101: which of the 3 official splits.")
@click.option("--force", is_flag=True, help="Overwrite the zips in DST.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def prepare_command(name, src, dst, resolution, splits, fold, force, quiet):
    """Prepare UCF-101, Sky Time-lapse or TaiChi-HD as the papers did, from your downloaded copy.

    \b
    Writes DST/<split>.zip (StyleGAN-V layout: trains in vidsynth and StyleGAN-V as is, in DIGAN
    extracted) and DST/recipe.json (what was done, and the matching `vidsynth train` command).
    ucf101: all.zip (all 13,320 videos, as DIGAN trains), plus train.zip/test.zip with --splits;
    class labels from the class folders. sky: train.zip and val.zip from SRC's sky_train/sky_test.
    taichi: all.zip (DIGAN trains on all of it), plus train.zip/val.zip if SRC has train/test.
    Centre square crop, resize to 128 px; clip sampling is the DIGAN preset of the same name.
    Sources: docs/data.md.

    \b
    Examples:
      vidsynth dataset prepare ucf101 ~/UCF-101 data/ucf101 --splits ~/ucfTrainTestlist
      vidsynth dataset prepare sky ~/sky_timelapse data/sky
      vidsynth dataset prepare taichi ~/taichi data/taichi --resolution 256
    """
    from vidsynth.data.prepare import prepare_dataset

    with _short_warnings():
        info = prepare_dataset(name, src, dst, resolution=resolution, splits=splits, fold=fold, force=force,
                               progress=not quiet)
    for kind, out in info["outputs"].items():
        click.echo(f"wrote {out['path']}: {out['videos']} videos, {out['frames']} frames"
                   + (f", {out['classes']} classes" if out["classes"] else "")
                   + (f"; {out['skipped']} files skipped" if out["skipped"] else ""))
    click.echo(f"train with: {info['train_with']}")


@dataset_group.command("preview")
@click.argument("spec")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Output file: .mp4 or .gif (a video grid) or .png (one strip of frames per clip).")
@click.option("--resolution", "-r", type=click.IntRange(min=1), default=64, help="Clip size in pixels.")
@click.option("--frames", "-t", type=click.IntRange(min=1), default=16, help="Frames per clip.")
@click.option("--stride", type=click.IntRange(min=1), default=1, help="Take every S-th frame.")
@click.option("--n", "count", type=click.IntRange(min=1), default=9, help="Number of clips.")
@click.option("--seed", type=int, default=0, help="Which clips (and which built-in videos).")
@click.option("--fps", type=FRAME_RATE, default="8", help="Frame rate of the written video (8, 29.97, 30000/1001).")
def preview_command(spec, out, resolution, frames, stride, count, seed, fps):
    """Write a grid of random clips from SPEC, to check what training will see.

    \b
    Examples:
      vidsynth dataset preview builtin:shapes --out shapes.mp4
      vidsynth dataset preview data.zip -o data.png -r 128 --n 4
    """
    import numpy as np
    import torch

    from vidsynth.data.clips import open_dataset
    from vidsynth.video.write import frame_strip, make_grid, write_png, write_video

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = open_dataset(spec, resolution, frames, stride=stride, seed=seed)
    clips = torch.stack([ds.clip(*key)[0] for key in ds.clip_keys(0, count, seed)])  # uint8 [N, 3, T, R, R]
    videos = clips.float() / 127.5 - 1
    if out.lower().endswith(".png"):
        write_png(out, np.concatenate([frame_strip(v, max_frames=frames) for v in videos], axis=0))
    else:
        write_video(out, make_grid(videos), fps=fps)
    click.echo(f"wrote {out}: {count} clips of {frames} frames at {resolution}px from {spec}")
