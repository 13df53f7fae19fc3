"""Resize video frames to the I3D's 224x224 the way the reference FVD code does.

The original FVD code (google-research ``frechet_video_distance.py``, TF1) resizes every frame with
``tf.image.resize_bilinear(frames, (224, 224))`` and its defaults ``align_corners=False,
half_pixel_centers=False``: output pixel ``i`` samples input coordinate ``i * in / out`` (no
half-pixel shift, no antialiasing), clamped at the last row/column. PyTorch's
``interpolate(mode="bilinear")`` uses half-pixel centres instead, which shifts the image by up to
half an input pixel and changes FVD measurably at low resolutions. The default method here,
``"tf1_bilinear"``, is that legacy TF rule, implemented separably with two gathers;
``"torch_bilinear"`` is offered for comparison with ports that used PyTorch's rule.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

METHODS = ("tf1_bilinear", "torch_bilinear")


def _tf1_taps(in_size: int, out_size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Indices (i0, i1) and weights f so that out[i] = in[i0] * (1 - f) + in[i1] * f (TF1 legacy rule)."""
    scale = in_size / out_size
    src = torch.arange(out_size, dtype=torch.float64, device=device) * scale
    i0 = src.floor().long().clamp(max=in_size - 1)
    i1 = (i0 + 1).clamp(max=in_size - 1)
    return i0, i1, (src - i0).float()


def resize_frames_tf1(x: torch.Tensor, size: int) -> torch.Tensor:
    """``[..., H, W]`` float -> ``[..., size, size]`` with TF1 ``resize_bilinear`` (align_corners=False)."""
    h, w = x.shape[-2:]
    if (h, w) != (size, size):
        y0, y1, fy = _tf1_taps(h, size, x.device)
        x0, x1, fx = _tf1_taps(w, size, x.device)
        top, bottom = x[..., y0, :], x[..., y1, :]
        x = top + (bottom - top) * fy.to(x.dtype)[:, None]        # rows first: [..., size, W]
        left, right = x[..., x0], x[..., x1]
        x = left + (right - left) * fx.to(x.dtype)                 # then columns: [..., size, size]
    return x


def resize_video(video: torch.Tensor, size: int = 224, method: str = "tf1_bilinear") -> torch.Tensor:
    """Video tensor ``[B, C, T, H, W]`` (float, any range) -> ``[B, C, T, size, size]``, frame by frame."""
    if method not in METHODS:
        raise ValueError(f"unknown resize method {method!r}; choose from {METHODS}")
    if tuple(video.shape[-2:]) == (size, size):
        return video
    if method == "tf1_bilinear":
        return resize_frames_tf1(video, size)
    b, c, t, h, w = video.shape
    frames = video.transpose(1, 2).reshape(b * t, c, h, w)
    frames = F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
    return frames.reshape(b, t, c, size, size).transpose(1, 2)
