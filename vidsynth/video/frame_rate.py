"""Frame rates as exact fractions: NTSC's 30000/1001 stays 30000/1001 (29.97...), never 30.

Containers store a rational rate; rounding it to an integer makes a 29.97 fps video play 0.1% fast
and drift out of sync with its source. Everything that writes or stores a rate goes through
:func:`frame_rate` (any spelling -> ``Fraction``) and :func:`rate_to_json` (JSON has no fractions).
"""
from __future__ import annotations

import math
from fractions import Fraction

import click

# Floats this close to k * 1000/1001 are the NTSC rate (29.97 -> 30000/1001), as ffmpeg's "ntsc" names.
NTSC_BASES = (24, 30, 48, 60, 120, 240)
NTSC_TOLERANCE = 0.005  # 29.97 is 3e-5 from 30000/1001; the next plausible rate (29.9) is 0.07 away


def frame_rate(value) -> Fraction:
    """``8``, ``29.97``, ``"30000/1001"``, ``"25"`` or a ``Fraction`` -> a positive ``Fraction``.

    A float (or decimal string) near an NTSC rate becomes that rate exactly; any other float becomes the
    nearest fraction with denominator <= 1001. Raises ``ValueError`` for anything else.
    """
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, bool):
        raise ValueError(f"not a frame rate: {value!r}")
    elif isinstance(value, int):
        rate = Fraction(value)
    else:
        text = str(value).strip()
        if "/" in text:
            num, _, den = text.partition("/")
            rate = Fraction(int(num), int(den))
        else:
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(f"not a frame rate: {value!r}")
            rate = Fraction(number).limit_denominator(1001)
            for k in NTSC_BASES:
                if abs(number - k * 1000 / 1001) < NTSC_TOLERANCE:
                    rate = Fraction(k * 1000, 1001)
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {value!r}")
    return rate


def rate_to_json(value) -> int | str:
    """A rate for JSON: an int when whole (``8``), else ``"num/den"`` (``"30000/1001"``)."""
    rate = frame_rate(value)
    return rate.numerator if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


class FrameRateParam(click.ParamType):
    """A click option type for frame rates: ``8``, ``29.97`` or ``30000/1001``."""

    name = "FPS"

    def convert(self, value, param, ctx):
        try:
            return frame_rate(value)
        except (ValueError, ZeroDivisionError):
            self.fail(f"{value!r} is not a frame rate; use e.g. 8, 25, 29.97 or 30000/1001", param, ctx)


FRAME_RATE = FrameRateParam()
