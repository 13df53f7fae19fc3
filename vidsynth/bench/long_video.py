"""Long-video generation: peak memory (and time) against the number of frames.

Both generators can render in chunks of frames: DIGAN because frames are independent given the
video's INR weights (only the time coordinate differs), MoCoGAN-HD because the LSTM trajectory is
cheap and frames go through StyleGAN2 independently. Rendering everything at once makes the working
memory grow linearly with the length; chunked rendering keeps it flat, leaving only the output
video itself (``output_gib``) to grow. Streamed rendering (``Subject.stream_chunks``: each chunk is
handed on, as to a video writer, and dropped) holds no output at all: its peak (``streamed_peak_gib``)
is the working memory, which must stay flat in the length (``working_growth``: longest / shortest).
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


def long_video_memory(subject, settings: BenchSettings, lengths: list[int] | None = None, chunk: int = 8,
                      batch: int = 1, all_at_once_up_to: int | None = None) -> dict:
    """Rows per length: chunked peak / working memory, and all-at-once peak for lengths up to
    ``all_at_once_up_to`` (None: every length; all at once a 1024-frame paper video needs ~100 GiB)."""
    device = settings.device
    subject.build(device)
    lat = subject.latents(batch, device)
    rows = []
    for frames in lengths or default_lengths(subject, settings):
        row = {"frames": frames, "output_gib": gib(batch * 3 * frames * subject.resolution ** 2 * 4)}
        modes = [("chunked", lambda: subject.generate_chunked(lat, frames, chunk)),
                 ("streamed", lambda: [None for _ in subject.stream_chunks(lat, frames, chunk)])]
        if all_at_once_up_to is None or frames <= all_at_once_up_to:
            modes.insert(0, ("all_at_once", lambda: subject.generate(lat, frames)))
        for mode, fn in modes:
            start = time.perf_counter()

            def run():
                with inference():
                    fn()
            mem = peak_memory(run, device)
            row[f"{mode}_peak_gib"] = gib(mem["peak_bytes"])
            row[f"{mode}_sec"] = time.perf_counter() - start
        rows.append(row)
    first, last = rows[0]["streamed_peak_gib"], rows[-1]["streamed_peak_gib"]
    return {"batch": batch, "chunk": chunk, "rows": rows,
            "working_growth": last / first if first > 0 else None,
            "note": f"streamed peak at {rows[-1]['frames']} frames / at {rows[0]['frames']} (1 = flat)"}
