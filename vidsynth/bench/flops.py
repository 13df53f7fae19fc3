"""Counting multiply-adds with ``torch.utils.flop_counter.FlopCounterMode``.

The counter reports FLOPs with a multiply-add counted as **2** (matmuls and convolutions only;
element-wise ops, pooling and interpolation are not counted). The DIGAN paper (fvcore) and most
GAN papers count a multiply-add as **1** and call it "FLOPs"; we therefore report
``MAC = counter FLOPs / 2`` as "GMAC", which is the unit the papers' numbers are in.

Counting runs on the ``meta`` device (shapes only, no arithmetic), so even the paper-scale
configurations are counted in well under a second on any machine.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry


def count_macs(fn: Callable[[], object]) -> dict:
    """Run ``fn`` under the counter: ``{"macs": total, "by_op": {op: macs}, "by_module": {name: macs}}``.

    ``by_module`` lists modules up to two levels deep (e.g. ``DIGANGenerator.blocks.5``).
    """
    with FlopCounterMode(display=False) as counter:
        fn()
    counts = counter.get_flop_counts()
    by_op = {str(op).replace("aten.", ""): n / 2 for op, n in counts.get("Global", {}).items()}
    by_module = {name: sum(ops.values()) / 2 for name, ops in counts.items()
                 if name != "Global" and name.count(".") <= 2}
    return {"macs": counter.get_total_flops() / 2, "by_op": by_op, "by_module": by_module}


class MACCounter(TorchDispatchMode):
    """Multiply-adds of every matmul / convolution dispatched while active, by the counter's own formulas
    (``flop_registry``), without ``FlopCounterMode``'s module tracking, whose backward hooks fail inside
    ``torch.autograd.grad`` (R1, WGAN-GP): this one counts a whole training step, double backward included.
    Use as ``with MACCounter() as c: step()``, then ``c.macs``.

    Composite ops are decomposed, as ``FlopCounterMode`` does: under ``torch.inference_mode`` (no autograd
    key to decompose them first) the mode sees ``conv2d``, ``conv_transpose2d``, ``linear``, ``matmul``,
    ``lstm_cell`` ... themselves, which the registry does not list; counting only what the registry lists
    saw 0 MACs in an inference-mode StyleGAN2 render. Their decompositions run the same kernels."""

    def __init__(self):
        super().__init__()
        self.macs = 0.0
        self.by_kind: dict[str, float] = {}   # MACs per peak kind: "sgemm" (matmuls), "conv3x3" (2D), "conv3d"

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        packet = func._overloadpacket
        count = flop_registry.get(packet)
        if count is None and packet.__name__.endswith("_"):      # in-place forms (baddbmm_, addmm_) do the same work
            out_of_place = getattr(torch.ops.aten, packet.__name__.rstrip("_"), None)
            count = flop_registry.get(out_of_place) if out_of_place is not None else None
        if count is None:
            with self:                                            # composite: count what it decomposes into
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        out = func(*args, **kwargs)
        if count is not None:
            macs = count(*args, **kwargs, out_val=out) / 2
            self.macs += macs
            kind = _peak_kind(packet.__name__, args)
            self.by_kind[kind] = self.by_kind.get(kind, 0.0) + macs
        return out


def _peak_kind(op: str, args: tuple) -> str:
    """The ``peak`` measurement an op's MACs compare with: convolutions by dimension, the rest are matmuls."""
    if "convolution" not in op:
        return "sgemm"
    return "conv3d" if any(isinstance(a, torch.Tensor) and a.ndim == 5 for a in args) else "conv3x3"
