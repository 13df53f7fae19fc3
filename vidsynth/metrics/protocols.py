"""Metric names -> protocols. A name says what is measured and how, so numbers stay comparable.

Grammar: ``{metric}{N}_{T}f[_subsample{k}f]``
- ``metric``: ``fvd`` (Frechet video distance), ``kvd`` (kernel video distance), ``is`` (video
  Inception Score, needs a classifier), ``ffid`` / ``fkid`` (per-frame FID/KID), ``acd`` (average
  content distance, generated videos only).
- ``N``: number of clips (real and generated, unless overridden with num_real/num_fake).
- ``T``: frames per clip as sampled; ``_subsample{k}f`` keeps every k-th of them (StyleGAN-V's
  ``fvd2048_128f_subsample8f``: 128 frames, every 8th fed to the I3D, i.e. 16 frames spanning 128).
Named presets from the literature: ``fvd2048_16f``, ``fvd2048_128f``, ``fvd2048_128f_subsample8f``,
``kvd2048_16f``; any other N/T/k parses the same way (e.g. ``fvd256_16f``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from vidsynth.errors import ConfigError

KINDS = ("fvd", "kvd", "is", "ffid", "fkid", "acd")
NEEDS_REAL = {"fvd", "kvd", "ffid", "fkid"}
_NAME = re.compile(r"^(fvd|kvd|is|ffid|fkid|acd)(\d+)_(\d+)f(?:_subsample(\d+)f)?$")
PRESETS = ("fvd2048_16f", "fvd2048_128f", "fvd2048_128f_subsample8f", "kvd2048_16f")


@dataclass(frozen=True)
class Protocol:
    name: str
    kind: str            # one of KINDS
    num_real: int        # clips from the dataset (0 if the metric needs none)
    num_fake: int        # generated clips
    frames: int          # frames per sampled clip
    subsample: int = 1   # keep every k-th frame before the feature network

    @property
    def frames_used(self) -> int:
        """Frames the feature network sees per clip."""
        return len(range(0, self.frames, self.subsample))

    @property
    def needs_real(self) -> bool:
        return self.kind in NEEDS_REAL


def parse_protocol(name: str, num_real: int | None = None, num_fake: int | None = None) -> Protocol:
    """``"fvd2048_16f"`` -> Protocol; ``num_real``/``num_fake`` override the count in the name."""
    m = _NAME.match(name.strip().lower())
    if not m:
        raise ConfigError(f"unknown metric {name!r}: expected {{{'|'.join(KINDS)}}}{{N}}_{{T}}f[_subsample{{k}}f], "
                          f"e.g. {', '.join(PRESETS)}")
    kind, n, t, k = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4) or 1)
    if n < 2 or t < 1 or k < 1 or k > t:
        raise ConfigError(f"metric {name!r}: need N >= 2 clips, T >= 1 frames and 1 <= k <= T")
    least = 2 if kind in NEEDS_REAL else 1  # a covariance / MMD needs 2 clips per side
    for what, value in (("num_real", num_real), ("num_fake", num_fake)):
        if value is not None and int(value) < least:  # 0 is a count, not "use the default"
            raise ConfigError(f"metric {name!r}: {what} must be >= {least}, got {value}")
    real = (n if num_real is None else int(num_real)) if kind in NEEDS_REAL else 0
    fake = n if num_fake is None else int(num_fake)
    proto = Protocol(name=name.strip().lower(), kind=kind, num_real=real, num_fake=fake, frames=t, subsample=k)
    if kind in ("fvd", "kvd") and proto.frames_used < 9:
        raise ConfigError(f"metric {name!r}: the I3D needs at least 9 frames after subsampling, got {proto.frames_used}")
    return proto
