"""Video prediction (DIGAN paper §4.2 Figure 5, Appendix E): fit latents to the given frames of a real
video (:func:`vidsynth.apps.digan.project.project`), render the frames at other indices -- the past,
the future or in between -- and score them against the real frames and a nearest-given-frame baseline.

Frame ``i`` sits at DIGAN time ``t = i / (train_frames - 1)``; nothing is autoregressive.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from vidsynth.apps.digan import quality
from vidsynth.apps.digan.project import load_frames, perceptual_loss, project
from vidsynth.errors import VidsynthError
from vidsynth.models.digan.coordinates import frame_times
from vidsynth.utils.files import atomic_write_text
from vidsynth.video.write import frame_strip, make_grid, write_npz, write_png, write_video


def nearest_given(given_indices, predict_indices) -> list[int]:
    """For each predicted index, the position of the nearest given frame (ties: the earlier one).

    The baseline "repeat the last given frame" for forward prediction, the first for backward
    prediction, and the nearer neighbour in between.
    """
    return [min(range(len(given_indices)), key=lambda k: (abs(given_indices[k] - p), given_indices[k]))
            for p in predict_indices]


def predict(sampler, source, given, predict_indices, mode: str = "w", steps: int = 300, lr: float = 0.1,
            perceptual: str = "ssim", perceptual_weight: float = 1.0, run=None, label=None, video_index: int = 0,
            seed: int = 0, progress: bool = False) -> dict:
    """Project frames ``given`` of ``source``, render frames ``predict_indices``; score both against the real ones.

    Returns a dict with the fitted :class:`DIGANProjection`, tensors ``given_real``/``given_fit``
    ``[3, N, H, W]``, ``predicted``/``predicted_real``/``baseline`` ``[3, M, H, W]`` and ``scores``:
    PSNR/SSIM of the prediction and of the nearest-given-frame baseline.
    """
    given, predict_indices = [int(i) for i in given], [int(i) for i in predict_indices]
    if not given:
        raise VidsynthError("give at least one frame index to project (--given)")
    res, tf = sampler.resolution, sampler.train_frames
    everything = sorted(set(given) | set(predict_indices))
    frames = load_frames(source, res, everything, video_index, seed)              # [3, K, R, R]
    pick = lambda idx: frames[:, [everything.index(i) for i in idx]]
    real_given = pick(given)
    c = sampler.labels(1, label, seed)
    fit = project(sampler, real_given, frame_times(given, tf), mode, steps, lr, perceptual_loss(perceptual, run),
                  perceptual_weight, c=c, seed=seed, progress=progress)
    out = {"projection": fit, "given_real": real_given, "given_fit": fit.render(sampler, frame_times(given, tf))[0],
           "given": given, "predict": predict_indices, "train_frames": tf}
    scores = {"given_fit": quality.frame_scores(out["given_fit"].transpose(0, 1), real_given.transpose(0, 1))}
    if predict_indices:
        real = pick(predict_indices)
        pred = fit.render(sampler, frame_times(predict_indices, tf))[0]            # [3, M, R, R]
        base = real_given[:, nearest_given(given, predict_indices)]
        out.update(predicted=pred, predicted_real=real, baseline=base)
        scores["prediction"] = quality.frame_scores(pred.transpose(0, 1), real.transpose(0, 1))
        scores["baseline_nearest_given"] = quality.frame_scores(base.transpose(0, 1), real.transpose(0, 1))
        scores["per_frame"] = [
            {"index": i, "time": float(t), **quality.frame_scores(pred[:, k:k + 1].transpose(0, 1),
                                                                  real[:, k:k + 1].transpose(0, 1)),
             "baseline": quality.frame_scores(base[:, k:k + 1].transpose(0, 1), real[:, k:k + 1].transpose(0, 1))}
            for k, (i, t) in enumerate(zip(predict_indices, frame_times(predict_indices, tf)))]
    out["scores"] = scores
    return out


def write_prediction(sampler, result: dict, out: Path, settings: dict, render_from: int | None = None,
                     render_to: int | None = None) -> dict:
    """Write :func:`predict`'s ``result`` into folder ``out``; returns the ``results.json`` report.

    ``comparison.mp4`` / ``.png``: every index in order, rows real | DIGAN (fit on the given frames,
    prediction elsewhere) | baseline; ``predicted.mp4``: the fitted video at every index from
    ``render_from`` to ``render_to`` (default: the first and last index); ``latents.npz``: fitted w, z_M;
    ``results.json``: ``settings`` + the indices + the scores.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    given_idx, predict_idx = result["given"], result["predict"]

    # comparison: every index in order; rows real / DIGAN / baseline
    order = sorted(given_idx + predict_idx)
    def column(kind_given, kind_pred):
        cols = {i: result[kind_given][:, k] for k, i in enumerate(given_idx)}
        if predict_idx:
            cols.update({i: result[kind_pred][:, k] for k, i in enumerate(predict_idx)})
        return torch.stack([cols[i] for i in order], dim=1)                           # [3, T, H, W]
    real = column("given_real", "predicted_real")
    fake = column("given_fit", "predicted")
    rows = [real, fake] + ([column("given_real", "baseline")] if predict_idx else [])
    comparison = torch.stack(rows)                                                    # [rows, 3, T, H, W]
    fps = sampler.fps
    write_video(out / "comparison.mp4", make_grid(comparison, nrow=1), fps)
    write_png(out / "comparison.png", frame_strip(make_grid(comparison, nrow=1), max_frames=len(order)))
    lo = render_from if render_from is not None else order[0]
    hi = render_to if render_to is not None else order[-1]
    full = result["projection"].render(sampler, frame_times(range(lo, hi + 1), sampler.train_frames))
    write_video(out / "predicted.mp4", full[0], fps)
    proj = result["projection"]
    write_npz(out / "latents.npz", w=proj.w.numpy(), z_motion=proj.z_motion.numpy(), mode=np.asarray(proj.mode))
    scores = result["scores"]
    report = {"run": settings.get("run"), "source": settings.get("source"), "video_index": settings.get("video_index"),
              "given": given_idx, "predict": predict_idx, "train_frames": sampler.train_frames,
              "mode": settings.get("mode"), "steps": settings.get("steps"), "perceptual": settings.get("perceptual"),
              "perceptual_weight": settings.get("perceptual_weight"),
              "final_loss": proj.losses[-1] if proj.losses else None, **scores}
    atomic_write_text(out / "results.json", json.dumps(report, indent=2) + "\n")
    return report
