"""Test helper: record which optimisation steps a trainer actually runs (to prove where a resumed run starts)."""
from __future__ import annotations


def record_steps(monkeypatch, trainer_cls) -> list[int]:
    """Wrap ``trainer_cls.step`` so every call appends its ``step`` argument to the returned list."""
    steps: list[int] = []
    real = trainer_cls.step

    def step(self, step, *args, **kwargs):
        steps.append(step)
        return real(self, step, *args, **kwargs)

    monkeypatch.setattr(trainer_cls, "step", step)
    return steps
