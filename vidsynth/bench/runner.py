"""Runs the chosen measurements on the chosen configs and returns one JSON-able dict."""
from __future__ import annotations

import gc
import platform
import time
import traceback
from typing import Callable

import torch

from vidsynth.bench.discriminator import discriminator_speed
from vidsynth.bench.generation import FLOP_CONVENTION, generation_speed, generator_flops
from vidsynth.bench.head_to_head import PAIRS, head_to_head
from vidsynth.bench.i3d import i3d_speed
from vidsynth.bench.loader import loader_speed
from vidsynth.bench.long_video import long_video_memory
from vidsynth.bench.memory_report import memory_report
from vidsynth.bench.official import official_comparison
from vidsynth.bench.paper import compare_with_paper
from vidsynth.bench.peak import peak_rates
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.speedups import run_speedups
from vidsynth.bench.subjects import DEFAULT_CONFIGS, get_subject
from vidsynth.bench.training import training_step

MEASURES: dict[str, Callable] = {
    "flops": lambda s, st: generator_flops(s),
    "generation": generation_speed,
    "discriminator": discriminator_speed,
    "training": training_step,
    "long_video": long_video_memory,
    "speedups": run_speedups,
    "loader": loader_speed,
    "memory": memory_report,
}
# Measures run only when asked for by name (they write a temporary dataset and train on it).
OPT_IN = ("loader",)
# The key each measure is stored under in a config's result.
RESULT_KEYS = {"flops": "generator"}
# Measures of the machine / the metric network / the official code, not of a config: peak (peak.py),
# i3d (i3d.py; asked for by name it also times the variants: memory format, batch size, and compile
# with --compile), official (official.py: needs ``official`` checkouts; never part of the default).
MACHINE_MEASURES = ("peak", "i3d", "official")
DEFAULT_MEASURES = ("flops", "generation", "discriminator", "training", "long_video", "speedups", "head_to_head")
# Measures that train a model and run on their own, not through run_bench: learning (learning.py, run_learning).
TRAINING_MEASURES = ("learning",)


def run_bench(configs=DEFAULT_CONFIGS, settings: BenchSettings | None = None, measures=None,
              i3d: bool = True, log: Callable[[str], None] = lambda msg: None,
              official: dict | None = None) -> dict:
    """Measure ``configs`` (names from ``SUBJECTS``); ``measures`` picks from ``MEASURES`` and
    ``MACHINE_MEASURES`` (default ``DEFAULT_MEASURES``). ``official``: ``{"digan": checkout,
    "mocogan-hd": checkout}`` for the ``official`` measure (validated by ``official.check_checkouts``).

    The machine's rates (``peak``) are measured first whenever a per-config or official measure runs, so
    every subject reports the fraction of them it reaches. A measurement that fails (e.g. out of memory)
    is recorded as ``{"error": ...}`` and the rest go on.
    """
    settings = settings or BenchSettings(torch.device("cpu"))
    measures = list(measures or DEFAULT_MEASURES)
    unknown = [m for m in measures if m not in MEASURES and m not in ("head_to_head", *MACHINE_MEASURES)]
    if unknown:
        raise KeyError(f"unknown measure(s) {unknown}; choose from {', '.join(MEASURES)}, head_to_head, "
                       f"{', '.join(MACHINE_MEASURES)} ({', '.join(TRAINING_MEASURES)}: run_learning, alone)")
    per_config = any(m in MEASURES or m == "head_to_head" for m in measures)
    subjects = [get_subject(name) for name in configs] if per_config else []
    if "official" in measures:
        from vidsynth.bench.official import check_checkouts

        official = check_checkouts(official or {})
    out = {"device": str(settings.device), "device_name": _device_name(settings.device),
           "torch": torch.__version__, "threads": torch.get_num_threads(), "python": platform.python_version(),
           "quick": settings.quick, "batch": settings.batch_size(), "compile": settings.compile,
           "flop_convention": FLOP_CONVENTION, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "results": []}
    if per_config or "official" in measures or "peak" in measures:
        log("peak ...")
        settings.peak = settings.peak or peak_rates(settings.device)
        out["peak"] = settings.peak
    for subject in subjects:
        result = subject.summary()
        for name in (m for m in measures if m in MEASURES):
            log(f"{subject.name}: {name} ...")
            start = time.perf_counter()
            try:
                result[RESULT_KEYS.get(name, name)] = MEASURES[name](subject, settings)
            except (RuntimeError, MemoryError, ValueError) as e:
                result[RESULT_KEYS.get(name, name)] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
                log(traceback.format_exc(limit=3))
            log(f"{subject.name}: {name} done in {time.perf_counter() - start:.1f} s")
        out["results"].append(result)
        subject._built.clear()            # free the networks before the next (maybe huge) config
        gc.collect()
    if "head_to_head" in measures and per_config:
        out["head_to_head"] = []
        for digan_name, mocogan_name in PAIRS:
            if digan_name in configs and mocogan_name in configs:
                log(f"head to head: {digan_name} vs {mocogan_name} ...")
                try:
                    out["head_to_head"].append(head_to_head(digan_name, mocogan_name, settings))
                except (RuntimeError, MemoryError) as e:
                    out["head_to_head"].append({"configs": [digan_name, mocogan_name], "error": str(e)[:300]})
    if "official" in measures:
        out["official"] = official_comparison(official, settings, log=log)
    if ("i3d" in measures or i3d) and "peak" not in out and settings.device.type == "cpu":
        log("peak ...")
        settings.peak = out["peak"] = peak_rates(settings.device)
    if i3d or "i3d" in measures:
        log("i3d ...")
        out["i3d"] = i3d_speed(settings, variants="i3d" in measures, peak=out.get("peak"))
    out["paper_comparison"] = compare_with_paper(out["results"])
    return out


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()
