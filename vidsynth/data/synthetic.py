"""Built-in procedural datasets (``builtin:shapes``, ``builtin:scene``), rendered on the fly.

Each is a virtual collection of ``num_videos`` videos of ``num_frames`` frames; video ``i`` is a pure
function of ``(seed, i)``, and frame ``t`` is computed in closed form (no simulation), so any clip of
any video renders directly at any resolution in well under a millisecond at 32 px. Motion is a few
pixels per frame at 32 px: clearly visible, yet smooth, which is what a tiny GAN trained for a few
minutes on a CPU can learn.
"""
from __future__ import annotations

import colorsys

import numpy as np

from vidsynth.video.pixels import crop_resize

FPS = 8.0


def _rng(tag: int, seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([tag, int(seed), int(index)]))


def _bright_colour(rng) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 1.0), rng.uniform(0.8, 1.0)), np.float32)


def _bounce(p0: float, v: float, lo: float, hi: float, t: np.ndarray) -> np.ndarray:
    """Position at times ``t`` of a point starting at ``p0`` with speed ``v`` bouncing between lo and hi."""
    span = hi - lo
    u = np.mod(p0 - lo + v * t, 2 * span)  # a triangle wave: go out, come back
    return lo + np.where(u < span, u, 2 * span - u)


def render_shapes(seed: int, index: int, times: np.ndarray, resolution: int) -> np.ndarray:
    """``shapes``: 1-3 discs/squares bouncing off the walls on a plain per-video background.

    Returns uint8 ``[n, R, R, 3]`` for frame numbers ``times``. Edges are anti-aliased analytically
    (pixel coverage of a 1-pixel-wide ramp at the boundary), so sprites glide at sub-pixel steps.
    """
    rng = _rng(1, seed, index)
    r = resolution
    t = np.asarray(times, np.float32)
    bg = rng.uniform(0.05, 0.45, 3).astype(np.float32)
    img = np.broadcast_to(bg, (len(t), r, r, 3)).copy()  # [n, R, R, 3] in [0, 1]
    centres = (np.arange(r, dtype=np.float32) + 0.5) / r  # pixel centres in [0, 1]
    for _ in range(int(rng.integers(1, 4))):
        square = rng.random() < 0.5
        radius = float(rng.uniform(0.10, 0.18))  # half the side / the radius, as a fraction of the frame
        colour = _bright_colour(rng)
        angle, speed = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.09)  # frame widths per frame
        x = _bounce(rng.uniform(radius, 1 - radius), speed * np.cos(angle), radius, 1 - radius, t)
        y = _bounce(rng.uniform(radius, 1 - radius), speed * np.sin(angle), radius, 1 - radius, t)
        x, y = x.astype(np.float32), y.astype(np.float32)
        dx = (centres[None, :] - x[:, None]) * r  # [n, R] pixels from the centre
        dy = (centres[None, :] - y[:, None]) * r
        rad = np.float32(radius * r)
        if square:  # box coverage is separable: coverage(x) * coverage(y)
            alpha = (np.clip(rad + 0.5 - np.abs(dy), 0, 1)[:, :, None]
                     * np.clip(rad + 0.5 - np.abs(dx), 0, 1)[:, None, :])  # [n, R, R]
        else:
            dist = np.sqrt(dy[:, :, None] ** 2 + dx[:, None, :] ** 2)
            alpha = np.clip(rad + 0.5 - dist, 0, 1)
        img += alpha[..., None] * (colour - img)
    return (img * 255 + 0.5).astype(np.uint8)


