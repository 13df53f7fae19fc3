"""DIGAN's training step runs inside ``retain_heap`` (issue 18: paper128 at batch 4 spent 40% of its CPU time
in the kernel, faulting GB-sized activations and gradients in page by page every step)."""
from __future__ import annotations

from vidsynth.training.digan import DIGANTrainer
from vidsynth.utils import heap
from tests.fake_libc import fake_glibc


def test_step_runs_inside_retain_heap(monkeypatch):
    fake_glibc(monkeypatch)
    seen = []

    def body(self, step, clips, labels, cur_nimg, frames):
        seen.append((heap._depth, heap._active is not None, step, clips, labels, cur_nimg, frames))
        return {"x": 1.0}
    monkeypatch.setattr(DIGANTrainer, "_step", body)
    trainer = object.__new__(DIGANTrainer)             # the step's body is replaced: no models needed
    assert trainer.step(3, "clips", "labels", 12, frames="frames") == {"x": 1.0}
    assert trainer.step(4, "c", "l", 16) == {"x": 1.0}
    assert seen == [(1, True, 3, "clips", "labels", 12, "frames"), (1, True, 4, "c", "l", 16, None)]
    assert heap._depth == 0 and heap._active is None
