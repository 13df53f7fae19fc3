"""The machine's own arithmetic rate, so other measurements can say what fraction of it they reach.

``peak_rates`` times three dense kernels with the threads torch uses now:
- ``sgemm``: a 2048 x 2048 float32 matrix product (2 n^3 FLOP);
- ``conv3x3``: a 3x3 conv2d, 128 -> 128 channels on 8 x 56 x 56, channels_last (the usual
  "conv peak" of a CPU: what a well-blocked convolution library achieves);
- ``conv3d_3x3x3``: a 3x3x3 conv3d, 64 -> 64 channels on 2 x 8 x 56 x 56, channels_last_3d
  (the I3D's own kind of layer).
FLOP counts a multiply-add as 2 (as ``torch.utils.flop_counter`` does). Each is the best of a few
timed calls after a warm-up: the best, not the median, because the question is what the hardware
can do, and on a shared machine other work only ever slows a call down.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F


def _best_seconds(fn, repeat: int, device) -> float:
    from vidsynth.bench.timing import synchronize

    fn()  # warm-up: kernel selection, allocation
    synchronize(device)
    best = float("inf")
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def conv3x3_call(device="cpu"):
    """``(fn, flop)``: one 3x3 conv2d, 128 -> 128 channels on 8 x 56 x 56, channels_last."""
    x = torch.randn(8, 128, 56, 56, device=device).contiguous(memory_format=torch.channels_last)
    w = torch.randn(128, 128, 3, 3, device=device).contiguous(memory_format=torch.channels_last)

    def fn():
        with torch.inference_mode():
            F.conv2d(x, w, padding=1)

    return fn, 2 * 8 * 128 * 56 * 56 * 128 * 9


def peak_rates(device="cpu", repeat: int = 3) -> dict:
    """``{"threads", "sgemm_gflops", "conv3x3_gflops", "conv3d_3x3x3_gflops"}`` (GFLOP/s, best of ``repeat``)."""
    device = torch.device(device)
    out = {"threads": torch.get_num_threads(), "device": str(device), "flop_convention": "multiply-add = 2 FLOP"}
    with torch.inference_mode():
        n = 2048
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        out["sgemm_gflops"] = 2 * n ** 3 / _best_seconds(lambda: torch.mm(a, b), repeat, device) / 1e9

        conv, flop = conv3x3_call(device)
        out["conv3x3_gflops"] = flop / _best_seconds(conv, repeat, device) / 1e9

        x = torch.randn(2, 64, 8, 56, 56, device=device).contiguous(memory_format=torch.channels_last_3d)
        w = torch.randn(64, 64, 3, 3, 3, device=device).contiguous(memory_format=torch.channels_last_3d)
        flop = 2 * 2 * 64 * 8 * 56 * 56 * 64 * 27
        out["conv3d_3x3x3_gflops"] = flop / _best_seconds(lambda: F.conv3d(x, w, padding=1), repeat, device) / 1e9
    return out


# Which measured rate a subject's arithmetic is compared with (``Subject.peak_kind``): matrix products
# (DIGAN's INR generator: 1x1 modulated convolutions over pixels) with sgemm, 3x3 convolutions
# (StyleGAN2, the 2D discriminators) with conv3x3, 3D convolutions (MoCoGAN-HD's video D) with conv3d.
PEAK_KEYS = {"sgemm": "sgemm_gflops", "conv3x3": "conv3x3_gflops", "conv3d": "conv3d_3x3x3_gflops"}


def fraction_of_peak(macs: float | None, seconds: float, peak: dict | None, kind: str) -> dict:
    """``{"gflops", "peak_kind", "peak_gflops", "fraction_of_peak"}`` for ``macs`` multiply-adds done in
    ``seconds`` (2 FLOP per MAC, the convention of ``peak_rates``), against ``peak[PEAK_KEYS[kind]]``."""
    gflops = 2 * macs / seconds / 1e9 if macs and seconds > 0 else None
    peak_gflops = (peak or {}).get(PEAK_KEYS[kind])
    return {"gflops": gflops, "peak_kind": kind, "peak_gflops": peak_gflops,
            "fraction_of_peak": gflops / peak_gflops if gflops and peak_gflops else None}


def mixed_fraction_of_peak(by_kind: dict[str, float], seconds: float, peak: dict | None) -> dict:
    """``fraction_of_peak`` for work of several kinds (a training step: G's matmuls, D's convolutions): the
    fraction is the time the machine would need at each kind's peak, summed, over ``seconds``; ``peak_gflops``
    is the rate that time implies for the whole step (``peak_kind`` "mixed" when more than one kind)."""
    macs = sum(by_kind.values())
    kinds = sorted(k for k, m in by_kind.items() if m > 0)
    if len(kinds) == 1:
        return {**fraction_of_peak(macs, seconds, peak, kinds[0]), "gmac_by_kind": {kinds[0]: macs / 1e9}}
    rates = {k: (peak or {}).get(PEAK_KEYS[k]) for k in kinds}
    gflops = 2 * macs / seconds / 1e9 if macs and seconds > 0 else None
    ideal_s = sum(2 * by_kind[k] / (rates[k] * 1e9) for k in kinds) if kinds and all(rates.values()) else None
    return {"gflops": gflops, "peak_kind": "mixed" if kinds else None,
            "peak_gflops": 2 * macs / ideal_s / 1e9 if ideal_s else None,
            "fraction_of_peak": ideal_s / seconds if ideal_s and seconds > 0 else None,
            "gmac_by_kind": {k: by_kind[k] / 1e9 for k in kinds}}
