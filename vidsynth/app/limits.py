"""Memory caps of the app: requests that would not fit are refused with a message, before any work.

Two things grow with a request:

- the *output* held in host memory: ``videos x frames x 3 x H x W`` float32 values, plus the uint8
  copy the encoders read (1 byte per value) -- 5 bytes per value in all;
- the *activations* of one generator call, on the model's device: the app renders ``chunk`` frames
  of every video per call, so they are ``videos x chunk x (activation values of one frame)``.

The activation values of one frame come from the model itself: :func:`frame_activation_values`
renders one frame at the native resolution with forward hooks and takes the largest output of any
module (the widest feature map at the finest grid). A layer's input, its output and a
modulated/concatenated temporary can be alive together, so :data:`ACTIVATION_COPIES` = 4 of that
largest tensor are counted. Pixel counts scale with
``scale ** 2`` (DIGAN's upsampling renders a denser grid of the same layers).

The budget is ``--max-memory-gb`` (default: half of the machine's RAM). Both costs together must
fit in it; :meth:`Limits.check` raises :class:`RequestTooLarge` naming the largest frame count that
would fit, and :meth:`Limits.max_frames` gives the UI its slider maxima.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from vidsynth.errors import VidsynthError

ACTIVATION_COPIES = 4            # input + output + one temporary per layer, plus slack (see above)
OUTPUT_BYTES_PER_VALUE = 4 + 1   # float32 video + its uint8 copy for the encoders
UI_MAX_FRAMES = 4096             # slider ends; the memory cap may be lower


def human_size(num_bytes: float) -> str:
    """``1.50 GiB``, ``12.0 MiB``."""
    return f"{num_bytes / 2 ** 30:.2f} GiB" if num_bytes >= 2 ** 30 else f"{num_bytes / 2 ** 20:.1f} MiB"


class RequestTooLarge(VidsynthError):
    """A render would not fit in the memory budget."""


def default_budget_bytes() -> int:
    """Half of the physical memory (the app shares the machine with the browser and the OS)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):   # not POSIX: assume 8 GiB of RAM
        return 4 * 2 ** 30


@torch.inference_mode()
def frame_activation_values(sampler) -> int:
    """The largest output of any module (layer or block, in values) while rendering one frame of one
    video at scale 1; at least the frame itself (3 x H x W)."""
    largest = [0]

    def hook(_module, _inputs, output):
        for t in output if isinstance(output, (tuple, list)) else (output,):
            if isinstance(t, torch.Tensor):
                largest[0] = max(largest[0], t.numel())

    handles = [m.register_forward_hook(hook) for m in sampler.generator.modules()]
    # DIGAN renders blocks in cache-sized pieces of points outside its modules' forward calls; measure the
    # all-at-once path, which runs every module and bounds what the pieces use (an over- not an under-estimate).
    point_chunk = getattr(sampler.generator, "point_chunk", None)
    if point_chunk is not None:
        sampler.generator.point_chunk = None
    try:
        if hasattr(sampler.generator, "synthesize") and hasattr(sampler, "latents"):     # DIGAN
            z, zm = sampler.latents(1, 0)
            sampler.render(z, zm, torch.zeros(1), sampler.labels(1, None, 0))
        else:                                                                             # MoCoGAN-HD
            sampler.render_latents(sampler.content_codes(1, 0)[:, None])                 # [1, 1, D]
    finally:
        for h in handles:
            h.remove()
        if point_chunk is not None:
            sampler.generator.point_chunk = point_chunk
    return max(largest[0], 3 * sampler.resolution ** 2)


@dataclass
class Limits:
    """The memory budget and the model's per-frame costs; all sizes in bytes."""
    budget: int
    resolution: int                 # native frame size H = W
    activation_values: int          # largest layer output for one frame at scale 1
    chunk: int = 16                 # frames per generator call

    @classmethod
    def for_sampler(cls, sampler, budget: int | None = None, chunk: int = 16) -> "Limits":
        return cls(budget or default_budget_bytes(), sampler.resolution, frame_activation_values(sampler), chunk)

    def cost(self, videos: int, frames: int, scale: float = 1.0) -> int:
        """Bytes needed to render ``videos x frames`` frames at ``scale`` (a zoom-out range changes what the
        pixels show, not how many there are)."""
        pixels = scale ** 2                                                       # pixel-count factor
        output = videos * frames * 3 * (self.resolution * scale) ** 2 * OUTPUT_BYTES_PER_VALUE
        activations = videos * min(frames, self.chunk) * self.activation_values * pixels * 4 * ACTIVATION_COPIES
        return int(output + activations)

    def max_frames(self, videos: int = 1, scale: float = 1.0) -> int:
        """The most frames per video that fit (0 if even one does not), at most :data:`UI_MAX_FRAMES`."""
        lo, hi = 0, UI_MAX_FRAMES
        while lo < hi:                                                 # largest f with cost(f) <= budget
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self.cost(videos, mid, scale) <= self.budget else (lo, mid - 1)
        return lo

    def check(self, videos: int, frames: int, scale: float = 1.0) -> None:
        """Raise :class:`RequestTooLarge` if ``videos x frames`` at ``scale`` would not fit the budget."""
        need = self.cost(videos, frames, scale)
        if need > self.budget:
            fit = self.max_frames(videos, scale)
            size = int(round(self.resolution * scale))
            hint = (f"at most {fit} frames per video fit" if fit else "not even one frame fits: lower the scale "
                    "or the number of videos")
            raise RequestTooLarge(
                f"refused: {videos} video(s) x {frames} frames at {size}x{size} px would need about "
                f"{human_size(need)}, over the app's memory budget of {human_size(self.budget)} "
                f"({hint}; `vidsynth app --max-memory-gb` sets the budget)")
