"""One training step (one G update + one D update): time and peak memory."""
from __future__ import annotations

import time

from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import synchronize, time_call


def training_step(subject, settings: BenchSettings) -> dict:
    """Peak memory of the first step (it also allocates the optimizer state; DIGAN's step 0 runs R1),
    then the median time of ``repeats`` further steps. Paper-scale configs in quick mode time that
    first step only (a step takes minutes on a CPU)."""
    device, batch = settings.device, settings.batch_size()
    step = subject.train_step(batch, device)
    start = time.perf_counter()
    mem = peak_memory(step, device)
    synchronize(device)
    first = time.perf_counter() - start
    if subject.paper_scale and settings.quick:
        times, note = [first], "quick: one (first) step timed, incl. optimizer-state allocation"
    else:
        times, note = time_call(step, settings.repeats(), 0, device)["times_s"], "median of steps after the first"
    times_sorted = sorted(times)
    return {"batch": batch, "sec_per_step": times_sorted[len(times) // 2], "times_s": times, "first_step_s": first,
            "peak_mem_gib": gib(mem["peak_bytes"]), "mem_method": mem["method"], "note": note}
