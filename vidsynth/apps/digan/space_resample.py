"""Space interpolation and extrapolation (DIGAN paper §4.2, Figure 7, Table 4, Figure 9, Appendix H).

Pixels are coordinates too: the INR is evaluated on a grid over the unit square [0, 1]^2 of the
training view.

- *interpolation (upsampling)*: a denser grid over the same square: ``scale`` 4 turns a 32 px
  model into a 128 px video (no retraining, no image upsampler);
- *extrapolation (zoom-out)*: a grid over a wider square, by default [-0.25, 1.25]^2 as in the
  paper, shows what lies outside the training frame; at ``scale`` 1 the picture keeps its pixel
  size, so the content shrinks to 1 / 1.5 of the frame. Every frame uses the same coordinates, so
  the out-of-frame area moves consistently over time.

``scale`` must make ``input_resolution * scale`` an integer (e.g. 1.5 or 4 with a 16 px input grid).
"""
from __future__ import annotations

from vidsynth.apps.digan.render import mapped_w, render

ZOOM_OUT_RANGE = (-0.25, 1.25)


def upsample(sampler, z, z_motion, times, scale: float = 4.0, c=None, truncation_psi: float = 1.0,
             chunk_frames: int = 16):
    """Videos ``(z, z_M)`` at ``times`` on a ``scale``-times denser grid -> ``[B, 3, T, R*scale, R*scale]``."""
    w = mapped_w(sampler, z, c, truncation_psi)
    return render(sampler, w, z_motion, times, chunk_frames, scale=scale)


def zoom_out(sampler, z, z_motion, times, coord_range=ZOOM_OUT_RANGE, scale: float = 1.0, c=None,
             truncation_psi: float = 1.0, chunk_frames: int = 16):
    """Videos rendered over ``coord_range`` (in training-view units) -> ``[B, 3, T, R*scale, R*scale]``."""
    lo, hi = float(coord_range[0]), float(coord_range[1])
    if not hi > lo:
        raise ValueError(f"coordinate range must have hi > lo, got ({lo}, {hi})")
    w = mapped_w(sampler, z, c, truncation_psi)
    return render(sampler, w, z_motion, times, chunk_frames, scale=scale, coord_range=(lo, hi))


def training_view_box(resolution: int, coord_range=ZOOM_OUT_RANGE) -> tuple[int, int]:
    """Pixel span ``(start, stop)`` of the training view [0, 1] inside a zoomed-out frame of ``resolution`` px."""
    lo, hi = coord_range
    return round((0 - lo) / (hi - lo) * resolution), round((1 - lo) / (hi - lo) * resolution)
