"""Generator cost: MACs per video (counted, exact config), and measured speed and peak memory."""
from __future__ import annotations

from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.peak import fraction_of_peak
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.timing import time_call
from vidsynth.bench.speed import inference

FLOP_CONVENTION = ("GMAC = torch.utils.flop_counter FLOPs / 2 (one multiply-add = 1 MAC); the papers' "
                   "'GFLOPs' (fvcore) are MACs too. Only matmuls and convolutions are counted.")


def generator_flops(subject) -> dict:
    """MACs of one ``frames``-frame video of the real configuration (meta device, no arithmetic)."""
    counted = subject.count_generator(subject.frames, batch=1)
    extra = {}
    if subject.method == "digan":   # the paper's architecture count, and what our implementation executes
        extra["gmac_per_video_executed"] = subject.count_generator(subject.frames, 1, as_published=False)["macs"] / 1e9
    return {"gmac_per_video": counted["macs"] / 1e9, **extra, "frames": subject.frames,
            "gmac_per_frame": counted["macs"] / 1e9 / subject.frames,
            "by_op_gmac": {k: v / 1e9 for k, v in counted["by_op"].items()},
            "by_module_gmac": {k: v / 1e9 for k, v in counted["by_module"].items()},
            "convention": FLOP_CONVENTION}


def generation_speed(subject, settings: BenchSettings) -> dict:
    """Videos/s and frames/s of batched generation under ``inference_mode``, peak memory, the user and
    system CPU time of the timed calls and the fraction of the machine's rate (``subject.peak_kind``)
    reached by the MACs the implementation executes (counted on the meta device)."""
    device, batch = settings.device, settings.batch_size()
    subject.build(device)
    lat = subject.latents(batch, device)

    def run():
        with inference():
            subject.generate(lat, subject.frames)

    heavy = subject.paper_scale
    t = time_call(run, settings.repeats(heavy), settings.warmups(heavy), device)
    mem = peak_memory(run, device)
    per_batch = t["median_s"]
    macs = subject.count_generator(subject.frames, batch, **subject.executed_on(device))["macs"]
    return {"batch": batch, "frames": subject.frames, "sec_per_batch": per_batch,
            "sec_per_video": per_batch / batch, "videos_per_s": batch / per_batch,
            "frames_per_s": batch * subject.frames / per_batch, "times_s": t["times_s"],
            "peak_mem_gib": gib(mem["peak_bytes"]), "mem_method": mem["method"], "cpu": t["cpu"],
            "gmac_per_batch": macs / 1e9,
            **fraction_of_peak(macs, per_batch, settings.peak, subject.peak_kind["generation"])}
