"""Checks every importer applies to foreign weights before anything is written."""
from __future__ import annotations

import math

import torch

from vidsynth.errors import CheckpointError

# [1,3,3,1] low-pass filter as StyleGAN2-ADA stores it (``upfirdn2d.setup_filter``): outer product / 64.
_TAPS = torch.tensor([1.0, 3.0, 3.0, 1.0])
ADA_RESAMPLE_FILTER = torch.outer(_TAPS, _TAPS) / 64


def require_finite(tensors: dict[str, torch.Tensor], source: str) -> None:
    """Refuse weights holding NaN or inf (a diverged or corrupt checkpoint), naming the first tensors."""
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise CheckpointError(f"{source}: {len(bad)} tensor(s) hold NaN or inf values ({', '.join(bad[:5])}{more}); "
                              "the checkpoint is corrupt or from a diverged run. Use an earlier snapshot.")


def require_filter(tensors: dict[str, torch.Tensor], keys: list[str], source: str) -> None:
    """The constant resample filters stored in ADA pickles must be the [1,3,3,1] filter we compute."""
    wrong = [k for k in keys if tuple(tensors[k].shape) != (4, 4)
             or not torch.allclose(tensors[k].float(), ADA_RESAMPLE_FILTER, atol=1e-6)]
    if wrong:
        raise CheckpointError(f"{source}: resample filters other than [1,3,3,1] are not supported: "
                              f"{', '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}")


def channels_rule(channels: dict[int, int], base_hint: int | None = None) -> tuple[int, int]:
    """``(channel_base, channel_max)`` such that ``min(base // r, max) == channels[r]`` for every r.

    ``base_hint`` (from the pickle's init kwargs) is tried first; otherwise the base is read off the
    highest resolution whose channel count is below the maximum.
    """
    cmax = max(channels.values())
    candidates = [base_hint] if base_hint else []
    below = [r for r, c in channels.items() if c < cmax]
    if below:
        r = min(below)
        candidates.append(channels[r] * r)
    candidates.append(cmax * max(channels))
    for base in candidates:
        if base and all(min(base // r, cmax) == c for r, c in channels.items()):
            return int(base), int(cmax)
    raise CheckpointError(f"channel counts {dict(sorted(channels.items()))} do not follow "
                          "min(channel_base / resolution, channel_max)")


def log2_int(value: int) -> int:
    return int(round(math.log2(value)))
