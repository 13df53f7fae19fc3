"""Snapshot callbacks: work done at each snapshot by layers above training (metrics, the HTML report).

The training loop writes its own files at a snapshot (sample grids, the exported model, the resume
checkpoint, a line in ``snapshots.jsonl``) and then calls each callback it was given, in order, with
a ``Snapshot``. A callback may return metric values ``{name: value}``: the loop logs them to the run's
sinks (TensorBoard, W&B) as ``metrics/<name>`` and keeps ``model-best/`` by ``--best-by`` from them.

Training imports nothing from ``vidsynth.metrics`` or ``vidsynth.report``: the command line
(``vidsynth train``) passes ``metrics.callback.MetricsCallback`` and ``report.callback.ReportCallback``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol, Sequence

import torch

from vidsynth.config import LoopConfig
from vidsynth.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What one snapshot hands its callbacks (on the main process, after the loop's own files are written)."""

    run_dir: Path              # the run folder
    kimg: float                # thousands of real videos shown to D so far
    nimg: int
    step: int                  # optimisation steps so far
    final: bool                # the last snapshot of this process (end of training, time limit or signal)
    start_nimg: int            # nimg when this process started or resumed training
    model_dir: Path            # model-<kimg>/: this snapshot's exported EMA generator
    module: torch.nn.Module    # that generator, live: a callback that changes it must copy it first
    meta: dict                 # run metadata: method, resolution, train_stride, clip_sampling, fps, class_names ...
    loop: LoopConfig           # the run's loop options (a resumed run: the checkpoint's plus the options given now)
    device: torch.device


class SnapshotCallback(Protocol):
    """Called at every snapshot; returns metric values ``{name: value}`` (or None) for logging and ``--best-by``.

    ``computes_metrics`` (class attribute) is True for a callback that computes ``loop.metrics``: a run
    with ``metrics`` but no such callback is refused before it starts (``check_callbacks``)."""

    computes_metrics: bool

    def check(self, loop: LoopConfig) -> None:
        """ConfigError for loop options this callback cannot use (before any work; optional)."""

    def __call__(self, snapshot: Snapshot) -> dict[str, float] | None:
        ...


def check_callbacks(loop: LoopConfig, callbacks: Sequence[SnapshotCallback]) -> None:
    """Each callback's ``check(loop)``; ConfigError when ``loop.metrics`` would never be computed (no
    callback computes metrics)."""
    for cb in callbacks:
        if hasattr(cb, "check"):
            cb.check(loop)
    if loop.metrics and not any(getattr(cb, "computes_metrics", False) for cb in callbacks):
        raise ConfigError(f"metrics={loop.metrics!r} but no snapshot callback computes metrics: pass "
                          "callbacks=[vidsynth.metrics.callback.MetricsCallback()] to train() (vidsynth train does)")
