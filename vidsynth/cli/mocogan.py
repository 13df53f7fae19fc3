"""``vidsynth mocogan ...``: the MoCoGAN-HD applications from the command line.

Every command takes MODEL (a mocogan-hd run folder or its exported ``model/`` folder), writes a
video (``--out``, .mp4/.gif/.npz or a folder of pngs) plus a png frame strip next to it, and prints
what it wrote and the numbers it measured.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from vidsynth.video.frame_rate import FRAME_RATE

EPILOG = """\b
Examples:
  vidsynth mocogan long runs/00005-mocogan-hd-shapes --frames 64 --out long.mp4
  vidsynth mocogan interpolate runs/00005-mocogan-hd-shapes --frames 16 --factor 2 --out interp.mp4
  vidsynth mocogan content-motion runs/00005-mocogan-hd-shapes --contents 4 --motions 4 --out grid.mp4
  vidsynth mocogan predict runs/00005-mocogan-hd-shapes --data builtin:shapes --index 3 --out pred.mp4
  vidsynth mocogan predict MODEL --image face.png --features vgg_trunk.pt --steps 500 --out pred.mp4
  vidsynth mocogan pca-explore runs/00005-mocogan-hd-shapes --components 0,1,2,3 --sigma 3 --out pca.mp4
  vidsynth mocogan diversity runs/00005-mocogan-hd-shapes --contents 4 --motions 16 --out std.png
"""


def _examples(name: str) -> str:
    """The lines of EPILOG for subcommand ``name``, as that subcommand's own Examples section."""
    lines = [line for line in EPILOG.splitlines() if line.strip().startswith(f"vidsynth mocogan {name} ")]
    return "\b\nExamples:\n" + "\n".join(lines) + "\n"


def _load(model: str, device: str):
    from vidsynth.errors import CheckpointError
    from vidsynth.loader import load_generator
    from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler

    sampler = load_generator(model, device=device)
    if not isinstance(sampler, MoCoGANHDSampler):
        raise CheckpointError(f"'{model}' is not a MoCoGAN-HD model (it holds a {type(sampler.generator).__name__}); "
                              "train one with `vidsynth train --method mocogan-hd`")
    return sampler


def _write(video, out: str, fps, nrow: int | None = None) -> list[Path]:
    """Write ``[B, 3, T, H, W]`` as one grid video and a png strip of the grid; returns the paths."""
    from vidsynth.video.write import frame_strip, make_grid, write_png, write_video

    grid = make_grid(video, nrow=nrow)
    out_path = write_video(out, grid, fps=fps)
    strip = Path(out).with_suffix(".png") if Path(out).suffix.lower() != ".png" else Path(out)
    write_png(strip, frame_strip(grid, 8))
    return [out_path, strip]


