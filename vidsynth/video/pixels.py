"""Pixel preprocessing shared by every on-disk format: any pixel layout -> RGB uint8, and
centre crop + antialiased resize to the training size.

The crop rule: the largest centred box with the *output's* aspect ratio (a square for the usual
``R x R``; for ``H x W`` frames, full height of a wider source or full width of a taller one), then
a resize of that box to the output size. Nothing is stretched, and a square output is unchanged by
the rectangular support."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vidsynth.utils.limits import MAX_PIXELS_ENV, max_frame_pixels  # noqa: F401 (re-exported)


def check_resolution(resolution) -> None:
    """Refuse an output size (``R`` or ``(H, W)``) whose frames would exceed the per-frame pixel limit
    (``-r 100000`` is 30 GB a frame)."""
    h, w = (resolution, resolution) if np.ndim(resolution) == 0 else (int(v) for v in resolution)
    if min(h, w) < 1 or h * w > max_frame_pixels():
        from vidsynth.errors import ConfigError

        raise ConfigError(f"resolution {resolution} is out of range: frames of {w}x{h} exceed the "
                          f"limit of {max_frame_pixels() / 1e6:g} megapixels per frame ({MAX_PIXELS_ENV})")


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Any image ``[H, W]`` / ``[H, W, 1|2|3|4]`` of uint8/uint16/int/float -> uint8 ``[H, W, 3]``.

    Grayscale is repeated to 3 channels, alpha is dropped (not composited), 16-bit is scaled down
    (``>> 8``), floats are taken as [0, 1].
    """
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.dtype == np.uint8:
        pass
    elif a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        a = (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer):  # e.g. PIL mode "I": 32-bit ints, usually 16-bit data
        top = 65535 if a.max(initial=0) > 255 else 255
        a = (np.clip(a, 0, top) * (255 / top) + 0.5).astype(np.uint8)
    elif a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    channels = a.shape[2]
    if channels in (1, 2):  # gray, gray + alpha
        a = np.repeat(a[:, :, :1], 3, axis=2)
    elif channels >= 3:  # RGB, RGBA
        a = a[:, :, :3]
    return np.ascontiguousarray(a)


def center_crop_box(height: int, width: int) -> tuple[int, int, int]:
    """``(top, left, size)`` of the largest centred square."""
    size = min(height, width)
    return (height - size) // 2, (width - size) // 2, size


def center_crop_rect(height: int, width: int, out_height: int, out_width: int) -> tuple[int, int, int, int]:
    """``(top, left, box_height, box_width)`` of the largest centred box with aspect ``out_width:out_height``."""
    if width * out_height >= height * out_width:  # source as wide or wider: full height
        box_h, box_w = height, min(width, max(1, round(height * out_width / out_height)))
    else:                                         # source taller: full width
        box_h, box_w = min(height, max(1, round(width * out_height / out_width))), width
    return (height - box_h) // 2, (width - box_w) // 2, box_h, box_w


def crop_resize(frames: np.ndarray, resolution) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` -> uint8 ``[T, R, R, 3]``: centre square crop, then antialiased bilinear resize.

    ``resolution`` may be ``(height, width)`` for rectangular frames: centre crop to that aspect ratio
    (:func:`center_crop_rect`), then resize to ``[T, height, width, 3]``.

    Antialiasing matters when shrinking (e.g. 720p -> 64 px): without it thin edges alias and
    flicker from frame to frame, which a video discriminator happily learns.
    """
    check_resolution(resolution)
    t, h, w, _ = frames.shape
    if not isinstance(resolution, (int, np.integer)):
        out_h, out_w = (int(v) for v in resolution)
        if out_h != out_w:
            return _crop_resize_rect(frames, out_h, out_w)
        resolution = out_h
    top, left, size = center_crop_box(h, w)
    frames = frames[:, top:top + size, left:left + size]
    if size == resolution:
        return np.ascontiguousarray(frames)
    # [T, S, S, 3] viewed as channels-last [T, 3, S, S]: torch's uint8 bilinear kernel works on this
    # layout directly, ~50x faster than a float round trip and within 1 level of it.
    x = torch.from_numpy(np.require(frames, requirements=["C", "W"])).permute(0, 3, 1, 2)  # W: copy a read-only frame
    y = F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False,
                      antialias=size > resolution)  # uint8 [T, 3, R, R], channels-last
    return y.permute(0, 2, 3, 1).contiguous().numpy()  # [T, R, R, 3]


def _crop_resize_rect(frames: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """:func:`crop_resize` to ``out_h x out_w`` (not square)."""
    t, h, w, _ = frames.shape
    top, left, box_h, box_w = center_crop_rect(h, w, out_h, out_w)
    frames = frames[:, top:top + box_h, left:left + box_w]
    if (box_h, box_w) == (out_h, out_w):
        return np.ascontiguousarray(frames)
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)  # channels-last [T, 3, h, w]
    y = F.interpolate(x, size=(out_h, out_w), mode="bilinear", align_corners=False,
                      antialias=box_h > out_h or box_w > out_w)
    return y.permute(0, 2, 3, 1).contiguous().numpy()  # [T, out_h, out_w, 3]
