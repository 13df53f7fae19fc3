"""Micro-batches: a process's share of the batch run in pieces of ``batch_gpu`` samples, gradients summed.

StyleGAN2-ADA's ``--batch-gpu``: a batch that does not fit the device's memory runs as several
forward/backward passes whose gradients add up before one optimizer step. Each piece's loss is its mean
divided by the number of pieces, so the summed gradient is the mean over the process's share, as one
pass computes it. A process's micro-batch ``i`` of ``parts`` draws its random numbers as rank
``rank * parts + i`` of ``world_size * parts`` processes would (``micro_rank``): a run with ``batch_gpu``
is the run of that many processes on one device (DIGAN: the very same numbers as without it; only
minibatch-std groups, formed within each pass, follow the pieces, exactly as they follow processes).

Running means of a generator (StyleGAN's ``w_avg``) move once per forward pass; ``BufferMean`` starts
every piece from the same value and keeps the mean of the pieces' results, which for a running mean
(linear in the batch mean) is exactly what one pass over the whole share gives.
"""
from __future__ import annotations

from typing import Callable

import torch

from vidsynth.errors import ConfigError


def micro_batches(n: int, batch_gpu: int) -> list[slice]:
    """Slices of this process's ``n`` samples, ``batch_gpu`` each (0 or >= n: one slice, the whole share)."""
    if batch_gpu <= 0 or batch_gpu >= n:
        return [slice(0, n)]
    if n % batch_gpu:
        raise ConfigError(f"batch_gpu {batch_gpu} must divide each process's share of the batch ({n}); "
                          f"use --set batch_gpu=N with N a divisor of {n}, or 0 for the whole share at once")
    return [slice(i, i + batch_gpu) for i in range(0, n, batch_gpu)]


def micro_rank(rank: int, world_size: int, part: int, parts: int) -> tuple[int, int]:
    """``(rank, world_size)`` whose random draws micro-batch ``part`` of ``parts`` makes on process ``rank``."""
    return rank * parts + part, world_size * parts


class BufferMean:
    """Floating-point buffers of ``modules`` over micro-batches: every piece starts from the values before the
    first, and ``finish`` leaves the mean of the pieces' results (one piece: untouched). Submodules of the
    ``keep`` types are left alone (a memory bank that each piece appends to).

    Right for buffers a forward pass moves as a linear function of the batch (StyleGAN's ``w_avg``) or
    independently of it (spectral norm's power-iteration vectors ``_u``/``_v``: every piece ends at the same
    value, as every process of a multi-process run does)."""

    def __init__(self, modules, parts: int, keep: tuple[type, ...] = ()):
        # ids of buffers already taken or left alone (a module may be listed inside another)
        seen = {id(b) for m in modules for sub in m.modules() if isinstance(sub, keep) for b in sub.buffers()}
        self.buffers = []
        for m in modules if parts > 1 else ():
            for b in m.buffers():
                if b.is_floating_point() and id(b) not in seen:
                    seen.add(id(b))
                    self.buffers.append(b)
        self.before = [b.clone() for b in self.buffers]
        self.after = [torch.zeros_like(b) for b in self.buffers]
        self.parts = parts

    def wrap(self, fn: Callable[[], torch.Tensor]) -> Callable[[], torch.Tensor]:
        """``fn`` run from the buffers' starting values, its result added to the running sum."""
        if not self.buffers:
            return fn

        def run():
            for b, b0 in zip(self.buffers, self.before):
                b.copy_(b0)
            out = fn()
            for acc, b in zip(self.after, self.buffers):
                acc.add_(b)
            return out
        return run

    def finish(self) -> None:
        for b, acc in zip(self.buffers, self.after):
            b.copy_(acc / self.parts)
