"""Long-video generation: peak memory (and time) against the number of frames.

Both generators can render in chunks of frames: DIGAN because frames are independent given the
video's INR weights (only the time coordinate differs), MoCoGAN-HD because the LSTM trajectory is
cheap and frames go through StyleGAN2 independently. Rendering everything at once makes the working
memory grow linearly with the length; chunked rendering keeps it flat, leaving only the output
video itself (``output_gib``) to grow.
"""
from __future__ import annotations

import time

from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.speed import inference


def default_lengths(subject, settings: BenchSettings) -> list[int]:
    if subject.paper_scale and settings.quick:
        return [8, 16] if subject.method == "mocogan-hd" else [8, 16, 32]
    if subject.paper_scale:
        return [16, 32, 64, 128]
    if subject.frames <= 4:              # unit-test configs
        return [4, 16, 64]
    return [16, 64, 256]


def long_video_memory(subject, settings: BenchSettings, lengths: list[int] | None = None, chunk: int = 8) -> dict:
    device = settings.device
    subject.build(device)
    lat = subject.latents(1, device)
    rows = []
    for frames in lengths or default_lengths(subject, settings):
        row = {"frames": frames, "output_gib": gib(3 * frames * subject.resolution ** 2 * 4)}
        for mode, fn in (("all_at_once", lambda: subject.generate(lat, frames)),
                         ("chunked", lambda: subject.generate_chunked(lat, frames, chunk))):
            start = time.perf_counter()

            def run():
                with inference():
                    fn()
            mem = peak_memory(run, device)
            row[f"{mode}_peak_gib"] = gib(mem["peak_bytes"])
            row[f"{mode}_sec"] = time.perf_counter() - start
        rows.append(row)
    return {"batch": 1, "chunk": chunk, "rows": rows}
