"""Speed variants, each measured as a ratio against a baseline in the same interleaved run.

* ``grad_mode``: generation with autograd on / ``no_grad`` / ``inference_mode``.
* ``time_batching``: all T frames in one pass vs a per-frame loop (and whether the frames agree).
* ``channels_last``: the discriminators in NCHW vs channels-last layout.
* ``compile``: ``torch.compile`` of the generator (opt-in, ``--compile``).
* ``autocast``: fp32 vs bf16 / fp16 autocast (CUDA only; skipped on CPU).
* ``mocogan_modconv``: MoCoGAN-HD generation with StyleGAN2's fused (grouped, per-sample weights)
  vs unfused (shared weight, demodulate after) modulated conv, with and without
  ``vidsynth.utils.heap.retain_heap``, all frames at once or in chunks of 4, NCHW or channels-last;
  user and kernel (sys) CPU seconds per video for each.
* ``mocogan_modconv_backward``: the same two formulations under a MoCoGAN-HD training step's
  pattern (frozen G, gradients through it to the latents).
* ``mocogan_train_step``: a whole MoCoGAN-HD training step (G_M + D) before / after issue 18's
  training work (lean autograd through the frozen StyleGAN2, the heap kept over the step), with user
  and system CPU time, page faults and peak memory per step and the G_M gradients compared.
* ``digan_upsample_commute``: DIGAN's upsampling blocks as published vs with the commuted first layer.
* ``digan_point_chunks``: DIGAN's blocks rendered all at once vs in cache-sized pieces of points, with
  GFLOP/s, the fraction of an interleaved sgemm, user/system CPU time and page faults per call.
* ``digan_generation_paths``: DIGAN generation before / after issue 18's second round (angle-sum embedding,
  toRGB in place, fused FMM styles), each change alone and all together.
* ``digan_train_step``: a DIGAN training step (r1 and no_r1) on the path before / after those changes.

Paper-scale configs are measured with fewer frames in ``--quick`` mode (``frames`` says how many);
ratios, not absolute times, are what these numbers are for.
"""
from __future__ import annotations

import copy
import time

import torch

from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import CPUTime, compare, ratios
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


# ------------------------------------------------------------------------------------ MoCoGAN-HD
def _with_modconv(fused: bool, fn):
    """Run ``fn`` with every ModulatedConv2d forced to the fused (grouped) or unfused formulation."""
    from vidsynth.nn.modulated_conv import ModulatedConv2d

    previous = ModulatedConv2d.fused
    ModulatedConv2d.fused = fused
    try:
        return fn()
    finally:
        ModulatedConv2d.fused = previous


def mocogan_modconv(subject, settings: BenchSettings) -> dict:
    """MoCoGAN-HD generation under ``inference_mode``, before and after issue 18: ``fused_grouped``
    (grouped conv, freed memory returned to the kernel: the former code) vs the unfused modulated
    conv (the CPU default now) without / with ``retain_heap`` (now the default of ``render_latents``),
    all frames in one batch or in chunks of 4, NCHW or channels-last, and ``unfused_pieces_retain_heap``
    (the default now: ``StyleGAN2Generator.inference_chunk_mib`` pieces). Every other variant runs
    without those pieces. ``max_abs_diff``: largest difference between the fused and unfused videos
    (float rounding)."""
    if subject.method != "mocogan-hd":
        return {"skipped": "MoCoGAN-HD only"}
    device, frames = settings.device, _frames(subject, settings)
    subject.build(device)
    lat = subject.latents(1, device)

    def run(fused: bool, chunk: int | None, keep_heap: bool, channels_last: bool = False, pieces: bool = False):
        def fn():
            from vidsynth.models.stylegan2 import StyleGAN2Generator
            from vidsynth.utils import heap

            default_mib = StyleGAN2Generator.inference_chunk_mib
            StyleGAN2Generator.channels_last, heap.enabled = channels_last, keep_heap
            StyleGAN2Generator.inference_chunk_mib = default_mib if pieces else None
            try:
                with inference():
                    return _with_modconv(fused, lambda: subject.generate(lat, frames, chunk=chunk))
            finally:
                StyleGAN2Generator.channels_last, heap.enabled = False, True
                StyleGAN2Generator.inference_chunk_mib = default_mib
        return fn

    diff = (run(True, None, True)() - run(False, None, True)()).abs().max().item()
    variants = {"fused_grouped": run(True, None, False), "unfused": run(False, None, False),
                "unfused_retain_heap": run(False, None, True), "unfused_chunk4_retain_heap": run(False, 4, True),
                "unfused_chunk4_retain_heap_channels_last": run(False, 4, True, channels_last=True),
                "unfused_pieces_retain_heap": run(False, None, True, pieces=True)}
    cpu = {name: CPUTime() for name in variants}
    medians = compare({name: cpu[name].wrap(fn) for name, fn in variants.items()}, settings.repeats(False), 1, device)
    return _report(medians, frames=frames, max_abs_diff=diff, cpu_s={name: c.per_call() for name, c in cpu.items()})


