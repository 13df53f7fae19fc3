"""Wall-clock timing. On a shared machine single timings are noisy, so compare variants with
``compare``: it interleaves them (A B C A B C ...) so drifting background load hits all alike,
and reports medians. ``compare_detailed`` also reports each variant's CPU time split into user and
system (kernel) time (``resource.getrusage(RUSAGE_SELF)`` deltas around its timed calls): system
time is work lost outside the math (page faults from allocating and freeing large activations)."""
from __future__ import annotations

import resource
import statistics
import time
from typing import Callable

import torch


def synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work so a timer measures it (no-op on CPU)."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


class CPUTime:
    """User and system CPU seconds of this process (all its threads) spent inside ``with`` blocks, summed."""

    def __init__(self):
        self.user_s = self.sys_s = 0.0
        self.calls = 0
        self.minor_faults = 0      # minor page faults (ru_minflt) inside the blocks, summed

    def __enter__(self):
        self.calls += 1
        self._start = resource.getrusage(resource.RUSAGE_SELF)
        return self

    def __exit__(self, *exc):
        end = resource.getrusage(resource.RUSAGE_SELF)
        self.user_s += end.ru_utime - self._start.ru_utime
        self.sys_s += end.ru_stime - self._start.ru_stime
        self.minor_faults += end.ru_minflt - self._start.ru_minflt

    def as_dict(self) -> dict:
        """``{"user_s", "sys_s", "sys_over_user"}`` (the issue's target: sys_over_user < 0.1)."""
        return {"user_s": self.user_s, "sys_s": self.sys_s,
                "sys_over_user": self.sys_s / self.user_s if self.user_s > 0 else None}

    def per_call(self) -> dict:
        """``as_dict`` with the seconds divided by the number of ``with`` blocks."""
        n = max(self.calls, 1)
        return {**self.as_dict(), "user_s": self.user_s / n, "sys_s": self.sys_s / n}

    def wrap(self, fn: Callable[[], object]) -> Callable[[], object]:
        """``fn`` with each call counted in this ``CPUTime``."""
        def call():
            with self:
                return fn()
        return call


def time_call(fn: Callable[[], object], repeat: int = 3, warmup: int = 1, device=None) -> dict:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times: ``{"median_s", "min_s", "times_s",
    "cpu": CPUTime.as_dict() of the timed calls}``."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times, cpu = [], CPUTime()
    for _ in range(max(repeat, 1)):
        with cpu:
            start = time.perf_counter()
            fn()
            synchronize(device)
            times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "times_s": times, "cpu": cpu.as_dict()}


def compare(variants: dict[str, Callable[[], object]], repeat: int = 3, warmup: int = 1, device=None) -> dict:
    """Time several variants interleaved; ``{name: median seconds}``. The first is the baseline
    for ratios (``ratios`` below)."""
    return {name: r["median_s"] for name, r in compare_detailed(variants, repeat, warmup, device).items()}


def compare_detailed(variants: dict[str, Callable[[], object]], repeat: int = 3, warmup: int = 1,
                     device=None) -> dict:
    """``compare`` with everything it saw: ``{name: {"median_s", "times_s", "cpu"}}``, where ``cpu``
    is the ``CPUTime`` of that variant's timed calls only."""
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu = {name: CPUTime() for name in variants}
    for _ in range(max(repeat, 1)):
        for name, fn in variants.items():
            synchronize(device)
            with cpu[name]:
                start = time.perf_counter()
                fn()
                synchronize(device)
                times[name].append(time.perf_counter() - start)
    return {name: {"median_s": statistics.median(t), "times_s": t, "cpu": cpu[name].as_dict()}
            for name, t in times.items()}


def ratios(medians: dict[str, float]) -> dict[str, float]:
    """Speed of each variant relative to the first (baseline time / variant time; > 1 is faster)."""
    base = next(iter(medians.values()))
    return {name: base / t if t > 0 else float("nan") for name, t in medians.items()}
