"""MoCoGAN-HD's training step runs inside ``retain_heap`` (issue 18: the backward passes' GB-sized
activations reuse the process heap instead of being faulted in again page by page)."""
from __future__ import annotations

from vidsynth.training.mocogan_hd import MoCoGANHDTrainer
from vidsynth.utils import heap
from tests.fake_libc import fake_glibc


def test_step_runs_inside_retain_heap(monkeypatch):
    fake_glibc(monkeypatch)
    seen = []
    monkeypatch.setattr(MoCoGANHDTrainer, "_step",
                        lambda self, step, clips: seen.append((heap._depth, heap._active is not None)) or {"x": 1.0})
    trainer = object.__new__(MoCoGANHDTrainer)        # the step's body is replaced: no models needed
    assert trainer.step(3, None, None, 0) == {"x": 1.0}
    assert seen == [(1, True)] and heap._depth == 0 and heap._active is None
