"""Peak memory of one call.

* CUDA: ``torch.cuda.max_memory_allocated`` after a reset, minus what was allocated before.
* CPU: the process's resident-set high-water mark (``VmHWM`` in ``/proc/self/status``), reset
  first by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0), minus the resident size
  before the call. Freed heap is handed back first (``malloc_trim``) so earlier work does not hide
  new allocations. Where the reset is impossible it falls back to the ``getrusage`` high-water
  mark, which only shows growth beyond every earlier peak (``method`` says which was used).
"""
from __future__ import annotations

import ctypes
import gc
import re
import resource
from typing import Callable

import torch


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.MULTILINE)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def release_free_heap() -> None:
    """Collect garbage and hand the heap's free memory back to the system (``malloc_trim``)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory(fn: Callable[[], object], device: torch.device | str = "cpu") -> dict:
    """Run ``fn`` once; ``{"peak_bytes": extra memory at the peak, "method": how it was measured}``."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return {"peak_bytes": torch.cuda.max_memory_allocated(device) - before, "method": "cuda.max_memory_allocated"}
    release_free_heap()
    if _reset_hwm() and _status_kib("VmRSS") is not None:
        before = _status_kib("VmRSS")
        fn()
        return {"peak_bytes": max(_status_kib("VmHWM") - before, 0) * 1024, "method": "VmHWM (reset)"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_bytes": (after - before) * 1024, "method": "ru_maxrss delta (lower bound)"}


def gib(n_bytes: float) -> float:
    return n_bytes / 2 ** 30
