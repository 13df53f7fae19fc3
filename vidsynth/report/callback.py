"""``ReportCallback``: rewrite the run's ``report.html`` at every snapshot (a ``training.callbacks.SnapshotCallback``).

The report is a convenience: an error while writing it becomes a warning and never stops training.
"""
from __future__ import annotations

import warnings

from vidsynth.report.page import write_report
from vidsynth.training.callbacks import Snapshot


class ReportCallback:
    """``report.html`` in the run folder, refreshed at each snapshot (``vidsynth train`` adds it)."""

    computes_metrics = False

    def __call__(self, snap: Snapshot) -> None:
        try:
            write_report(snap.run_dir)
        except Exception as e:  # noqa: BLE001
            warnings.warn(f"report.html not written: {e}")