def mocogan_modconv_backward(subject, settings: BenchSettings) -> dict:
    """Forward + backward through the frozen StyleGAN2 to the frame latents (what a MoCoGAN-HD
    G_M step does), fused vs unfused modulated conv; ``grad_max_abs_diff`` compares the gradients."""
    if subject.method != "mocogan-hd":
        return {"skipped": "MoCoGAN-HD only"}
    device = settings.device
    frames = 2 if (subject.paper_scale and settings.quick) else subject.frames
    G_I = subject.build(device)["G"].image_generator
    torch.manual_seed(0)
    latents = torch.randn(1, frames, G_I.style_dim, device=device)
    noise = G_I.sample_noise(1, torch.Generator(device=device).manual_seed(0))

    def run(fused: bool):
        def fn():
            from vidsynth.models.mocogan_hd import render_latents

            w = latents.clone().requires_grad_(True)
            video = _with_modconv(fused, lambda: render_latents(G_I, w, video_noise=noise, clamp=False))
            video.square().mean().backward()
            return w.grad
        return fn

    diff = (run(True)() - run(False)()).abs().max().item()
    medians = compare({"fused_grouped": run(True), "unfused": run(False)}, settings.repeats(False), 1, device)
    return _report(medians, frames=frames, grad_max_abs_diff=diff)


