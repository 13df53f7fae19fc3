"""Wall-clock timing. On a shared machine single timings are noisy, so compare variants with
``compare``: it interleaves them (A B C A B C ...) so drifting background load hits all alike,
and reports medians."""
from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work so a timer measures it (no-op on CPU)."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn: Callable[[], object], repeat: int = 3, warmup: int = 1, device=None) -> dict:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times: ``{"median_s", "min_s", "times_s"}``."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "times_s": times}


def compare(variants: dict[str, Callable[[], object]], repeat: int = 3, warmup: int = 1, device=None) -> dict:
    """Time several variants interleaved; ``{name: median seconds}``. The first is the baseline
    for ratios (``ratios`` below)."""
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(max(repeat, 1)):
        for name, fn in variants.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def ratios(medians: dict[str, float]) -> dict[str, float]:
    """Speed of each variant relative to the first (baseline time / variant time; > 1 is faster)."""
    base = next(iter(medians.values()))
    return {name: base / t if t > 0 else float("nan") for name, t in medians.items()}
