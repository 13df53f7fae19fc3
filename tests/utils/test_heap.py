"""vidsynth.utils.heap.retain_heap: freed blocks are reused without page faults, then released.

Counted in page faults (``ru_minflt``), not time: a 64 MiB block is 16384 pages of 4 KiB, each
faulted in on first touch when glibc maps it afresh; kept in the heap, touching it again costs none.
"""
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vidsynth.utils import heap

MIB = 1 << 20


def faults_of_reallocating(n: int = 4, size: int = 64 * MIB) -> int:
    """Page faults of allocating, touching and freeing a ``size``-byte tensor ``n`` times."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        torch.empty(size, dtype=torch.uint8).fill_(1)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(heap._glibc() is None, reason="retain_heap acts on glibc only")
def test_retain_heap_avoids_page_faults():
    # In a fresh interpreter: glibc's mmap threshold adapts to what the process freed before (and any
    # earlier retain_heap fixes it), so the "default" count depends on the tests that ran before.
    code = ("import tests.utils.test_heap as t\n"
            "from vidsynth.utils import heap\n"
            "returned = t.faults_of_reallocating()\n"
            "with heap.retain_heap() as active:\n"
            "    kept = min(t.faults_of_reallocating() for _ in range(6))\n"
            "print(returned, kept, active)\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env)
    returned, kept, active = out.stdout.split()
    returned, kept = int(returned), int(kept)
    # the heap grows to its working size over the first few calls (aligned blocks leave gaps),
    # then stops: measured 49183, 65536, 16384, 0, 0, 0 faults on successive calls
    assert active == "True"
    pages = 4 * 64 * MIB // 4096                                  # 65536 pages touched in each call
    assert returned > pages // 2                                  # glibc default: every block faulted in again
    assert kept < pages // 20                                     # kept in the heap: reused without faults


@pytest.fixture(autouse=True)
def _released(monkeypatch):
    """Each test starts and ends with no retention (not even a lingering one) and no delay unless it sets one."""
    heap.release()
    monkeypatch.setattr(heap, "linger_s", 0.0)
    yield
    heap.release()


class FakeLibc:
    """Records the mallopt / malloc_trim calls retain_heap makes."""

    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


def test_settings_made_once_and_restored(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    with heap.retain_heap() as active:
        with heap.retain_heap():                                  # nesting keeps it on
            pass
        assert active is True
        assert libc.calls == [("mallopt", heap.M_MMAP_MAX, 0), ("mallopt", heap.M_TRIM_THRESHOLD, -1)]
    assert libc.calls[2:] == [("mallopt", heap.M_MMAP_MAX, 65536), ("mallopt", heap.M_TRIM_THRESHOLD, 128 * 1024),
                              ("malloc_trim", 0)]                 # glibc's defaults back, heap released
    assert heap._depth == 0


def test_no_op_without_glibc_or_when_disabled(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    with heap.retain_heap() as active:
        assert active is False
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    monkeypatch.setattr(heap, "enabled", False)
    with heap.retain_heap() as active:
        assert active is False and libc.calls == []


def test_render_latents_renders_inside_retain_heap(monkeypatch):
    """MoCoGAN-HD's frame rendering (sampler, bench, training) keeps the heap while StyleGAN2 runs."""
    from vidsynth.models.mocogan_hd import render_latents
    from vidsynth.models.stylegan2 import StyleGAN2Generator

    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    G = StyleGAN2Generator(8, style_dim=8, n_mlp=1, channel_max=8).eval()
    seen = []
    synthesize = G.synthesize
    monkeypatch.setattr(G, "synthesize", lambda *a, **k: (seen.append(heap._depth), synthesize(*a, **k))[1])
    with torch.no_grad():
        video = render_latents(G, torch.randn(1, 2, 8), noise_mode="const")
    assert video.shape == (1, 3, 2, 8, 8)
    assert seen == [1] and libc.calls[0] == ("mallopt", heap.M_MMAP_MAX, 0) and heap._depth == 0


def test_heap_lingers_between_back_to_back_blocks(monkeypatch):
    """Two renders in a row keep the heap (no restore, no trim between them, no new settings); it is
    released ``linger_s`` after the last one, or at once by ``release()``."""
    import time

    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    monkeypatch.setattr(heap, "linger_s", 0.2)
    applied = [("mallopt", heap.M_MMAP_MAX, 0), ("mallopt", heap.M_TRIM_THRESHOLD, -1)]
    restored = [("mallopt", heap.M_MMAP_MAX, 65536), ("mallopt", heap.M_TRIM_THRESHOLD, 128 * 1024), ("malloc_trim", 0)]
    with heap.retain_heap():
        pass
    with heap.retain_heap() as active:                            # within linger_s: still the same retention
        assert active is True
    assert libc.calls == applied                                  # nothing restored or trimmed in between
    deadline = time.monotonic() + 5
    while libc.calls == applied and time.monotonic() < deadline:
        time.sleep(0.05)
    assert libc.calls == applied + restored                       # released after the delay, once
    with heap.retain_heap():
        pass
    heap.release()                                                # at once, without waiting
    assert libc.calls == 2 * (applied + restored) and heap._active is None and heap._timer is None
    heap.release()
    assert len(libc.calls) == 10                                  # a second release is a no-op


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_glibc_defaults_back(monkeypatch):
    """A data-loader worker forked while the heap lingers has no timer to end it: it is ended at fork."""
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    monkeypatch.setattr(heap, "linger_s", 60.0)
    with heap.retain_heap():
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                                  # child: report and leave at once
        os.write(write, f"{heap._active is None} {heap._timer is None} {libc.calls[-2:]}".encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    report = os.read(read, 4096).decode()
    os.close(read)
    assert report == f"True True {[('mallopt', heap.M_MMAP_MAX, 65536), ('mallopt', heap.M_TRIM_THRESHOLD, 128 * 1024)]}"
    assert heap._active is libc                                   # the parent keeps its lingering heap