def render_scene(seed: int, index: int, times: np.ndarray, resolution: int) -> np.ndarray:
    """``scene``: a smooth colourful texture (a few random plane waves) panning in a per-video direction,
    under a static vertical light gradient. Returns uint8 ``[n, R, R, 3]``.

    ``sin(u(x) + v(y)) = sin u cos v + cos u sin v`` turns every wave into two outer products, so a
    frame costs two small matrix products instead of ``R*R*K`` sines.
    """
    rng = _rng(2, seed, index)
    k, r = 5, resolution
    t = np.asarray(times, np.float32)
    freq = rng.uniform(0.5, 2.0, k) * 2 * np.pi  # radians per frame width
    theta = rng.uniform(0, 2 * np.pi, k)
    fx, fy = (freq * np.cos(theta)).astype(np.float32), (freq * np.sin(theta)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, k).astype(np.float32)
    mix = rng.normal(0, 0.32 / np.sqrt(k), (3, k)).astype(np.float32)  # waves -> RGB
    base = rng.uniform(0.3, 0.7, 3).astype(np.float32)
    angle, speed = rng.uniform(0, 2 * np.pi), rng.uniform(0.04, 0.08)  # frame widths per frame
    ox, oy = speed * np.cos(angle) * t, speed * np.sin(angle) * t  # [n] texture offset
    c = (np.arange(r, dtype=np.float32) + 0.5) / r
    u = fx[:, None, None] * (c[None, None, :] - ox[None, :, None]) + phase[:, None, None]  # [K, n, X]
    v = fy[:, None, None] * (c[None, None, :] - oy[None, :, None])  # [K, n, Y]
    # waves[n, y, x, c] = sum_k mix[c, k] * (sin u cos v + cos u sin v)
    a = np.einsum("ck,kny->nyck", mix, np.cos(v)).reshape(len(t), r * 3, k)
    b = np.einsum("ck,kny->nyck", mix, np.sin(v)).reshape(len(t), r * 3, k)
    su, cu = np.sin(u).transpose(1, 0, 2), np.cos(u).transpose(1, 0, 2)  # [n, K, X]
    waves = (a @ su + b @ cu).reshape(len(t), r, 3, r).transpose(0, 1, 3, 2)  # [n, Y, X, 3]
    light = (1.15 - 0.35 * c)[None, :, None, None]  # brighter at the top, like a sky
    img = (base + waves) * light
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


BUILTINS = {"shapes": render_shapes, "scene": render_scene}


class SyntheticSource:
    """A virtual dataset of ``num_videos`` procedural videos; see :data:`BUILTINS`.

    Same interface as ``sources.FileSource``: ``len``, ``name(i)``, ``num_frames(i)``,
    ``read(i, indices, resolution)``, ``metadata(i)``, ``skipped``.
    """

    def __init__(self, name: str, seed: int = 0, num_videos: int = 4096, num_frames: int = 128):
        if name not in BUILTINS:
            from vidsynth.errors import DatasetError

            raise DatasetError(f"unknown built-in dataset 'builtin:{name}'; available: "
                               + ", ".join(f"builtin:{n}" for n in BUILTINS))
        self.builtin = name
        self.spec = f"builtin:{name}"
        self.seed, self.length, self.frames_per_video = int(seed), int(num_videos), int(num_frames)
        self.skipped: list[tuple[str, str]] = []
        self.label_json = None

    def __len__(self):
        return self.length

    def name(self, i: int) -> str:
        return f"{self.builtin}/{i:05d}"

    def num_frames(self, i: int) -> int:
        return self.frames_per_video

    def metadata(self, i: int) -> dict:
        return {"width": None, "height": None, "fps": FPS}  # renders at any size

    def read(self, i: int, indices, resolution: int) -> np.ndarray:
        """Frames ``indices`` of video ``i`` -> uint8 ``[n, R, R, 3]``."""
        if np.ndim(resolution):  # (height, width): render the larger side square, then centre-crop
            h, w = (int(v) for v in resolution)
            return crop_resize(BUILTINS[self.builtin](self.seed, i, np.asarray(indices), max(h, w)), (h, w))
        return BUILTINS[self.builtin](self.seed, i, np.asarray(indices), int(resolution))