def mocogan_train_step(subject, settings: BenchSettings) -> dict:
    """One MoCoGAN-HD training step (G_M update through the frozen StyleGAN2 + D_V/D_I update with
    WGAN-GP, in-domain), before and after issue 18's training work, interleaved:

    * ``before``: op-by-op autograd through the frozen layers (``nn.frozen_modconv.enabled = False``),
      the heap kept only while frames render, handed back at once (``heap.linger_s = 0``);
    * ``frozen_modconv``: one autograd node per frozen modulated conv (half the saved activations);
    * ``frozen_modconv_retain_heap`` (the default now): and the whole step inside ``retain_heap``, the
      heap kept from one step to the next (``MoCoGANHDTrainer.step``).

    Per variant: median seconds, user/system CPU seconds and minor page faults per step, peak memory;
    ``grad_max_abs_diff``: the largest difference between G_M's gradients of one G step before and
    after (same weights and draws; 0 when bit-identical). Paper-scale configs run 4 frames in
    ``--quick``; the batch is ``--batch`` (1 quick)."""
    if subject.method != "mocogan-hd":
        return {"skipped": "MoCoGAN-HD only"}
    import resource
    import statistics

    from vidsynth.bench.memory import gib, peak_memory
    from vidsynth.models.mocogan_hd import generator_losses
    from vidsynth.nn import frozen_modconv
    from vidsynth.utils import heap

    device, frames, batch = settings.device, _frames(subject, settings), settings.batch_size()
    parts = subject.train_parts(batch, device, frames)          # the bench's training step, same seeds
    G_M, G_I, D_V, D_I, real, one_step = parts.G_M, parts.G_I, parts.D_V, parts.D_I, parts.real, parts.one_step

    def g_grads(frozen: bool) -> list[torch.Tensor]:
        D_V.requires_grad_(False), D_I.requires_grad_(False)
        frozen_modconv.enabled = frozen
        try:
            G_M.zero_grad(set_to_none=True)
            generator_losses(G_M, G_I, D_V, D_I, real, "in_domain",
                             generator=torch.Generator(device=device).manual_seed(7))["total"].backward()
        finally:
            frozen_modconv.enabled = True
        return [p.grad.clone() for p in G_M.parameters()]

    diff = max((a - b).abs().max().item() for a, b in zip(g_grads(False), g_grads(True)))
    G_M.zero_grad(set_to_none=True)
    usage: dict[str, list[tuple[float, float, float]]] = {}

    def run(name: str, frozen: bool, whole_step_heap: bool):
        def fn():
            heap.release()                                   # no retention left over from another variant
            frozen_modconv.enabled, linger = frozen, heap.linger_s
            if not whole_step_heap:
                heap.linger_s = 0.0
            before = resource.getrusage(resource.RUSAGE_SELF)
            try:
                if whole_step_heap:
                    with heap.retain_heap():
                        one_step()
                else:
                    one_step()
            finally:
                frozen_modconv.enabled, heap.linger_s = True, linger
            after = resource.getrusage(resource.RUSAGE_SELF)
            usage.setdefault(name, []).append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime,
                                               after.ru_minflt - before.ru_minflt))
        return fn

    variants = {"before": run("before", False, False), "frozen_modconv": run("frozen_modconv", True, False),
                "frozen_modconv_retain_heap": run("frozen_modconv_retain_heap", True, True)}
    medians = compare(variants, settings.repeats(False), 1, device)   # each after a release: first-step faults
    rows = {}
    for name in variants:
        timed = usage[name][1:] or usage[name]             # the warm-up call left out
        user, system, faults = (statistics.median(u[i] for u in timed) for i in range(3))
        rows[name] = {"user_s": user, "sys_s": system, "sys_over_user": system / user if user else None,
                      "minor_faults": faults, "peak_mem_gib": gib(peak_memory(variants[name], device)["peak_bytes"])}
    # a training run's steady state: the after variant straight after itself (the heap kept in between)
    after = "frozen_modconv_retain_heap"
    heap.release()
    with heap.retain_heap():
        variants[after]()
        usage[after].clear()
        variants[after]()
    user, system, faults = usage[after][-1]
    rows[after]["back_to_back"] = {"user_s": user, "sys_s": system, "sys_over_user": system / user if user else None,
                                   "minor_faults": faults}
    heap.release()
    return _report(medians, frames=frames, batch=batch, grad_max_abs_diff=diff, variants=rows)


def digan_point_chunks(subject, settings: BenchSettings) -> dict:
    """DIGAN generation with every block rendered all at once (``[B, C, T*H*W]`` activations, the old path)
    vs in pieces of 2048-32768 points (``point_chunks.py``; the default is ``POINT_CHUNK``), interleaved with
    a 2048^2 sgemm so that each variant's GFLOP/s is also a fraction of the machine's matmul rate under the
    same load. Per variant: median seconds, GFLOP/s (executed and as-published MACs), user and system CPU
    seconds and minor page faults per call (``CPUTime``, warm-up call included), peak memory; and the largest
    output difference."""
    if subject.method != "digan":
        return {"skipped": "DIGAN only"}
    from vidsynth.bench.memory import gib, peak_memory
    from vidsynth.models.digan.point_chunks import POINT_CHUNK

    device, frames = settings.device, _frames(subject, settings)
    G = subject.build(device)["G"]
    lat = subject.latents(settings.batch_size(), device)
    batch = lat[0].shape[0]
    sizes = [POINT_CHUNK] if settings.quick else sorted({2048, 4096, 8192, 16384, 32768, POINT_CHUNK})
    chunks = {"unchunked": None} | {f"chunk_{n}": n for n in sizes}
    default = G.point_chunk
    cpu = {name: CPUTime() for name in chunks}

    def run(n: int | None):
        def fn():
            G.point_chunk = n
            try:
                with inference():
                    subject.generate(lat, frames)
            finally:
                G.point_chunk = default
        return fn

    with inference():
        outputs = {}
        for name, n in chunks.items():
            G.point_chunk = n
            outputs[name] = subject.generate(lat, frames)
        G.point_chunk = default
    diff = max((out - outputs["unchunked"]).abs().max().item() for out in outputs.values())
    del outputs
    a, b = torch.randn(2048, 2048, device=device), torch.randn(2048, 2048, device=device)

    def sgemm():
        with inference():
            torch.mm(a, b)

    medians = compare({name: cpu[name].wrap(run(n)) for name, n in chunks.items()} | {"sgemm_2048": sgemm},
                      settings.repeats(False), 1, device)
    sgemm_gflops = 2 * 2048 ** 3 / medians.pop("sgemm_2048") / 1e9
    gmac = {kind: subject.count_generator(frames, batch, as_published=published)["macs"] / 1e9
            for kind, published in (("executed", False), ("published", True))}
    variants = {}
    for name, sec in medians.items():
        used = cpu[name].per_call()
        gflops = {kind: 2 * g / sec for kind, g in gmac.items()}
        variants[name] = {"sec": sec, "sec_per_video": sec / batch, "gflops_executed": gflops["executed"],
                          "gflops_published": gflops["published"],
                          "fraction_of_sgemm": gflops["executed"] / sgemm_gflops,
                          "user_s": used["user_s"], "sys_s": used["sys_s"],
                          "sys_over_user": used["sys_over_user"] if used["sys_over_user"] is not None else float("nan"),
                          "minor_faults": cpu[name].minor_faults / max(cpu[name].calls, 1),
                          "peak_mem_gib": gib(peak_memory(run(chunks[name]), device)["peak_bytes"])}
    return _report(medians, frames=frames, batch=batch, threads=torch.get_num_threads(), default=f"chunk_{default}",
                   max_abs_diff=diff, gmac=gmac, sgemm_gflops_interleaved=sgemm_gflops, variants=variants)


