"""The training progress bar: against the kimg target, or against the time budget (``--minutes``).

A time-budgeted run (``vidsynth demo``, ``train --minutes``) stops on the clock, so a bar of
"0.8/1000000.000 kimg" with an ETA of 100,000 hours would be meaningless: it shows minutes elapsed
out of the budget, and the kimg done so far (and the kimg target, when that can still end the run first).
"""
from __future__ import annotations

import time

# A kimg target this large means "no kimg limit, stop on the clock" (the demo uses it); the bar does not show it.
UNLIMITED_KIMG = 1e6


class TrainingProgress:
    """tqdm bar; ``update(nimg)`` after each step, ``postfix`` for the loss values."""

    def __init__(self, kimg: float, minutes: float, start_nimg: int, desc: str, enabled: bool = True, file=None):
        from tqdm.auto import tqdm

        self.kimg, self.minutes = kimg, minutes
        self.by_time = minutes > 0
        self.start = time.time()
        self.nimg = start_nimg
        self.extra: dict[str, str] = {}
        if self.by_time:
            self.bar = tqdm(total=round(minutes, 2), initial=0, unit="min", disable=not enabled, desc=desc,
                            dynamic_ncols=True, file=file,
                            bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} min{postfix}")   # tqdm prefixes ", "
        else:
            self.bar = tqdm(total=round(kimg, 3), initial=round(start_nimg / 1000, 3), unit="kimg", file=file,
                            disable=not enabled, desc=desc, dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n:.3f}/{total:.3f} kimg [{elapsed}<{remaining}, {rate_fmt}]"
                                       "{postfix}")
        self._refresh_postfix()

    def _refresh_postfix(self) -> None:
        items = dict(self.extra)
        if self.by_time:
            done = f"{self.nimg / 1000:.3f}"
            # A real kimg target can still end a time-budgeted run first, so it is shown; UNLIMITED_KIMG is not.
            items = {"kimg": done if self.kimg >= UNLIMITED_KIMG else f"{done}/{self.kimg:g}", **items}
        self.bar.set_postfix(items, refresh=False)

    def update(self, nimg: int, now: float | None = None) -> None:
        self.nimg = nimg
        if self.by_time:
            position = round(min(((now or time.time()) - self.start) / 60, self.minutes), 2)
        else:
            position = round(min(nimg / 1000, self.kimg), 3)
        # Set the position itself, not a sum of rounded steps: 1000 steps of 0.016 kimg add up to 16.000000000000004,
        # past a 16-kimg total, and tqdm warns "clamping frac" in the middle of the training log.
        self.bar.n = min(position, self.bar.total)
        self.bar.update(0)   # tqdm redraws (and estimates its rate) from n - its last printed n
        self._refresh_postfix()

    def postfix(self, values: dict[str, str]) -> None:
        self.extra = dict(values)
        self._refresh_postfix()
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
