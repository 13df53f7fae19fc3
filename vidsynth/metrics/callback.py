"""``MetricsCallback``: the training run's ``--metrics`` at its snapshots (a ``training.callbacks.SnapshotCallback``).

Evaluates ``loop.metrics`` on the snapshot's EMA generator against the training data and appends one
line per result to the run's ``metrics.jsonl`` (with the snapshot's ``kimg``). Real clips are read as
training reads them: the run's resolution, temporal stride and clip sampling (``Snapshot.meta``).
Runs at the final snapshot, and otherwise every ``loop.metrics_kimg`` thousand videos (0 = every
snapshot). Returns ``{metric name: value}``: the loop logs them and picks ``model-best/`` from them.
"""
from __future__ import annotations

import copy

from vidsynth.registry import sampler_class
from vidsynth.utils.files import append_jsonl
from vidsynth.training.callbacks import Snapshot


class MetricsCallback:
    """Snapshot metrics of a training run (``vidsynth train --metrics ... --metrics-kimg N``)."""

    computes_metrics = True

    def __init__(self):
        self.last_nimg: int | None = None      # nimg of the last evaluation in this process

    def check(self, loop) -> None:
        """ConfigError for an unknown metric name in ``loop.metrics``: a typo fails before training, not
        after hours of it (``training.loop.check_run_options`` calls this)."""
        from vidsynth.metrics.protocols import parse_protocol

        for name in (loop.metrics.split(",") if loop.metrics else ()):
            parse_protocol(name.strip())

    def due(self, snap: Snapshot) -> bool:
        """Whether ``snap`` crosses a ``metrics_kimg`` boundary since the last evaluation (or is final)."""
        loop = snap.loop
        if not loop.metrics:
            return False
        last = snap.start_nimg if self.last_nimg is None else self.last_nimg
        return snap.final or loop.metrics_kimg <= 0 or \
            snap.nimg // int(loop.metrics_kimg * 1000) > last // int(loop.metrics_kimg * 1000)

    def __call__(self, snap: Snapshot) -> dict[str, float] | None:
        if not self.due(snap):
            return None
        values = compute_snapshot_metrics(snap)
        self.last_nimg = snap.nimg
        return values


def compute_snapshot_metrics(snap: Snapshot) -> dict[str, float]:
    """Evaluate ``snap.loop.metrics`` on ``snap.module``; append the results to ``metrics.jsonl``."""
    from vidsynth.metrics import evaluate

    loop, meta = snap.loop, snap.meta
    sampler = sampler_class(type(snap.module).__name__)(copy.deepcopy(snap.module), meta)
    results = evaluate(loop.metrics, real=loop.data, fake=sampler, device=str(snap.device), seed=loop.seed,
                       progress=False, resolution=meta.get("resolution"), real_stride=meta.get("train_stride", 1),
                       clip_sampling=meta.get("clip_sampling", "per_video"), num_workers=loop.num_workers)
    append_jsonl(snap.run_dir / "metrics.jsonl", *[dict(r, kimg=snap.kimg) for r in results])   # one write
    return {r["metric"]: r["value"] for r in results}