# ------------------------------------------------------------------------------------ DIGAN, issue 18 before/after
def _digan_switches(**on: bool):
    """Set DIGAN's before/after switches (``angle_sum``, ``rgb_in_place``: ``point_chunks.py``; ``fused_styles``:
    ``FMMLayer``); returns a function restoring the previous values."""
    from vidsynth.models.digan import point_chunks
    from vidsynth.nn.fmm import FMMLayer

    previous = {"angle_sum": point_chunks.ANGLE_SUM, "rgb_in_place": point_chunks.RGB_IN_PLACE,
                "fused_styles": FMMLayer.fused_styles}
    values = previous | on
    point_chunks.ANGLE_SUM, point_chunks.RGB_IN_PLACE = values["angle_sum"], values["rgb_in_place"]
    FMMLayer.fused_styles = values["fused_styles"]
    return lambda: _digan_switches(**previous)


DIGAN_BEFORE = dict(angle_sum=False, rgb_in_place=False, fused_styles=False)
DIGAN_AFTER = dict(angle_sum=True, rgb_in_place=True, fused_styles=True)


def _with_switches(switches: dict, fn):
    def call():
        restore = _digan_switches(**switches)
        try:
            return fn()
        finally:
            restore()
    return call


def digan_generation_paths(subject, settings: BenchSettings) -> dict:
    """DIGAN generation before and after issue 18's second round, each change alone and all together:
    ``before`` (sin/cos at every point of every frame, a toRGB buffer added to the image per piece, styles from
    the gain-scaled affine weight), ``angle_sum`` (``point_chunks.rotated_weights``: sin/cos once per block),
    ``rgb_in_place`` (toRGB accumulated into the image), ``fused_styles`` (``FMMLayer.styles``), ``after``
    (all three, the default). Per variant: median seconds, user/system CPU seconds per call (``CPUTime``),
    and ``max_abs_diff`` of each output from ``before`` (float rounding; the fixture tests bound it)."""
    if subject.method != "digan":
        return {"skipped": "DIGAN only"}
    device, frames = settings.device, _frames(subject, settings)
    subject.build(device)
    lat = subject.latents(settings.batch_size(), device)
    variants = {"before": DIGAN_BEFORE, "angle_sum": DIGAN_BEFORE | {"angle_sum": True},
                "rgb_in_place": DIGAN_BEFORE | {"rgb_in_place": True},
                "fused_styles": DIGAN_BEFORE | {"fused_styles": True}, "after": DIGAN_AFTER}

    def generate():
        with inference():
            return subject.generate(lat, frames)

    outputs = {name: _with_switches(sw, generate)() for name, sw in variants.items()}
    diff = {name: (out - outputs["before"]).abs().max().item() for name, out in outputs.items()}
    del outputs
    cpu = {name: CPUTime() for name in variants}
    medians = compare({name: cpu[name].wrap(_with_switches(sw, generate)) for name, sw in variants.items()},
                      settings.repeats(False), 1, device)
    return _report(medians, frames=frames, batch=lat[0].shape[0], threads=torch.get_num_threads(),
                   max_abs_diff=max(diff.values()), diff_vs_before=diff,
                   cpu_s={name: c.per_call() for name, c in cpu.items()})


