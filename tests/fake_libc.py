"""A stand-in for glibc in ``vidsynth.utils.heap`` tests: accepts every ``mallopt`` / ``malloc_trim``."""
from __future__ import annotations


class FakeLibc:
    def mallopt(self, param, value):
        return 1

    def malloc_trim(self, pad):
        return 1


def fake_glibc(monkeypatch) -> None:
    """``retain_heap`` active on any platform, released at once: the heap state a step test can check."""
    from vidsynth.utils import heap

    heap.release()
    monkeypatch.setattr(heap, "_glibc", lambda: FakeLibc())
    monkeypatch.setattr(heap, "linger_s", 0.0)
