"""Choosing the compute device: CUDA when present, else CPU; never a hard-coded ``.cuda()``."""
from __future__ import annotations

import torch

from vidsynth.errors import ConfigError


def resolve_device(name: str | None = "auto") -> torch.device:
    """``auto`` -> ``cuda`` if available else ``cpu``; anything else is passed to ``torch.device``."""
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{name}' was asked for but CUDA is not available; use --device cpu or auto")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConfigError(f"device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA "
                          f"device(s) (cuda:0 ... cuda:{torch.cuda.device_count() - 1})")
    return device
