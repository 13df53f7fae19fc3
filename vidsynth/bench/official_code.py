"""Running a paper's official code from a checkout the user fetched, on a CPU.

Nothing of the official code is part of vidsynth: it is imported at run time from the folder passed
to ``vidsynth bench --official-digan / --official-mocogan-hd`` (and by the fixture scripts in
``scripts/``). What the official code needs and a CPU lacks is stood in for here, while
``official_code`` is active, without editing the checkout:

- ``np.float`` aliased to ``float`` (DIGAN's ``layers.py`` uses the alias NumPy 1.24 removed);
- ``Tensor.cuda`` the identity (MoCoGAN-HD moves tensors to the GPU unconditionally);
- rosinality's compiled StyleGAN2 ops (``models/stylegan2/op``, CUDA only, built at import) by the
  pure-PyTorch ``upfirdn2d`` / ``fused_leaky_relu`` below, written from the ops' definitions.
"""
from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vidsynth.errors import VidsynthError


@contextlib.contextmanager
def official_code(*folders: Path, packages: tuple[str, ...]):
    """Official modules importable from ``folders`` (first on ``sys.path``), with the CPU patches of the
    module docstring. On exit ``sys.path``, ``Tensor.cuda`` and ``np.float`` are restored and the
    official top-level ``packages`` are forgotten, so that another checkout's package of the same name
    (DIGAN's and StyleGAN2-ADA's ``training``, MoCoGAN-HD's ``models``) can be imported next."""
    saved_path, saved_cuda, had_float = list(sys.path), torch.Tensor.cuda, "float" in vars(np)
    sys.path[:0] = [str(f) for f in folders]
    np.float = float  # noqa: NPY001
    torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.cuda = saved_cuda
        sys.path[:] = saved_path
        if not had_float:
            del np.float
        for name in [m for m in sys.modules if m.split(".")[0] in packages]:
            del sys.modules[name]


def require_checkout(checkout: Path | str | None, marker: str, repository: str, option: str) -> Path:
    """``checkout`` resolved, or a ``VidsynthError`` (one line, exit code 2) saying what to pass."""
    if checkout is None or not (Path(checkout) / marker).is_file():
        what = "not given" if checkout is None else f"{checkout} is not a {repository} checkout (no {marker})"
        raise VidsynthError(f"{option}: {what}; fetch github.com/{repository} and pass its folder")
    return Path(checkout).resolve()


def require_modules(names: tuple[str, ...], repository: str) -> None:
    """The official code's own pure-Python dependencies must be importable (they are not vidsynth's)."""
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        raise VidsynthError(f"the official {repository} code imports {', '.join(missing)}, which is not installed; "
                            f"pip install {' '.join(missing)} (only needed for --measure official)")


# ------------------------------------------------------ stand-ins for rosinality's compiled StyleGAN2 ops
def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad=(0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative = crop) by ``pad`` on both axes, convolve with
    ``kernel`` (true convolution: flipped), keep every ``down``-th sample. ``x [N, C, H, W]``."""
    n, c, h, w = x.shape
    if up > 1:
        y = x.new_zeros(n, c, h * up, w * up)
        y[:, :, ::up, ::up] = x
        x = y
    p0, p1 = pad
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    x = x[:, :, max(-p0, 0):x.shape[2] - max(-p1, 0), max(-p0, 0):x.shape[3] - max(-p1, 0)]
    k = torch.flip(kernel, [0, 1]).to(x)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, k, groups=c)[:, :, ::down, ::down]


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, negative_slope: float = 0.2,
                     scale: float = 2 ** 0.5) -> torch.Tensor:
    """``leaky_relu(x + bias) * scale`` with the bias on dimension 1."""
    shape = [1, bias.shape[0]] + [1] * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), negative_slope) * scale


class FusedLeakyReLU(torch.nn.Module):
    def __init__(self, channel: int, negative_slope: float = 0.2, scale: float = 2 ** 0.5):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(channel))
        self.negative_slope, self.scale = negative_slope, scale

    def forward(self, x):
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)


def rosinality_ops(module_name: str = "models.stylegan2.op") -> types.ModuleType:
    """A module standing in for rosinality's compiled ``op`` package; register it in ``sys.modules``
    under ``module_name`` before the official ``model.py`` is imported."""
    ops = types.ModuleType(module_name)
    ops.FusedLeakyReLU, ops.fused_leaky_relu, ops.upfirdn2d = FusedLeakyReLU, fused_leaky_relu, upfirdn2d
    return ops
