"""How hard a benchmark run works: device, batch sizes, repeats (one object passed everywhere)."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class BenchSettings:
    device: torch.device
    quick: bool = True         # batch 1 and few repeats (the default on CPU)
    repeat: int | None = None  # timed repeats; None = 2 when quick (1 for paper-scale), else 5
    batch: int | None = None   # None = 1 when quick, else 4 (the paper's training batch)
    compile: bool = False      # also measure torch.compile (slow to start on CPU)
    d_frames: int | None = None  # clip length for discriminator throughput (None = the config's)
    train_batches: tuple[int, ...] | None = None  # training-step batches; None = (4, 16) full, (1,) quick
    peak: dict | None = None   # this machine's measured rates (``peak.peak_rates``), for fractions
    max_memory_gib: float | None = None  # training batches predicted above this are estimated, not run
    batch_gpu: int = 0         # training steps in micro-batches of this many samples (0: the whole batch at once)

    def repeats(self, heavy: bool = False) -> int:
        if self.repeat is not None:
            return self.repeat
        if self.quick:
            return 1 if heavy else 2
        return 5

    def warmups(self, heavy: bool = False) -> int:
        return 0 if (self.quick and heavy) else 1

    def training_batches(self) -> tuple[int, ...]:
        """Batches of the training-step measurement: issue 18's 4 and 16 (``--full``), or batch 1 when
        quick (a paper-scale batch-16 step takes many minutes on a CPU)."""
        if self.train_batches:
            return tuple(self.train_batches)
        return (1,) if self.quick else (4, 16)

    def pass_size(self, batch: int) -> int:
        """Samples per forward/backward pass of a training step at ``batch``: what its memory grows with."""
        return min(batch, self.batch_gpu) if self.batch_gpu > 0 else batch

    def batch_size(self) -> int:
        if self.batch is not None:
            return self.batch
        return 1 if self.quick else 4
