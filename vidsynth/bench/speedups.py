"""Speed variants, each measured as a ratio against a baseline in the same interleaved run.

* ``grad_mode``: generation with autograd on / ``no_grad`` / ``inference_mode``.
* ``time_batching``: all T frames in one pass vs a per-frame loop (and whether the frames agree).
* ``channels_last``: the discriminators in NCHW vs channels-last layout.
* ``compile``: ``torch.compile`` of the generator (opt-in, ``--compile``).
* ``autocast``: fp32 vs bf16 / fp16 autocast (CUDA only; skipped on CPU).

Paper-scale configs are measured with fewer frames in ``--quick`` mode (``frames`` says how many);
ratios, not absolute times, are what these numbers are for.
"""
from __future__ import annotations

import copy
import time

import torch

from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import compare, ratios
from vidsynth.bench.speed import autocast, channels_last_input, inference, maybe_compile, to_channels_last


def _frames(subject, settings: BenchSettings) -> int:
    return 4 if (subject.paper_scale and settings.quick) else subject.frames


def _report(medians: dict[str, float], **extra) -> dict:
    return {"sec": medians, "speedup_vs_first": ratios(medians), **extra}


def grad_mode(subject, settings: BenchSettings) -> dict:
    device, frames = settings.device, _frames(subject, settings)
    G = subject.build(device)["G"]
    lat = subject.latents(1, device)

    def with_grad():
        G.requires_grad_(True)
        try:
            subject.generate(lat, frames)
        finally:
            G.requires_grad_(False)

    def no_grad():
        with torch.no_grad():
            subject.generate(lat, frames)

    def inference_mode():
        with inference():
            subject.generate(lat, frames)

    medians = compare({"grad": with_grad, "no_grad": no_grad, "inference_mode": inference_mode},
                      settings.repeats(False), 1, device)
    return _report(medians, frames=frames)


def time_batching(subject, settings: BenchSettings) -> dict:
    device, frames = settings.device, _frames(subject, settings)
    subject.build(device)
    lat = subject.latents(1, device)
    with inference():
        diff = (subject.generate(lat, frames) - subject.generate_per_frame(lat, frames)).abs().max().item()

    def per_frame():
        with inference():
            subject.generate_per_frame(lat, frames)

    def batched():
        with inference():
            subject.generate(lat, frames)

    medians = compare({"per_frame_loop": per_frame, "batched": batched}, settings.repeats(False), 1, device)
    return _report(medians, frames=frames, max_abs_diff=diff)


def channels_last(subject, settings: BenchSettings) -> dict:
    device = settings.device
    plain = subject.discriminators(device)
    fast = _channels_last_copy(plain)
    frames = 4 if settings.quick and subject.method == "mocogan-hd" and subject.paper_scale else subject.frames
    clips = torch.rand(settings.batch_size(), 3, frames, subject.resolution, subject.resolution, device=device) * 2 - 1

    def run(D, convert: bool):
        def fn():
            with inference():
                subject.discriminate(channels_last_input(clips) if convert else clips, D)
        return fn

    medians = compare({"contiguous": run(plain, False), "channels_last": run(fast, True)},
                      settings.repeats(False), 1, device)
    return _report(medians, clip_frames=frames)


def _channels_last_copy(D):
    """A channels-last copy of a D module, or of every module in a dict of them."""
    if isinstance(D, dict):
        return {name: to_channels_last(copy.deepcopy(m)) for name, m in D.items()}
    return to_channels_last(copy.deepcopy(D))


def compile_generator(subject, settings: BenchSettings, budget_s: float = 600.0) -> dict:
    """Eager vs ``torch.compile``d generator; the compile (first call) time is reported separately."""
    if not settings.compile:
        return {"skipped": "opt-in: pass --compile"}
    device, frames = settings.device, _frames(subject, settings)
    G = subject.build(device)["G"]
    lat = subject.latents(1, device)
    compiled = maybe_compile(G, True)
    start = time.perf_counter()
    try:
        with inference():
            subject.generate(lat, frames, compiled)
    except Exception as e:  # noqa: BLE001 - compile support varies by platform
        return {"skipped": f"torch.compile failed: {type(e).__name__}: {str(e)[:200]}"}
    compile_s = time.perf_counter() - start
    if compile_s > budget_s:
        return {"skipped": f"compile took {compile_s:.0f} s (> {budget_s:.0f} s budget)", "compile_s": compile_s}

    def eager():
        with inference():
            subject.generate(lat, frames, G)

    def comp():
        with inference():
            subject.generate(lat, frames, compiled)
    medians = compare({"eager": eager, "compiled": comp}, settings.repeats(False), 1, device)
    return _report(medians, frames=frames, compile_s=compile_s)


def mixed_precision(subject, settings: BenchSettings) -> dict:
    device = settings.device
    if device.type != "cuda":
        return {"skipped": "autocast bf16/fp16 is measured on CUDA only"}
    frames = _frames(subject, settings)
    subject.build(device)
    lat = subject.latents(settings.batch_size(), device)

    def variant(dtype):
        def fn():
            with inference(), autocast(device, dtype, enabled=dtype is not None):
                subject.generate(lat, frames)
        return fn
    medians = compare({"fp32": variant(None), "bf16": variant(torch.bfloat16), "fp16": variant(torch.float16)},
                      settings.repeats(False), 1, device)
    return _report(medians, frames=frames)


def digan_upsample_commute(subject, settings: BenchSettings) -> dict:
    """DIGAN's first layer of upsampling blocks: the official formulation (upsample, concatenate the
    embedding, multiply) vs ours (multiply on the low-resolution grid, then upsample; exact)."""
    if subject.method != "digan":
        return {"skipped": "DIGAN only"}
    from vidsynth.bench.flops import count_macs
    from vidsynth.bench.memory import gib, peak_memory
    from vidsynth.models.digan.generator import SynthesisBlock

    device, frames = settings.device, _frames(subject, settings)
    G = subject.build(device)["G"]
    z, zm = subject.latents(1, device)
    times = subject.times(frames, device)

    def run(model, *args, commute: bool):
        previous = SynthesisBlock.commute_upsample
        SynthesisBlock.commute_upsample = commute
        try:
            with inference():
                return model(*args)
        finally:
            SynthesisBlock.commute_upsample = previous

    diff = (run(G, z, zm, times, commute=False) - run(G, z, zm, times, commute=True)).abs().max().item()
    with torch.device("meta"):
        G_meta = subject._generator("meta").requires_grad_(False)
        args = (torch.empty(1, z.shape[1]), torch.empty(1, zm.shape[1]), torch.empty(subject.frames))
        macs = {name: count_macs(lambda: run(G_meta, *args, commute=flag))["macs"] / 1e9
                for name, flag in (("concat", False), ("commuted", True))}
    variants = {"concat": lambda: run(G, z, zm, times, commute=False),
                "commuted": lambda: run(G, z, zm, times, commute=True)}
    medians = compare(variants, settings.repeats(False), 1, device)
    mem = {name: gib(peak_memory(fn, device)["peak_bytes"]) for name, fn in variants.items()}
    return _report(medians, frames=frames, max_abs_diff=diff, gmac_per_video=macs, peak_mem_gib=mem)


SPEEDUPS = {"grad_mode": grad_mode, "time_batching": time_batching, "channels_last": channels_last,
            "compile": compile_generator, "autocast": mixed_precision,
            "digan_upsample_commute": digan_upsample_commute}


def run_speedups(subject, settings: BenchSettings) -> dict:
    return {name: fn(subject, settings) for name, fn in SPEEDUPS.items()}
