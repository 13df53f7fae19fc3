"""DIGAN vs MoCoGAN-HD generation in one interleaved run, so machine load hits both alike.

Both generators cost the same per frame whatever the length (DIGAN renders frames independently;
MoCoGAN-HD's LSTM is negligible next to StyleGAN2), so a few frames per video suffice for the
ratio; the result is also given per 16-frame video.
"""
from __future__ import annotations

from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.subjects import get_subject
from vidsynth.bench.timing import compare_detailed
from vidsynth.bench.speed import inference

PAIRS = [("digan-test", "mocogan-hd-test"), ("digan-tiny", "mocogan-hd-tiny"),
         ("digan-paper128", "mocogan-hd-ucf128")]


def head_to_head(digan_name: str, mocogan_name: str, settings: BenchSettings) -> dict:
    device = settings.device
    subjects = {"digan": get_subject(digan_name), "mocogan-hd": get_subject(mocogan_name)}
    frames = 4 if settings.quick and subjects["digan"].paper_scale else subjects["digan"].frames
    fns = {}
    for name, s in subjects.items():
        s.build(device)
        lat = s.latents(1, device)

        def fn(s=s, lat=lat):
            with inference():
                s.generate(lat, frames)
        fns[name] = fn
    timed = compare_detailed(fns, max(settings.repeats(False), 2), 1, device)
    medians = {name: t["median_s"] for name, t in timed.items()}
    mem = {name: gib(peak_memory(fn, device)["peak_bytes"]) for name, fn in fns.items()}
    for s in subjects.values():
        s._built.clear()
    return {"configs": [digan_name, mocogan_name], "frames": frames, "sec_per_frame": {
                k: v / frames for k, v in medians.items()},
            "sec_per_16_frame_video": {k: 16 * v / frames for k, v in medians.items()},
            "mocogan_hd_over_digan_time": medians["mocogan-hd"] / medians["digan"],
            "peak_mem_gib": mem, "cpu": {name: t["cpu"] for name, t in timed.items()},
            "note": f"batch 1, {frames} frames, interleaved"}
