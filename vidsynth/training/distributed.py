"""Multi-process training with PyTorch's own engine: ``torchrun`` sets RANK/WORLD_SIZE/LOCAL_RANK,
we join the process group (NCCL on GPUs, gloo on CPU) and wrap the trained modules in
DistributedDataParallel. A plain ``python``/``vidsynth`` call is a world of one: nothing changes."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Callable

import torch


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "auto"
    wrap: Callable | None = None


@contextlib.contextmanager
def distributed_context(device: str = "auto"):
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        yield DistContext(device=device)
        return
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device in ("auto", "cuda") or str(device).startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    else:
        device = "cpu"
    dist.init_process_group("nccl" if use_cuda else "gloo")

    def wrap(module):
        ids = [local_rank] if use_cuda else None
        return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)

    try:
        yield DistContext(rank, world_size, local_rank, device, wrap)
    finally:
        dist.destroy_process_group()
