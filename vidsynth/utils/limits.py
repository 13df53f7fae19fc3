"""Resource limits on what the readers accept, each overridable by an environment variable.

A tiny hostile file can declare huge frames or a huge zip member; these caps turn that into one clear
error instead of gigabytes of memory. ``VIDSYNTH_MAX_FRAME_PIXELS`` (default 40 megapixels, enough for
8K video) and ``VIDSYNTH_MAX_ZIP_MEMBER_BYTES`` (default 512 MiB) change them.
"""
from __future__ import annotations

import os

MAX_FRAME_PIXELS = 40_000_000   # width x height of the largest frame any reader decodes (8K = 33.2 M)
MAX_PIXELS_ENV = "VIDSYNTH_MAX_FRAME_PIXELS"
MAX_MEMBER_BYTES = 512 << 20    # largest zip member read into memory (a video decodes from its bytes)
MAX_MEMBER_ENV = "VIDSYNTH_MAX_ZIP_MEMBER_BYTES"


def env_limit(env: str, default: int, unit: str) -> int:
    """``$env`` as a positive whole number if set, else ``default``; ConfigError names the variable."""
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        from vidsynth.errors import ConfigError

        raise ConfigError(f"{env}={text!r} must be a positive whole number of {unit}")
    return int(text)


def max_frame_pixels() -> int:
    """The per-frame pixel limit: ``$VIDSYNTH_MAX_FRAME_PIXELS`` if set, else 40 megapixels."""
    return env_limit(MAX_PIXELS_ENV, MAX_FRAME_PIXELS, "pixels")


def max_member_bytes() -> int:
    """The zip member size limit: ``$VIDSYNTH_MAX_ZIP_MEMBER_BYTES`` if set, else 512 MiB."""
    return env_limit(MAX_MEMBER_ENV, MAX_MEMBER_BYTES, "bytes")
