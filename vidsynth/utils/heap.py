"""Keep freed memory in the process heap while rendering, instead of handing it back to the kernel.

glibc's malloc serves every block above ~32 MiB with its own ``mmap`` and ``munmap``s it on free, so
each GB-sized activation of a large generator (StyleGAN2 at 256 px: 128 channels x 257^2 pixels per
frame) is faulted in page by page again on every layer: measured on mocogan-hd-ucf128, a third of
the CPU time was kernel (sys) time. :func:`retain_heap` sets ``M_MMAP_MAX = 0`` (every block comes
from the heap) and a huge ``M_TRIM_THRESHOLD`` (free memory stays there for the next layer), then
restores glibc's defaults and trims the heap on exit, so the memory goes back to the system after
the work. The cost: the process keeps its peak working set while inside the block. A side effect
of any ``mallopt`` call: glibc's adaptive mmap threshold stays, after the block, at the value it had
reached (there is no call to re-enable the adaptation); the settings themselves are restored.

A no-op where the C library is not glibc (macOS, Windows, musl): nothing is called there.
"""
from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
from typing import Iterator

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4                  # glibc's mallopt parameter numbers (malloc.h)
DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536   # glibc's defaults, restored on exit
_lock = threading.Lock()
_depth = 0
enabled = True   # False: retain_heap does nothing (glibc's defaults; ``vidsynth bench`` times both)


def _glibc():
    """The C library if it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextlib.contextmanager
def retain_heap() -> Iterator[bool]:
    """Inside the block, freed blocks stay in the heap (no page faults on reuse); yields whether the
    setting is active (False where the C library is not glibc, or ``heap.enabled`` is False). Nested blocks keep it until the
    outermost one exits."""
    global _depth
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    with _lock:
        if _depth == 0:
            libc.mallopt(M_MMAP_MAX, 0)
            libc.mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1)   # int: the largest value mallopt takes
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
                libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
                libc.malloc_trim(0)
