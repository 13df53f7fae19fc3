"""Checks every importer applies to foreign weights before anything is written."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from vidsynth.errors import CheckpointError

# [1,3,3,1] low-pass filter as StyleGAN2-ADA stores it (``upfirdn2d.setup_filter``): outer product / 64.
_TAPS = torch.tensor([1.0, 3.0, 3.0, 1.0])
ADA_RESAMPLE_FILTER = torch.outer(_TAPS, _TAPS) / 64


@dataclass
class KeyReport:
    """What differs between a source state dict and the model it should load into."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mis_shaped: list[tuple[str, tuple, tuple]] = field(default_factory=list)   # (key, expected, found)
    wrong_constant: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mis_shaped or self.wrong_constant)

    def __str__(self) -> str:
        if self.ok:
            return "all keys and shapes match"
        lines = []
        if self.missing:
            lines += [f"missing ({len(self.missing)}):"] + [f"  {k}" for k in self.missing]
        if self.unexpected:
            lines += [f"unexpected ({len(self.unexpected)}):"] + [f"  {k}" for k in self.unexpected]
        if self.mis_shaped:
            lines += [f"mis-shaped ({len(self.mis_shaped)}):"]
            lines += [f"  {k}: expected {list(e)}, found {list(f)}" for k, e, f in self.mis_shaped]
        if self.wrong_constant:
            lines += [f"blur kernels that are not the [1,3,3,1] filter ({len(self.wrong_constant)}):"]
            lines += [f"  {k}" for k in self.wrong_constant]
        return "\n".join(lines)


def load_renamed(official: dict[str, torch.Tensor], model: torch.nn.Module, rename: Callable[[str], str | None],
                 source: str, layout: Callable[[str, torch.Tensor, tuple], torch.Tensor] | None = None,
                 target: str | None = None, not_in_file: frozenset[str] = frozenset()) -> tuple[dict, list[str]]:
    """Official tensors -> a state dict for ``model`` (float32), checked strictly, and the constant filters.

    ``rename(key)`` gives our name, ``None`` for a constant resample filter (checked against the
    [1,3,3,1] filter, not loaded), or raises ``KeyError`` for a key with no counterpart;
    ``layout(name, value, our_shape)`` brings a tensor into our layout. Every key of ``model`` except
    ``not_in_file`` (filled from elsewhere) must be filled exactly once, with the right shape; any
    missing, unexpected, doubly-mapped or mis-shaped key is named in the ``CheckpointError``.
    """
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items() if k not in not_in_file}
    report, ours, filters, seen = KeyReport(), {}, [], set()
    for key, value in official.items():
        try:
            name = rename(key)
        except KeyError:
            report.unexpected.append(key)
            continue
        if name is None:
            filters.append(key)
            continue
        if name not in expected:
            report.unexpected.append(f"{key} (-> {name})")
            continue
        if name in seen:                                    # two source keys for one target
            report.unexpected.append(f"{key} (-> {name}, already filled by another key)")
            continue
        seen.add(name)
        if layout is not None:
            value = layout(name, value, expected[name])
        if tuple(value.shape) != expected[name]:
            report.mis_shaped.append((f"{key} (-> {name})", expected[name], tuple(value.shape)))
            continue
        ours[name] = value.float()
    report.missing += [k for k in expected if k not in seen]
    if not report.ok:
        raise CheckpointError(f"{source} does not match {target or type(model).__name__}:\n{report}")
    require_filter(official, filters, source)
    return ours, filters


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
