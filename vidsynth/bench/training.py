"""Training steps (one G update + one D update): time, peak memory and the fraction of the machine's
rate, at several batch sizes, with and without the lazy regulariser.

``Subject.train_steps(batch, device)`` gives one callable per kind of step: DIGAN ``r1`` (the step
that also runs the lazy R1 phase, every 16th) and ``no_r1`` (the 15 others); MoCoGAN-HD ``gp`` (its
in-domain D step always includes WGAN-GP on the video D, so there is one kind). The first call of a
kind is the warm-up: it allocates the optimizer state, and its peak memory and its FLOPs
(``flops.MACCounter`` on the real call: forward, backward and R1's double backward) are
recorded; then ``repeats`` calls are timed with their user/system CPU time.

Batches that do not fit: before a batch is built its peak memory is predicted from the batches
measured so far (linear in batch through the two largest; from one batch, proportional to the batch,
an upper bound) and, if the prediction exceeds the memory available now, the batch is not run; its
row carries ``"estimated": true`` and the predicted memory. With ``--batch-gpu N`` (``BenchSettings.batch_gpu``)
a step runs in micro-batches of N samples, gradients summed, as training with ``batch_gpu`` does: the
same step, with the memory of N samples per pass (rows say ``"batch_gpu": N``), and predictions are made
per pass. ``--max-memory GIB`` (``BenchSettings.max_memory_gib``)
lowers that limit, for a machine shared with other jobs. When no batch of the list has been
measured yet and the first is larger than 1, batch 1 is measured first as a probe.
"""
from __future__ import annotations

import gc
import re

import torch

from vidsynth.bench.flops import MACCounter
from vidsynth.bench.memory import gib, peak_memory, release_free_heap
from vidsynth.bench.peak import mixed_fraction_of_peak
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import time_call
from vidsynth.utils import heap

HEADROOM = 0.9   # run a batch only if its predicted peak is under 90% of the memory available now


def available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` (Linux), or None where unknown (then every batch is run)."""
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemAvailable:\s+(\d+) kB", f.read(), re.MULTILINE)
        return int(m.group(1)) * 1024 if m else None
    except OSError:
        return None


def memory_limit(device, max_memory_gib: float | None = None) -> tuple[float, str] | None:
    """``(bytes, why)``: the most a training batch may be predicted to use, the smaller of ``HEADROOM`` of the
    memory available now (CPU) and ``--max-memory`` (a share of a machine others use too); None: no limit."""
    limits = []
    free = available_bytes() if torch.device(device).type == "cpu" else None
    if free is not None:
        limits.append((HEADROOM * free, f"{HEADROOM:.0%} of the {gib(free):.1f} GiB available"))
    if max_memory_gib is not None:
        limits.append((max_memory_gib * 2 ** 30, f"--max-memory {max_memory_gib:g} GiB"))
    return min(limits) if limits else None


def predict_peak(measured: dict[int, float], batch: int) -> tuple[float, str] | None:
    """Peak bytes at ``batch`` from ``{batch: measured peak bytes}``: linear through the two largest
    measured batches, or proportional to the batch from one (an upper bound: it scales the fixed part
    too). None without measurements."""
    if not measured:
        return None
    sizes = sorted(measured)
    if len(sizes) == 1:
        (b1,) = sizes
        return measured[b1] * batch / b1, f"proportional to batch from batch {b1} (upper bound)"
    b1, b2 = sizes[-2:]
    slope = (measured[b2] - measured[b1]) / (b2 - b1)
    return measured[b2] + slope * (batch - b2), f"linear in batch through batches {b1} and {b2}"


def measure_kind(step, subject, settings: BenchSettings, batch: int) -> dict:
    """Warm-up call (peak memory, counted FLOPs), then timed calls; one row of the result."""
    device = settings.device
    with MACCounter() as counter:
        mem = peak_memory(step, device)
    macs = counter.macs
    t = time_call(step, settings.repeats(subject.paper_scale), 0, device)
    return {"batch": batch, "sec_per_step": t["median_s"], "times_s": t["times_s"], "cpu": t["cpu"],
            "peak_mem_gib": gib(mem["peak_bytes"]), "mem_method": mem["method"], "gmac_per_step": macs / 1e9,
            **mixed_fraction_of_peak(counter.by_kind, t["median_s"], settings.peak)}


def training_step(subject, settings: BenchSettings) -> dict:
    """``{"rows": [{"batch", "kind", "sec_per_step", "peak_mem_gib", ...} or an estimated row], ...}``."""
    device = settings.device
    wanted = sorted(set(settings.training_batches()))
    plan = ([1] if wanted[0] > 1 else []) + wanted      # batch 1 first as a probe (see the module docstring)
    measured: dict[int, float] = {}
    rows = []
    for batch in plan:
        probe = batch not in wanted
        per_pass = settings.pass_size(batch)             # memory grows with the samples of one pass
        guess = predict_peak(measured, per_pass)
        heap.release()              # the last batch's retained heap (retain_heap lingers) is not "in use"
        release_free_heap()
        limit = memory_limit(device, settings.max_memory_gib)
        if guess is not None and limit is not None and guess[0] > limit[0]:
            if not probe:
                rows.append({"batch": batch, "kind": "all", "estimated": True, "peak_mem_gib": gib(guess[0]),
                             "note": f"not run: estimated {gib(guess[0]):.1f} GiB ({guess[1]}) > {limit[1]}"})
            continue
        steps = subject.train_steps(batch, device, batch_gpu=per_pass if per_pass < batch else 0)
        for kind, step in steps.items():
            row = {"kind": kind, **measure_kind(step, subject, settings, batch)}
            if per_pass < batch:
                row["batch_gpu"] = per_pass
            if probe:
                row["probe"] = True
            rows.append(row)
            measured[per_pass] = max(measured.get(per_pass, 0.0), row["peak_mem_gib"] * 2 ** 30)
        del steps, step             # the last kind's trainer too, before the next batch's memory check
        gc.collect()
    largest = max((r["batch"] for r in rows if not r.get("estimated") and not r.get("probe")), default=None)
    return {"rows": rows, "largest_batch_run": largest, "batches": wanted,
            "note": "peak memory of the first call of each kind (includes allocating the optimizer state); "
                    "time: median of the calls after it"}
