"""``vidsynth predict``: project real frames into a DIGAN run, then predict past, future and in-between frames.

The work is done by :mod:`vidsynth.apps.digan.project`; this file parses options and writes the outputs.
"""
from __future__ import annotations

from pathlib import Path

import click

EPILOG = """\b
Frame indices count frames of the source video from 0; frame i sits at DIGAN time
t = i / (train_frames - 1). Lists take commas and inclusive ranges: 0,1,2  3-11  0-2,13-15.

\b
Writes to --out (a folder):
  comparison.mp4   rows: real | DIGAN (fit on given frames, prediction elsewhere) | baseline
                   (nearest given frame: repeat the last given frame for forward prediction)
  comparison.png   the same as a still: every frame side by side
  predicted.mp4    the fitted video rendered at every index from --render-from to --render-to
  results.json     PSNR/SSIM of the prediction and of the baseline vs the held-out real frames,
                   per frame too, and the fit on the given frames; latents.npz: fitted w, z_M

\b
Examples:
  vidsynth predict runs/00003-digan-taichi --frames-from clip.mp4 --given 6,7,8 --predict 3-5,9-11
  vidsynth predict RUN --frames-from clip.mp4 --given 0-3 --predict 4-15              # forward
  vidsynth predict RUN --frames-from clip.mp4 --given 12-15 --predict 0-11            # backward
  vidsynth predict RUN --frames-from clip.mp4 --given 0,15 --predict 1-14             # in-between
  vidsynth predict RUN --frames-from builtin:shapes --video-index 3 --given 0,1,2 --predict 3-7
  vidsynth predict RUN --frames-from clip.mp4 --given 0-3 --predict 4-15 --perceptual vgg_features.pt
"""


MAX_INDICES = 100_000  # frames one range may name (each is projected or rendered)


def parse_indices(text: str) -> list[int]:
    """``"0,1,2"`` / ``"3-11"`` / ``"0-2,13-15"`` -> sorted unique frame indices."""
    out: set[int] = set()
    for item in str(text).replace(" ", "").split(","):
        if not item:
            continue
        try:
            if "-" in item:
                a, b = item.split("-", 1)
                lo, hi = int(a), int(b)
                if hi < lo or hi - lo >= MAX_INDICES:
                    raise ValueError
                out.update(range(lo, hi + 1))
            else:
                out.add(int(item))
        except ValueError:
            raise click.BadParameter(f"cannot read {item!r}: use indices like 0,1,2 or ranges like 3-11 "
                                     f"(at most {MAX_INDICES} frames)") from None
    if any(i < 0 for i in out):
        raise click.BadParameter("frame indices must be >= 0")
    return sorted(out)


@click.command("predict", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--frames-from", "source", required=True,
              help="Real video: a video file, a .npz (uint8 'video' [T, H, W, 3]), a folder of frames, or builtin:NAME.")
@click.option("--given", required=True, help="Indices of the frames to project (the observed frames), e.g. 0,1,2.")
@click.option("--predict", "predict_", default="", help="Indices to predict and score against the real video, e.g. "
              "3-11. [default: none, projection only]")
@click.option("--video-index", type=int, default=0, help="Which video of a builtin: dataset.")
@click.option("--mode", type=click.Choice(["w", "w+", "z"]), default="w",
              help="Optimised content latent: w, one w per synthesis block (w+), or z. z_M is always optimised.")
@click.option("--steps", type=int, default=300, help="Optimisation steps (the paper: 20,000 on a GPU).")
@click.option("--lr", type=float, default=0.1, help="Adam learning rate (cosine ramp-down).")
@click.option("--perceptual", default="ssim", help="Perceptual loss term: none, ssim (multi-scale SSIM + gradients), "
              "d (the run's discriminator features), or a TorchScript feature extractor .pt path.")
@click.option("--perceptual-weight", type=float, default=1.0, help="Weight of the perceptual term (pixel MSE has 1).")
@click.option("--class", "label", default=None, help="Class name or index (class-conditional runs).")
@click.option("--seed", type=int, default=0, help="Seed of the projection's random starts and noise.")
@click.option("--render-from", type=int, default=None, help="predicted.mp4 starts at this index. [default: first index]")
@click.option("--render-to", type=int, default=None, help="... and ends at this index. [default: last index]")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output folder. [default: RUN/predict]")
@click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def predict_command(run, source, given, predict_, video_index, mode, steps, lr, perceptual, perceptual_weight, label,
                    seed, render_from, render_to, out, device, quiet):
    """Project given frames of a real video into a DIGAN run; predict past, future and in-between frames."""
    import math

    import vidsynth
    from vidsynth.apps.digan.predict import predict, write_prediction

    if not (math.isfinite(lr) and lr > 0):
        raise click.BadParameter(f"must be a finite number > 0, got {lr}", param_hint="--lr")
    given_idx, predict_idx = parse_indices(given), parse_indices(predict_)
    if not given_idx:
        raise click.BadParameter("give at least one frame", param_hint="--given")
    predict_idx = [i for i in predict_idx if i not in given_idx]
    sampler = vidsynth.load(run, device=device)
    label = int(label) if label is not None and label.isdigit() else label
    result = predict(sampler, source, given_idx, predict_idx, mode, steps, lr, perceptual, perceptual_weight,
                     run=run, label=label, video_index=video_index, seed=seed, progress=not quiet)
    out = Path(out) if out else Path(run) / "predict"
    settings = {"run": str(run), "source": str(source), "video_index": video_index, "mode": mode, "steps": steps,
                "perceptual": perceptual, "perceptual_weight": perceptual_weight}
    write_prediction(sampler, result, out, settings, render_from, render_to)
    scores = result["scores"]

    fit = scores["given_fit"]
    click.echo(f"Fit on given frames {given}: PSNR {fit['psnr']:.2f} dB, SSIM {fit['ssim']:.3f}")
    if predict_idx:
        p, b = scores["prediction"], scores["baseline_nearest_given"]
        click.echo(f"Prediction of frames {predict_}:  PSNR {p['psnr']:.2f} dB, SSIM {p['ssim']:.3f}")
        click.echo(f"Baseline (nearest given frame): PSNR {b['psnr']:.2f} dB, SSIM {b['ssim']:.3f}")
    click.echo(f"Wrote {out}/comparison.mp4, comparison.png, predicted.mp4, latents.npz, results.json")
