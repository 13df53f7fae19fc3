"""Multi-process training with PyTorch's own engine (``torch.distributed``).

``torchrun`` sets RANK / WORLD_SIZE / LOCAL_RANK; we join the process group (NCCL on GPUs, gloo on
CPU), possibly across nodes. A plain ``vidsynth`` call is a world of one and nothing changes.

Gradients are averaged with ``all_reduce`` after each backward (as StyleGAN3 does) rather than by
wrapping modules in DistributedDataParallel: a GAN step runs D several times per backward (fake and
real batches, R1's double backward), which DDP's one-forward-one-backward bookkeeping does not allow.
The result is the same as DDP's: every rank applies the mean gradient of the global batch.

Batch semantics: ``batch`` is the GLOBAL batch; each rank processes ``batch // world_size`` samples.
Every random draw of a step is made for the whole global batch from a generator seeded by
(seed, step) and each rank takes its slice, so N processes compute what one process would.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "auto"

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def sync_grads(self, module: torch.nn.Module) -> None:
        """Average the gradients of ``module`` over all ranks (one flat all_reduce)."""
        if not self.active:
            return
        import torch.distributed as dist

        params = [p for p in module.parameters() if p.grad is not None]
        if not params:
            return
        flat = torch.cat([p.grad.flatten() for p in params])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for p in params:
            n = p.numel()
            p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
            offset += n

    def average_buffers(self, module: torch.nn.Module) -> None:
        """Average floating-point buffers over ranks. Running means such as StyleGAN's w_avg are linear in
        the batch means, so the average of the per-rank values is exactly the global-batch value."""
        if not self.active:
            return
        import torch.distributed as dist

        for t in module.buffers():
            if t.is_floating_point():
                dist.all_reduce(t.data)
                t.data /= self.world_size

    def all_gather(self, x: torch.Tensor) -> torch.Tensor:
        """Concatenate ``x`` from every rank along dim 0 (e.g. contrastive keys for a memory bank)."""
        if not self.active:
            return x
        import torch.distributed as dist

        parts = [torch.empty_like(x) for _ in range(self.world_size)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def any(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is True on any rank (e.g. a stop signal seen by one process)."""
        if not self.active:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t)
        return bool(t.item() > 0)


@contextlib.contextmanager
def distributed_context(device: str = "auto"):
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        yield DistContext(device=device)
        return
    import torch.distributed as dist

    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = (device in ("auto", "cuda") and torch.cuda.is_available()) or str(device).startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    else:
        device = "cpu"
    # gloo all_reduce of CPU tensors works for both backends' scalar flags; NCCL handles CUDA grads.
    dist.init_process_group("nccl" if use_cuda else "gloo")
    ctx = DistContext(rank, world_size, local_rank, device)
    try:
        yield ctx
        ctx.barrier()   # leave together: a rank tearing down gloo while another still talks aborts both
    finally:
        dist.destroy_process_group()
