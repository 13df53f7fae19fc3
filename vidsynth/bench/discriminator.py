"""Discriminator throughput: clips judged per second by all of a method's discriminators.

DIGAN looks at two frames per clip (motion D on the pair + dt, image D on both frames), so its
cost does not depend on the clip length; MoCoGAN-HD's 3D video D reads every frame. The DIGAN
paper (appendix I) measured 128-frame clips at batch 16 on a V100; ``--d-frames 128`` repeats that.
"""
from __future__ import annotations

import torch

from vidsynth.bench.flops import count_macs
from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.peak import fraction_of_peak
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import time_call
from vidsynth.bench.speed import inference


def random_clips(batch: int, frames: int, resolution: int, device) -> torch.Tensor:
    """Clips ``[B, 3, T, R, R]`` in [-1, 1] (content does not matter for speed)."""
    g = torch.Generator().manual_seed(0)
    return (torch.rand(batch, 3, frames, resolution, resolution, generator=g) * 2 - 1).to(device)


def discriminator_speed(subject, settings: BenchSettings) -> dict:
    device = settings.device
    batch = settings.batch_size()
    frames = settings.d_frames or subject.frames
    subject.build(device)
    clips = random_clips(batch, frames, subject.resolution, device)
    D = subject.discriminators(device, frames)

    def run():
        with inference():
            subject.discriminate(clips, D)

    macs = count_macs(run)["macs"]          # doubles as the warm-up call
    t = time_call(run, max(settings.repeats(False), 2), 0, device)
    mem = peak_memory(run, device)
    return {"batch": batch, "clip_frames": frames, "gmac_per_clip": macs / batch / 1e9, "sec_per_batch": t["median_s"],
            "clips_per_s": batch / t["median_s"], "peak_mem_gib": gib(mem["peak_bytes"]), "cpu": t["cpu"],
            **fraction_of_peak(macs, t["median_s"], settings.peak, subject.peak_kind["discriminator"])}
