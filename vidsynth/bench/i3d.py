"""I3D feature extraction speed (the FVD feature network), when ``vidsynth.metrics.i3d`` exists."""
from __future__ import annotations

import torch

from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import time_call
from vidsynth.speed import inference


def i3d_speed(settings: BenchSettings, frames: int = 16, size: int = 224) -> dict:
    """Clips/s of I3D on ``[B, 3, frames, size, size]`` clips, or ``{"skipped": reason}``."""
    try:
        from vidsynth.metrics.i3d import load_i3d
    except ImportError as e:
        return {"skipped": f"vidsynth.metrics.i3d.load_i3d is not importable ({e})"}
    note = "Kinetics-400 weights"
    try:
        model = load_i3d(device=settings.device)
    except Exception as e:  # noqa: BLE001 - weights missing, offline, ...: speed does not need them
        try:
            from vidsynth.metrics.i3d import InceptionI3d
        except ImportError:
            return {"skipped": f"load_i3d failed: {type(e).__name__}: {e}"}
        model = InceptionI3d().eval().requires_grad_(False).to(settings.device)
        note = f"random weights (load_i3d failed: {type(e).__name__}); speed is the same"
    batch = settings.batch_size()
    clips = torch.rand(batch, 3, frames, size, size, device=settings.device) * 2 - 1

    def run():
        with inference():
            model(clips)

    t = time_call(run, max(settings.repeats(False), 2), 1, settings.device)
    return {"batch": batch, "clip_frames": frames, "size": size, "clips_per_s": batch / t["median_s"], "note": note}
