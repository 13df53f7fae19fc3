"""Speed settings for running networks, in one place so every caller gets the same fast path.

Measured on the benchmarks in ``docs/performance.md``:

* ``inference()``: ``torch.inference_mode`` (no autograd bookkeeping at all) -- use it for sampling
  and metrics; it is never slower than ``no_grad`` and much faster than leaving grad on.
* ``to_channels_last(module)``: NHWC (NDHWC for 3D convs) memory layout for convolutional
  discriminators; oneDNN (CPU) and cuDNN (tensor cores) prefer it.
* ``autocast(device, dtype)``: bf16/fp16 mixed precision, only on CUDA (a no-op elsewhere: on CPU
  bf16 autocast is usually slower than fp32 unless the CPU has AMX/AVX512-BF16).
* ``maybe_compile(module, enabled)``: ``torch.compile`` when asked for; off by default because the
  first call compiles for minutes on a CPU.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn


def inference() -> contextlib.AbstractContextManager:
    """Context for forward passes whose results need no gradient (sampling, metrics, benchmarks)."""
    return torch.inference_mode()


def to_channels_last(module: nn.Module) -> nn.Module:
    """Put ``module``'s 4-D (5-D) weights in channels-last(-3d) layout, in place; returns it.

    Inputs should be converted too (``channels_last_input``); 5-D weights of 2-D layers
    (StyleGAN2's per-sample modulated weights) are left alone.
    """
    has_3d = any(isinstance(m, nn.Conv3d) for m in module.modules())
    return module.to(memory_format=torch.channels_last_3d if has_3d else torch.channels_last)


def channels_last_input(x: torch.Tensor) -> torch.Tensor:
    """``[N, C, H, W]`` -> channels_last, ``[N, C, T, H, W]`` -> channels_last_3d; others unchanged."""
    if x.ndim == 4:
        return x.contiguous(memory_format=torch.channels_last)
    if x.ndim == 5:
        return x.contiguous(memory_format=torch.channels_last_3d)
    return x


def autocast(device: torch.device | str, dtype: torch.dtype | None = torch.bfloat16,
             enabled: bool = True) -> contextlib.AbstractContextManager:
    """Mixed precision on CUDA (bf16 where supported, else fp16); ``nullcontext`` on other devices."""
    device = torch.device(device)
    if not enabled or dtype is None or device.type != "cuda":
        return contextlib.nullcontext()
    if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        dtype = torch.float16
    return torch.autocast("cuda", dtype=dtype)


def maybe_compile(module: nn.Module, enabled: bool = False, **kwargs) -> nn.Module:
    """``torch.compile(module)`` if ``enabled`` (opt-in: compiling takes minutes on CPU), else ``module``."""
    return torch.compile(module, **kwargs) if enabled else module
