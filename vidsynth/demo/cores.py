"""How many CPU threads the demo should use: the cores that are actually free right now.

PyTorch uses every physical core by default; on a machine where another process keeps one of two
cores busy, two threads per op oversubscribe it and each parallel region waits for the slow thread
(an earlier note measured a 10x slowdown). The rule: measure the idle share of the CPUs this process
may run on from two ``/proc/stat`` readings ``interval`` seconds apart (idle + iowait jiffies over all
jiffies), free cores = idle share x usable cores, threads = free cores rounded to the nearest whole
core, between 1 and the usable cores. Without ``/proc/stat`` (not Linux): usable cores minus the
1-minute load average, same rounding.
"""
from __future__ import annotations

import math
import os
import time

from vidsynth.utils.workers import usable_cores


def read_cpu_times(path: str = "/proc/stat") -> tuple[int, int] | None:
    """``(idle, total)`` jiffies of the aggregate ``cpu`` line (idle includes iowait); None if unreadable."""
    try:
        with open(path) as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        return None
    values = [int(v) for v in fields[1:9]]   # user nice system idle iowait irq softirq steal (guest is in user)
    return values[3] + values[4], sum(values)


def free_cores(interval: float = 0.5, reader=read_cpu_times, sleep=time.sleep, loadavg=os.getloadavg,
               cores: int | None = None) -> float:
    """Cores idle over the next ``interval`` seconds (a float; see the module's rule)."""
    n = usable_cores() if cores is None else cores
    total_cpus = os.cpu_count() or n
    first = reader()
    if first is not None:
        sleep(interval)
        second = reader()
        if second is not None and second[1] > first[1]:
            idle_share = (second[0] - first[0]) / (second[1] - first[1])
            # /proc/stat counts every CPU of the machine; scale the idle CPUs to the ones we may use.
            return max(min(idle_share * total_cpus, n), 0.0)
    try:
        return max(n - loadavg()[0], 0.0)
    except (AttributeError, OSError):
        return float(n)


def free_threads(free: float, cores: int) -> int:
    """Threads for ``free`` idle cores out of ``cores`` usable: rounded to the nearest core, 1..cores."""
    return int(min(max(math.floor(free + 0.5), 1), cores))
