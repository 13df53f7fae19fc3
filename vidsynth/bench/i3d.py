"""I3D feature-extraction speed (the FVD feature network), and the fraction of the machine it uses.

``i3d_speed`` reports clips/s of the exact path the metrics use (``features.I3DLogits``: TF1 resize
from the generated resolution to 224, then the I3D in ``channels_last_3d`` with batch norm folded
into the convolutions), GFLOP per clip (counted), the GFLOP/s reached and that rate as a fraction
of the machine's 3x3-conv rate (peak.py), the two timed interleaved so that other load on a shared
machine slows both alike. ``variants=True`` also times, interleaved:
NCDHW (contiguous) against channels_last_3d, ``F.max_pool3d`` against separable pooling (i3d.py),
batch sizes 1 / 4 / 8, and, with ``compile``, a
fixed-shape ``torch.compile`` graph whose compile time is reported separately (Inductor keeps
compiled graphs in its on-disk cache, so a second process compiles faster; reported as measured).
"""
from __future__ import annotations

import time

import torch

from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import compare

CLIP = (16, 224)  # frames, size of the clip the I3D's cost is quoted for


def _model(device):
    """The I3D with its real weights if available, else random ones (same cost)."""
    from vidsynth.metrics.i3d import InceptionI3d, load_i3d

    try:
        return load_i3d(device=device), "Kinetics-400 weights"
    except Exception as e:  # noqa: BLE001 - weights missing, offline, ...: speed does not need them
        model = InceptionI3d().eval().requires_grad_(False).to(device).to(memory_format=torch.channels_last_3d)
        return model, f"random weights (load_i3d failed: {type(e).__name__}); speed is the same"


def gflop_per_clip(model, frames: int = CLIP[0], size: int = CLIP[1]) -> float:
    """FLOP (multiply-add = 2) of one clip, counted on the meta device (no arithmetic)."""
    from torch.utils.flop_counter import FlopCounterMode

    from vidsynth.metrics.i3d import InceptionI3d

    with torch.device("meta"):  # no weights allocated or initialised
        meta = InceptionI3d(static=getattr(model, "static", False))
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        meta(torch.empty(1, 3, frames, size, size, device="meta"))
    return counter.get_total_flops() / 1e9


def i3d_speed(settings: BenchSettings, frames: int = CLIP[0], size: int = CLIP[1], source_size: int = 128,
              variants: bool = False, peak: dict | None = None) -> dict:
    """Clips/s of the metric path on ``[B, 3, frames, source_size, source_size]`` clips (resized to ``size``)."""
    try:
        from vidsynth.metrics.features import I3DLogits
    except ImportError as e:
        return {"skipped": f"vidsynth.metrics is not importable ({e})"}
    device = settings.device
    model, note = _model(device)
    net = I3DLogits.__new__(I3DLogits)  # the metric's own feature path, with the model loaded above
    net.device, net.resize, net.model, net.name = torch.device(device), "tf1_bilinear", model, "i3d"
    batch = settings.batch or (8 if variants or not settings.quick else 2)
    clips = torch.rand(batch, 3, frames, source_size, source_size, device=device) * 2 - 1
    gflop = gflop_per_clip(model, frames, size)

    def metric_path():
        with torch.inference_mode():
            net(clips)

    # The fraction of the machine is timed interleaved (conv, I3D, conv, I3D, ...) so that load from
    # other processes on a shared machine hits both alike; the ratio of the medians is the fraction.
    from vidsynth.bench.peak import conv3x3_call

    conv, conv_flop = conv3x3_call(device)
    medians = compare({"conv3x3": conv, "i3d": metric_path}, repeat=max(settings.repeats(False), 2), warmup=1,
                      device=device)
    out = {"batch": batch, "clip_frames": frames, "size": size, "source_size": source_size,
           "threads": torch.get_num_threads(), "gflop_per_clip": gflop, "note": note,
           "clips_per_s": batch / medians["i3d"]}
    out["gflops"] = out["clips_per_s"] * gflop
    out["conv3x3_gflops_interleaved"] = conv_flop / medians["conv3x3"] / 1e9
    out["fraction_of_conv3x3_peak"] = out["gflops"] / out["conv3x3_gflops_interleaved"]
    if peak is None and device.type == "cpu":
        from vidsynth.bench.peak import peak_rates

        peak = peak_rates(device)
    if peak:
        out["peak"] = peak
    if variants:
        out["variants"] = _variants(model, settings, frames, size, gflop)
    return out


def _variants(model, settings: BenchSettings, frames: int, size: int, gflop: float) -> dict:
    """Interleaved timings of the I3D alone (already at 224): memory format, batch size, compile."""
    device = settings.device
    contiguous = type(model)().eval().requires_grad_(False).to(device)
    contiguous.load_state_dict(model.state_dict())
    contiguous.to(memory_format=torch.contiguous_format)
    x = {b: torch.rand(b, 3, frames, size, size, device=device) * 2 - 1 for b in (1, 4, 8)}

    def run(m, b, fmt):
        def fn():
            with torch.inference_mode():
                m(x[b].contiguous(memory_format=fmt))
        return fn

    contiguous.memory_format = torch.contiguous_format  # its layers then run on NCDHW tensors
    from vidsynth.metrics.i3d import MaxPoolSame

    pooled = type(model)().eval().requires_grad_(False).to(device).to(memory_format=torch.channels_last_3d)
    pooled.load_state_dict(model.state_dict())
    for m in pooled.modules():
        if isinstance(m, MaxPoolSame):
            m.separable = False  # every pool on F.max_pool3d: the network before separable pooling
    cases = {"channels_last_3d b8": (model, 8, torch.channels_last_3d),
             "F.max_pool3d pools b8 (before)": (pooled, 8, torch.channels_last_3d),
             "NCDHW b8": (contiguous, 8, torch.contiguous_format),
             "channels_last_3d b4": (model, 4, torch.channels_last_3d),
             "channels_last_3d b1": (model, 1, torch.channels_last_3d)}
    out = {}
    if settings.compile:
        start = time.perf_counter()
        compiled = torch.compile(model, dynamic=False)
        with torch.inference_mode():
            compiled(x[8])
        out["compile_s"] = time.perf_counter() - start
        cases["compiled channels_last_3d b8"] = (compiled, 8, torch.channels_last_3d)
    fns = {name: run(m, b, fmt) for name, (m, b, fmt) in cases.items()}
    medians = compare(fns, repeat=max(settings.repeats(False), 2), warmup=1, device=device)
    for name, seconds in medians.items():
        b = cases[name][1]
        out[name] = {"clips_per_s": b / seconds, "gflops": b / seconds * gflop}
    return out