def _report(paths, numbers: dict | None = None, json_path: str | None = None):
    for p in paths:
        click.echo(f"wrote {p}")
    if numbers:
        for k, v in numbers.items():
            click.echo(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
        if json_path:
            from vidsynth.utils.files import atomic_write_text

            atomic_write_text(json_path, json.dumps(numbers, indent=2) + "\n")
            click.echo(f"wrote {json_path}")


def _common(f):
    f = click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")(f)
    f = click.option("--fps", type=FRAME_RATE, default=None,
                     help="Output frame rate: 8, 29.97 or 30000/1001 [default: the model's]")(f)
    f = click.option("--seed", type=int, default=0, help="Random seed of contents and motions.")(f)
    f = click.argument("model")(f)
    return f


@click.group("mocogan", epilog=EPILOG, context_settings={"show_default": True})
def mocogan_group():
    """MoCoGAN-HD applications: long videos, content/motion grids, prediction, PCA directions, diversity."""


@mocogan_group.command("long", epilog=_examples("long"))
@_common
@click.option("--n", type=click.IntRange(min=1), default=4, help="Number of videos.")
@click.option("--frames", type=click.IntRange(min=1), default=64,
              help="Frames per video (the LSTM unrolls past the training length).")
@click.option("--out", default="mocogan_long.mp4")
def long_command(model, device, fps, seed, n, frames, out):
    """Long videos by unrolling the motion generator past its training length."""
    from vidsynth.apps.mocogan_hd.long_video import unroll_videos

    s = _load(model, device)
    video = unroll_videos(s, n, frames, seed)
    _report(_write(video, out, fps or s.fps), {"videos": n, "frames": frames, "train_frames": s.train_frames})


@mocogan_group.command("interpolate", epilog=_examples("interpolate"))
@_common
@click.option("--n", type=click.IntRange(min=1), default=4)
@click.option("--frames", type=click.IntRange(min=1), default=16, help="Trajectory length before interpolation.")
@click.option("--factor", type=click.IntRange(min=1), default=2,
              help="Frames per trajectory step: (frames - 1) * factor + 1 frames.")
@click.option("--out", default="mocogan_interpolate.mp4")
def interpolate_command(model, device, fps, seed, n, frames, factor, out):
    """Smoother/longer videos by interpolating the latent trajectory (2x frames by default)."""
    from vidsynth.apps.mocogan_hd.long_video import interpolated_videos

    s = _load(model, device)
    video = interpolated_videos(s, n, frames, factor, seed)
    _report(_write(video, out, fps or s.fps), {"videos": n, "frames": video.shape[2]})


@mocogan_group.command("content-motion", epilog=_examples("content-motion"))
@_common
@click.option("--contents", type=click.IntRange(min=1), default=4, help="Rows: content codes.")
@click.option("--motions", type=click.IntRange(min=1), default=4, help="Columns: motion noise sequences.")
@click.option("--frames", type=click.IntRange(min=1), default=16)
@click.option("--out", default="mocogan_content_motion.mp4")
def content_motion_command(model, device, fps, seed, contents, motions, frames, out):
    """Grid: each row one content with every motion, each column one motion on every content."""
    from vidsynth.apps.mocogan_hd.content_motion import content_motion_grid

    s = _load(model, device)
    grid = content_motion_grid(s, contents, motions, frames, seed)            # [C, M, 3, T, H, W]
    _report(_write(grid.flatten(0, 1), out, fps or s.fps, nrow=motions), {"contents": contents, "motions": motions})


@mocogan_group.command("predict", epilog=_examples("predict"))
@_common
@click.option("--data", default=None, help="Dataset with the real video (builtin:NAME, folder, zip).")
@click.option("--index", type=click.IntRange(min=0), default=0, help="Video index in --data.")
@click.option("--start", type=click.IntRange(min=0), default=0, help="First frame of the real clip.")
@click.option("--stride", type=click.IntRange(min=1), default=2,
              help="Frame stride of the real clip (training used 2).")
@click.option("--image", default=None, help="Instead of --data: a single image to animate (no scores).")
@click.option("--frames", type=click.IntRange(min=1), default=16)
@click.option("--motions", type=click.IntRange(min=1), default=4, help="Continuations to generate.")
@click.option("--steps", type=click.IntRange(min=1), default=200, help="Projection optimisation steps.")
@click.option("--lr", type=float, default=0.05)
@click.option("--ssim-weight", type=float, default=1.0)
@click.option("--features", default=None, help="TorchScript feature extractor for a perceptual loss.")
@click.option("--feature-weight", type=float, default=1.0)
@click.option("--out", default="mocogan_predict.mp4")
@click.option("--json", "json_path", default=None, help="Write the scores here.")
def predict_command(model, device, fps, seed, data, index, start, stride, image, frames, motions, steps, lr,
                    ssim_weight, features, feature_weight, out, json_path):
    """Video prediction: project a real first frame into the latent space, continue it with the
    motion generator; PSNR/SSIM against the real continuation when --data is given."""
    import numpy as np
    import torch

    from vidsynth.apps.mocogan_hd.predict import predict_video
    from vidsynth.apps.projection import load_torchscript
    from vidsynth.errors import ConfigError

    if (data is None) == (image is None):
        raise ConfigError("give exactly one of --data (a real video, scored) or --image (a still image)")
    s = _load(model, device)
    real = None
    if data is not None:
        from vidsynth.data import open_dataset

        ds = open_dataset(data, resolution=s.resolution, frames=frames, stride=stride, labels="none")
        clip, _ = ds.clip(index, start)                                         # uint8 [3, T, R, R]
        real = clip.float() / 127.5 - 1
        first = real[:, 0]
    else:
        from PIL import Image

        with Image.open(image) as im:
            arr = np.asarray(im.convert("RGB"))
        first = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 127.5 - 1
    extractor = load_torchscript(features, s.device) if features else None
    result = predict_video(s, first, frames, motions, seed, real, steps=steps, lr=lr, ssim_weight=ssim_weight,
                           feature_extractor=extractor, feature_weight=feature_weight)
    video = result["video"]
    if real is not None:  # first row: the real clip, then the predictions
        video = torch.cat([real[None, :, :frames].cpu(), video])
    numbers = {"projection_psnr": result["projection"].psnr}
    if result["scores"]:
        sc = result["scores"]
        numbers.update(mean_psnr=sc["mean_psnr"], mean_ssim=sc["mean_ssim"], best_motion=sc["best_motion"],
                       psnr_per_frame=[round(v, 3) for v in sc["psnr"]], ssim_per_frame=[round(v, 4) for v in sc["ssim"]])
    _report(_write(video, out, fps or s.fps, nrow=video.shape[0]), numbers, json_path)


@mocogan_group.command("pca-explore", epilog=_examples("pca-explore"))
@_common
@click.option("--components", default="0,1,2,3", help="Comma-separated principal components.")
@click.option("--sigma", type=float, default=3.0, help="Move from -sigma to +sigma standard deviations.")
@click.option("--frames", type=click.IntRange(min=1), default=16)
@click.option("--out", default="mocogan_pca.mp4")
def pca_explore_command(model, device, fps, seed, components, sigma, frames, out):
    """One video per principal direction of the latent space (rows in component order)."""
    from vidsynth.apps.mocogan_hd.pca_explore import pca_direction_videos
    from vidsynth.errors import ConfigError

    try:
        ks = [int(k) for k in components.split(",") if k.strip()]
    except ValueError:
        raise ConfigError(f"--components expects comma-separated integers, got {components!r}") from None
    s = _load(model, device)
    try:
        video = pca_direction_videos(s, ks, frames, sigma, seed)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    std = s.motion_generator.pca_std
    _report(_write(video, out, fps or s.fps, nrow=1), {f"std_{k}": float(std[k]) for k in ks})


@mocogan_group.command("diversity", epilog=_examples("diversity"))
@_common
@click.option("--contents", type=click.IntRange(min=1), default=4, help="Content codes to average over.")
@click.option("--motions", type=click.IntRange(min=1), default=16, help="Videos per content code.")
@click.option("--frames", type=click.IntRange(min=1), default=16)
@click.option("--out", default="mocogan_diversity.png", help="Last-frame mean video | per-pixel std image.")
@click.option("--json", "json_path", default=None)
def diversity_command(model, device, fps, seed, contents, motions, frames, out, json_path):
    """Motion diversity: mean per-pixel std across many videos of one content code (appendix D)."""
    import torch

    from vidsynth.apps.mocogan_hd.diversity import diversity_report
    from vidsynth.video.write import to_uint8_frames, write_png

    s = _load(model, device)
    result = diversity_report(s, contents, motions, frames, seed)
    std_img = (result["std_last_frame"] / result["std_last_frame"].max().clamp_min(1e-8)) * 2 - 1
    pair = torch.cat([result["mean_last_frame"], std_img], dim=-1)            # [3, H, 2W]
    path = write_png(out, to_uint8_frames(pair[:, None])[0])
    _report([path], {"motion_diversity": result["mean_std"],
                     "per_content": [round(v, 5) for v in result["per_content"]]}, json_path)