def digan_train_step(subject, settings: BenchSettings) -> dict:
    """A full DIGAN training step (G update + D update; ``r1``: the step that also runs the lazy R1 phase,
    ``no_r1``: the others), interleaved on one trainer: ``before`` (issue 18's second-round switches off and
    glibc's defaults, ``heap.enabled = False``), ``after`` (the switches on: in a step they act on G's forward
    and backward, ``fused_styles``, and on the D phase's gradient-free render of the fakes), ``after_retain_heap``
    (and the step inside ``retain_heap``: the default now; in the interleaved run it starts on a released heap
    each time). ``back_to_back``: the default path's step straight after itself, the heap kept (a training
    run's steady state). Batches: ``--train-batch`` (repeatable), else batch 1 in ``--quick``, 4 and 16 (the
    paper's batch) in ``--full``. Per batch and kind: median seconds per step, ratios to ``before``, user/system
    CPU seconds and minor page faults per step."""
    if subject.method != "digan":
        return {"skipped": "DIGAN only"}
    from vidsynth.utils import heap

    def variant(switches: dict, keep_heap: bool, step):
        def call():
            heap.enabled = keep_heap
            try:
                return _with_switches(switches, step)()
            finally:
                heap.enabled = True
        return call

    device = settings.device
    batches = settings.training_batches()
    rows = []
    for batch in batches:
        steps = subject.train_steps(batch, device)
        for kind, step in steps.items():
            variants = {"before": variant(DIGAN_BEFORE, False, step), "after": variant(DIGAN_AFTER, False, step),
                        "after_retain_heap": variant(DIGAN_AFTER, True, step)}
            cpu = {name: CPUTime() for name in variants}
            medians = compare({name: cpu[name].wrap(fn) for name, fn in variants.items()},
                              settings.repeats(False), 1, device)
            steady = CPUTime()
            with heap.retain_heap():                       # the default path, twice in a row, the heap kept
                step()
                with steady:
                    start = time.perf_counter()
                    step()
                    sec = time.perf_counter() - start
            back_to_back = {"sec": sec, **steady.per_call(),
                            "minor_faults": steady.minor_faults}
            heap.release()
            rows.append({"batch": batch, "kind": kind, "sec": medians,
                         "speedups": {k: v for k, v in ratios(medians).items() if k != "before"},
                         "cpu_s": {name: {**c.per_call(), "minor_faults": c.minor_faults / max(c.calls, 1)}
                                   for name, c in cpu.items()},
                         "back_to_back": back_to_back})
        del steps
    speedup = {f"b{row['batch']}_{row['kind']}_{v}": x for row in rows for v, x in row["speedups"].items()}
    return {"sec": {f"b{r['batch']}_{r['kind']}_{v}": s for r in rows for v, s in r["sec"].items()},
            "speedup_vs_first": speedup, "rows": rows, "threads": torch.get_num_threads()}


SPEEDUPS = {"grad_mode": grad_mode, "time_batching": time_batching, "channels_last": channels_last,
            "compile": compile_generator, "autocast": mixed_precision,
            "digan_upsample_commute": digan_upsample_commute, "mocogan_modconv": mocogan_modconv,
            "mocogan_modconv_backward": mocogan_modconv_backward, "mocogan_train_step": mocogan_train_step,
            "digan_point_chunks": digan_point_chunks, "digan_generation_paths": digan_generation_paths,
            "digan_train_step": digan_train_step}


def run_speedups(subject, settings: BenchSettings) -> dict:
    return {name: fn(subject, settings) for name, fn in SPEEDUPS.items()}
