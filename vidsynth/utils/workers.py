"""How many data-loading worker processes suit this machine (the training loader's default)."""
from __future__ import annotations

import os


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def default_num_workers(cpus: int | None = None) -> int:
    """Loader worker processes for ``cpus`` cores (default: the cores this process may use): half of them,
    as the other half run the step's math; at least 1, at most 8 (beyond that, decoding 2 to 16 frames
    per clip is never what a step waits for)."""
    if cpus is None:
        cpus = usable_cores()
    return int(min(8, max(1, cpus // 2)))
