"""How a network's forward pass runs on the hardware: number format, memory layout, compilation.

Three switches, all off by default (what is safe and exact on a CPU), set by ``--precision``,
``--channels-last`` and ``--compile`` of ``vidsynth train`` / ``vidsynth generate``:

- ``precision``: ``fp32`` (no autocast), ``bf16`` or ``fp16``: ``torch.autocast`` runs matmuls and
  convolutions in that format (weights stay fp32; PyTorch keeps reductions and losses in fp32 where
  its autocast op lists say so). bf16 has fp32's range, so it needs no loss scaling and also works
  on CPUs; fp16 is for CUDA and needs loss scaling when training (``training/precision.py``).
- ``channels_last``: 4-D weights (and so the convolutions they feed) in NHWC layout, the layout
  tensor cores and oneDNN prefer. Values are unchanged; only strides differ.
- mixed-precision blocks (StyleGAN2-ADA's scheme, used by DIGAN's discriminators): a network that
  defines ``num_fp16_res`` runs its top-resolution blocks in a reduced format and the rest in fp32,
  whatever autocast is around it, once :func:`set_reduced_precision` gave it that format
  (``block_precision`` is the context of one block; ``models/resnet_discriminator.py``).
- ``compile``: ``torch.compile`` of a generator's heavy forward (``dynamic=False``: shapes are fixed
  within a run, so each shape is traced once). Weights and state-dict keys are unchanged, because the
  compiled function is set on the module instance instead of wrapping the module in a new one.
"""
from __future__ import annotations

import contextlib
import functools

import torch

from vidsynth.config import PRECISIONS

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
assert tuple(DTYPES) == PRECISIONS

# torch.compile's backend; tests swap in a recording backend ("inductor" writes and builds C++/Triton code).
COMPILE_BACKEND = "inductor"
# The methods that do a generator's heavy work, compiled in place when a module has them:
# StyleGAN2Generator.synthesis (MoCoGAN-HD's G_I and the stylegan2 G), DIGANGenerator.synthesize (the INR).
HEAVY_METHODS = ("synthesis", "synthesize")


def autocast(device, precision: str = "fp32"):
    """``torch.autocast`` for ``precision`` on ``device`` (a no-op context for fp32)."""
    dtype = DTYPES[precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


def block_precision(device_type: str, dtype: torch.dtype | None):
    """Context of one block of a mixed-precision network: ``torch.autocast`` to ``dtype`` (its convolutions
    and matmuls cast their fp32 weights to ``dtype`` on every call, as StyleGAN2-ADA's ``w.to(x.dtype)``),
    or, for ``dtype=None``, autocast switched off (the block runs in fp32 even inside an autocast region)."""
    if dtype is None:
        return torch.autocast(device_type, enabled=False)
    return torch.autocast(device_type, dtype=dtype)


def set_reduced_precision(module: torch.nn.Module, precision: str) -> list[torch.nn.Module]:
    """Give every submodule of ``module`` that has mixed-precision blocks (a ``set_reduced_dtype`` method)
    the format of ``precision`` for those blocks (``fp32``: none, all fp32); returns those submodules."""
    found = [m for m in module.modules() if callable(getattr(m, "set_reduced_dtype", None))]
    for m in found:
        m.set_reduced_dtype(DTYPES[precision])
    return found


def fp32_forward(fn):
    """Decorator: run ``fn`` with autocast switched off (so in fp32 for fp32 inputs). For StyleGAN's
    mapping network, as StyleGAN2-ADA keeps it in fp32: it is tiny, its output updates the fp32 running
    mean ``w_avg``, and DIGAN renders its coordinates and times in ``w``'s format."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        on = [d for d in ("cpu", "cuda") if torch.is_autocast_enabled(d)]
        if not on:
            return fn(*args, **kwargs)
        with contextlib.ExitStack() as stack:
            for device_type in on:
                stack.enter_context(torch.autocast(device_type, enabled=False))
            return fn(*args, **kwargs)
    return wrapper


def to_channels_last(*modules: torch.nn.Module) -> None:
    """Put every 4-D parameter and buffer of ``modules`` in channels-last (NHWC) memory format, in place."""
    for module in modules:    # (Module.to(memory_format=...) refuses modules that also hold 5-D weights)
        for t in (*module.parameters(), *module.buffers()):
            if t.ndim == 4:
                t.data = t.data.contiguous(memory_format=torch.channels_last)


def compile_generator(module: torch.nn.Module) -> torch.nn.Module:
    """Compile ``module``'s heavy method in place (``HEAVY_METHODS`` if it has one, else ``forward``);
    returns ``module`` itself (same parameters, same state-dict keys). A module compiled twice keeps
    the first compilation."""
    name = next((m for m in HEAVY_METHODS if callable(getattr(type(module), m, None))), "forward")
    if name in vars(module):          # already compiled (an instance attribute shadows the class method)
        return module
    setattr(module, name, torch.compile(getattr(module, name), dynamic=False, backend=COMPILE_BACKEND))
    return module


def prepare_generator(generator: torch.nn.Module, channels_last: bool = False, compile: bool = False) -> None:
    """A loaded generator made ready for generation, in place: NHWC weights, and its heavy method compiled
    (MoCoGAN-HD's video generator: its image generator's synthesis; the motion LSTM is small)."""
    if channels_last:
        to_channels_last(generator)
    if compile:
        compile_generator(getattr(generator, "image_generator", generator))
