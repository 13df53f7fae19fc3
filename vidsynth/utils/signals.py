"""SIGTERM as Ctrl-C: a job scheduler's or ``kill``'s stop runs the same clean-up as an interrupt.

Python's default SIGTERM ends the process at once: no ``finally``, no ``except KeyboardInterrupt``. Work that
must leave no partial file (``vidsynth dataset convert``) or must record how far it got (``vidsynth bench
--measure learning``) turns it into ``KeyboardInterrupt`` while it runs. The training loop installs its own
handler (``training.loop.StopSignal``: finish the step, checkpoint) and restores this one after.
"""
from __future__ import annotations

import signal
import threading


def terminate_as_interrupt():
    """Make SIGTERM raise ``KeyboardInterrupt`` (main thread only: elsewhere signals cannot be set; then
    nothing changes). Returns the previous handler for ``restore_terminate``, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def restore_terminate(previous) -> None:
    """Put back the SIGTERM handler ``terminate_as_interrupt`` returned (None: it changed nothing)."""
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
