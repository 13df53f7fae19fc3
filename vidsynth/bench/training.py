"""One training step (one G update + one D update): time and peak memory."""
from __future__ import annotations

from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import time_call


def training_step(subject, settings: BenchSettings) -> dict:
    device, batch = settings.device, settings.batch_size()
    step = subject.train_step(batch, device)
    heavy = subject.paper_scale
    mem = peak_memory(step, device)          # the first step also allocates optimizer state
    t = time_call(step, settings.repeats(heavy), 0, device)
    return {"batch": batch, "sec_per_step": t["median_s"], "times_s": t["times_s"],
            "peak_mem_gib": gib(mem["peak_bytes"]), "mem_method": mem["method"],
            "note": "first step measured for memory (includes optimizer state and R1 for DIGAN)"}
