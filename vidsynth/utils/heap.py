"""Keep freed memory in the process heap while rendering, instead of handing it back to the kernel.

glibc's malloc serves every block above ~32 MiB with its own ``mmap`` and ``munmap``s it on free, so
each GB-sized activation of a large generator (StyleGAN2 at 256 px: 128 channels x 257^2 pixels per
frame) is faulted in page by page again on every layer: measured on mocogan-hd-ucf128, a third of
the CPU time was kernel (sys) time. :func:`retain_heap` sets ``M_MMAP_MAX = 0`` (every block comes
from the heap) and an unlimited ``M_TRIM_THRESHOLD`` (free memory stays there for the next layer), then
restores glibc's defaults and trims the heap once the work is over, so the memory goes back to the
system. "Over" means ``linger_s`` seconds (default 2) after the outermost block exits without a new
one starting: back-to-back renders (videos of ``vidsynth generate``, the sampler, training steps)
reuse the resident heap instead of faulting their whole working set in again each time (measured,
mocogan-hd-ucf128: 0.68 M minor faults per 16-frame video trimmed after every video, 0 when kept),
as jemalloc returns dirty pages only after a decay time (10 s). :func:`release` trims at once.
The cost: the process keeps its peak working set while rendering and for ``linger_s`` after. A side effect
of any ``mallopt`` call: glibc's adaptive mmap threshold stays, after the block, at the value it had
reached (there is no call to re-enable the adaptation); the settings themselves are restored.

A no-op where the C library is not glibc (macOS, Windows, musl): nothing is called there.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Iterator

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4                  # glibc's mallopt parameter numbers (malloc.h)
DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536   # glibc's defaults, restored on exit
# mallopt takes an int, glibc stores the trim threshold as a size_t: -1 becomes SIZE_MAX, "never trim". The
# largest int, 2 GiB, was too small: a 16-frame 256 px video at once (3.3 GB) or a paper-scale training step
# (6-9 GB) frees more than 2 GiB at the top of the heap, which glibc then trimmed, so every video and step
# faulted ~0.6 M pages in again (measured: 590 k faults per warm video with 2 GiB, 3 with -1).
NEVER_TRIM = -1
_lock = threading.Lock()
_depth = 0
_active = None   # the libc whose settings are applied (inside a block or lingering after one), else None
_timer: threading.Timer | None = None
enabled = True   # False: retain_heap does nothing (glibc's defaults; ``vidsynth bench`` times both)
linger_s = 2.0   # keep the heap this long after the outermost block exits (0: release at once)


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
    setting is active (False where the C library is not glibc, or ``heap.enabled`` is False). Nested blocks
    keep it until the outermost one exits; the heap is released ``linger_s`` seconds later unless a new
    block has started by then."""
    global _depth, _active, _timer
    if not enabled:
        release()                                  # glibc's defaults, also after a lingering block
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    with _lock:
        if _timer is not None:                     # a new block within linger_s of the last: keep the heap
            _timer.cancel()
            _timer = None
        if _active is None:
            libc.mallopt(M_MMAP_MAX, 0)
            libc.mallopt(M_TRIM_THRESHOLD, NEVER_TRIM)
            _active = libc
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if linger_s > 0:
                    _timer = threading.Timer(linger_s, release)
                    _timer.daemon = True
                    _timer.start()
                else:
                    _restore()


def _restore() -> None:
    """glibc's defaults back and the free heap handed to the kernel (caller holds ``_lock``)."""
    global _active
    if _active is not None:
        _active.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        _active.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        _active.malloc_trim(0)
        _active = None


def release() -> None:
    """End a lingering retention now (no-op inside a block: the outermost exit schedules it again)."""
    global _timer
    with _lock:
        if _timer is not None:
            _timer.cancel()
            _timer = None
        if _depth == 0:
            _restore()


def _after_fork_in_child() -> None:
    """A forked child (a data-loader worker) has no linger timer: give it glibc's defaults back."""
    global _lock, _depth, _timer, _active
    _lock, _depth, _timer = threading.Lock(), 0, None
    if _active is not None:
        _active.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        _active.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        _active = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
