"""Our generators side by side with the papers' official code (``vidsynth bench --measure official``).

Same configuration, batch 1, 16 frames, random weights, CPU, timed interleaved in one run (official,
ours, official, ours ...) so that background load hits both alike:

- DIGAN: ``training.networks.Generator`` of sihyun-yu/digan at our ``digan-paper128`` configuration
  (``configs/digan.yml``'s generator, z/w 512, 2 mapping layers, channel base 32768, max 512, fp32),
  called as its ``scripts/generate_videos.py`` does: ``G(z, None, timesteps=16, noise_mode='const')``
  under ``torch.no_grad``.
- MoCoGAN-HD: snap-research/MoCoGAN-HD's rosinality StyleGAN2 ``Generator`` (256 px, channel
  multiplier 2, 8 mapping layers) with its ``RNNModule`` (hidden 384, 384 PCA directions; random PCA
  basis), called as its trainer does: ``G([z], 16, use_noise=True)``, then ``avg_pool3d`` to 128 px.

The official code is imported at run time from the checkouts passed (``official_code``); nothing of
it is part of vidsynth. Reported per method: seconds per video and peak memory of both, the ratio
(``ours_faster_by`` = official time / ours; the issue's target is >= 3), the same ratio of CPU seconds
(user + system, ``ours_faster_by_cpu_time``: on a loaded machine wall time also counts waiting for a
core, CPU time does not), memory ratio, user/system CPU time of the timed calls, and each side's
GFLOP/s (the MACs each side executes, counted by ``flops.MACCounter`` on its warm-up call; for ours this
equals ``Subject.count_generator`` with ``Subject.executed_on``, see ``tests/bench/test_flops.py``) as a
fraction of the machine's rate (``Subject.peak_kind``). Per method also what 3x would take:
``required_gflops_for_3x`` (ours' executed MACs in a third of the official time) and
``required_fraction_of_peak_for_3x`` (that rate over the measured peak; above 1 the target is beyond the
machine with these MACs).
"""
from __future__ import annotations

import contextlib
import gc
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from vidsynth.bench.flops import MACCounter
from vidsynth.bench.memory import gib, peak_memory
from vidsynth.bench.official_code import official_code, require_checkout, require_modules, rosinality_ops
from vidsynth.bench.peak import fraction_of_peak
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.speed import inference
from vidsynth.bench.subjects import get_subject
from vidsynth.bench.timing import compare_detailed
from vidsynth.errors import VidsynthError
from vidsynth.utils import heap

TARGET = 3.0   # issue 18: ours >= 3x the official speed
REPOSITORIES = {"digan": ("sihyun-yu/digan", "src/training/networks.py", "--official-digan"),
                "mocogan-hd": ("snap-research/MoCoGAN-HD", "models/stylegan2/model.py", "--official-mocogan-hd")}
CONFIGS = {"digan": "digan-paper128", "mocogan-hd": "mocogan-hd-ucf128"}


def check_checkouts(checkouts: dict[str, str | Path | None]) -> dict[str, Path]:
    """The given checkouts, validated (``VidsynthError`` naming the option if one is wrong or none is given)."""
    given = {m: p for m, p in checkouts.items() if p is not None}
    if not given:
        raise VidsynthError("--measure official needs --official-digan DIR and/or --official-mocogan-hd DIR "
                            "(checkouts of github.com/sihyun-yu/digan, github.com/snap-research/MoCoGAN-HD)")
    return {m: require_checkout(p, REPOSITORIES[m][1], REPOSITORIES[m][0], REPOSITORIES[m][2])
            for m, p in given.items()}


@contextlib.contextmanager
def official_digan(checkout: Path, subject, frames: int):
    """Yields ``generate()``: one official DIGAN video of ``frames`` frames at ``subject``'s config."""
    c = subject.cfg
    with official_code(checkout / "src", checkout, packages=("src", "training", "torch_utils", "dnnlib")):
        require_modules(("einops", "omegaconf"), REPOSITORIES["digan"][0])
        from omegaconf import OmegaConf

        import training.networks as networks

        gen = OmegaConf.create(OmegaConf.to_container(OmegaConf.load(checkout / "configs" / "digan.yml").generator))
        gen.input.resolution = c.input_resolution
        gen.num_extra_convs = {str(r): 1 for r in (128, 256) if r >= c.extra_layers_from} or {
            str(c.extra_layers_from): 1}
        gen.coords.low_res_cfg.predictable_emb_size = c.emb_size
        gen.coords.medium_res_cfg.predictable_emb_size = c.emb_size
        gen.fmm.rank = c.fmm_rank
        torch.manual_seed(0)
        G = networks.Generator(z_dim=c.z_dim, c_dim=0, w_dim=c.w_dim, img_resolution=c.resolution, img_channels=3,
                               ours=True, mapping_kwargs=dict(num_layers=c.mapping_layers),
                               synthesis_kwargs=dict(channel_base=c.g_channel_base, channel_max=c.g_channel_max,
                                                     num_fp16_res=0, conv_clamp=None),
                               cfg=OmegaConf.to_container(gen, resolve=True)).eval().requires_grad_(False)
        z = torch.randn(1, c.z_dim, generator=torch.Generator().manual_seed(0))

        def generate():
            with torch.no_grad():
                return G(z, None, timesteps=frames, noise_mode="const")[0]     # [(B T), 3, R, R]
        yield generate


@contextlib.contextmanager
def official_mocogan_hd(checkout: Path, subject, frames: int):
    """Yields ``generate()``: one official MoCoGAN-HD video of ``frames`` frames at ``subject``'s config."""
    g, m = subject.g_kwargs, subject.m_kwargs
    with official_code(checkout, packages=("models",)), tempfile.TemporaryDirectory() as tmp:
        sys.modules["models.stylegan2.op"] = rosinality_ops()
        import models.stylegan2.model as sg2
        from models.rnn import RNNModule

        rng = np.random.default_rng(0)        # a random orthonormal PCA basis and sorted deviations
        dim = g["style_dim"]
        np.save(Path(tmp) / "pca_comp.npy", np.linalg.qr(rng.standard_normal((dim, dim)))[0].T.astype(np.float32))
        np.save(Path(tmp) / "pca_stdev.npy", np.sort(rng.uniform(0.5, 2.0, dim))[::-1].astype(np.float32))
        torch.manual_seed(0)
        G = sg2.Generator(size=g["resolution"], style_dim=dim, n_mlp=g["n_mlp"],
                          channel_multiplier=g["channel_multiplier"])
        G.modelR = RNNModule(str(Path(tmp) / "pca_comp.npy"), str(Path(tmp) / "pca_stdev.npy"), z_dim=dim,
                             h_dim=m["hidden_dim"], n_pca=m["n_pca"], w_residual=0.2)
        G.eval().requires_grad_(False)
        saved = RNNModule.get_initial_state_z
        RNNModule.get_initial_state_z = lambda self, batch: torch.randn(batch, self.z_dim)   # (torch.cuda.FloatTensor)
        z = torch.randn(1, dim, generator=torch.Generator().manual_seed(0))
        kernel = g["resolution"] // subject.resolution

        def generate():
            with torch.no_grad():
                x, _, _ = G([z], frames, use_noise=True)
                x = x.view(1, frames, 3, g["resolution"], g["resolution"])
                return F.avg_pool3d(x, (1, kernel, kernel))                    # [B, T, 3, 128, 128]
        try:
            yield generate
        finally:
            RNNModule.get_initial_state_z = saved


LOADERS: dict[str, Callable] = {"digan": official_digan, "mocogan-hd": official_mocogan_hd}


def _side(timing: dict, mem_bytes: int, macs: float, peak: dict | None, kind: str) -> dict:
    """One side's row: median seconds per video (batch 1), CPU time, memory, MACs, fraction of peak."""
    cpu = timing["cpu"]
    return {"sec_per_video": timing["median_s"], "times_s": timing["times_s"], "cpu": cpu,
            "cpu_s_per_video": (cpu["user_s"] + cpu["sys_s"]) / len(timing["times_s"]),
            "peak_mem_gib": gib(mem_bytes), "gmac_per_video": macs / 1e9,
            **fraction_of_peak(macs, timing["median_s"], peak, kind)}


def required_for_target(official_sec: float, ours_macs: float, peak_gflops: float | None,
                        target: float = TARGET) -> dict:
    """What ``target`` x the official speed would take with the MACs ours executes: the rate
    (``required_gflops_for_3x``: 2 FLOP per MAC in official time / target) and that rate over the
    machine's measured peak for the subject's kind (``required_fraction_of_peak_for_3x``; > 1: the target
    is above what this machine does with these MACs, so only fewer MACs could reach it)."""
    seconds = official_sec / target
    required = 2 * ours_macs / seconds / 1e9 if ours_macs and seconds > 0 else None
    return {"required_sec_per_video_for_3x": seconds, "required_gflops_for_3x": required,
            "required_fraction_of_peak_for_3x": required / peak_gflops if required and peak_gflops else None}


def side_by_side(method: str, checkout: Path, settings: BenchSettings, config: str | None = None,
                 frames: int = 16) -> dict:
    """Official vs ours for one method, interleaved (see the module docstring)."""
    subject = get_subject(config or CONFIGS[method])
    device = settings.device
    subject.build(device)
    lat = subject.latents(1, device)

    def ours():
        with inference():
            return subject.generate(lat, frames)

    with LOADERS[method](checkout, subject, frames) as loaded:
        def official():
            heap.release()          # the official code runs on glibc's defaults, not on our lingering heap
            return loaded()

        macs = {}
        with MACCounter() as counter:                                   # the official warm-up call, counted
            official()
        macs["official"] = counter.macs
        with MACCounter() as counter:                                   # ours: its warm-up call, counted alike
            ours()
        macs["ours"] = counter.macs
        timing = compare_detailed({"official": official, "ours": ours}, max(settings.repeats(False), 2), 0, device)
        mem = {name: peak_memory(fn, device)["peak_bytes"] for name, fn in (("official", official), ("ours", ours))}
    subject._built.clear()
    gc.collect()
    sides = {name: _side(timing[name], mem[name], macs[name], settings.peak, subject.peak_kind["generation"])
             for name in ("official", "ours")}
    ratio = sides["official"]["sec_per_video"] / sides["ours"]["sec_per_video"]
    return {"method": method, "config": subject.name, "frames": frames, "batch": 1,
            "official_repository": REPOSITORIES[method][0], **sides, "ours_faster_by": ratio,
            **required_for_target(sides["official"]["sec_per_video"], macs["ours"], sides["ours"]["peak_gflops"]),
            # CPU seconds (user + system) per video: less sensitive to other processes than wall time
            "ours_faster_by_cpu_time": sides["official"]["cpu_s_per_video"] / sides["ours"]["cpu_s_per_video"],
            "ours_less_memory_by": sides["official"]["peak_mem_gib"] / sides["ours"]["peak_mem_gib"]
            if sides["ours"]["peak_mem_gib"] > 0 else None,
            "target": TARGET, "meets_target": ratio >= TARGET,
            "note": "interleaved official/ours; official under torch.no_grad as its scripts, ours under "
                    "inference_mode; peak memory = extra resident memory of one call (weights excluded)"}


def official_comparison(checkouts: dict[str, Path], settings: BenchSettings, frames: int = 16,
                        configs: dict[str, str] | None = None, log: Callable[[str], None] = lambda m: None) -> list:
    """``side_by_side`` for every method whose checkout is given; a failure is recorded, not raised."""
    rows = []
    for method, checkout in checkouts.items():
        log(f"official {method} ({checkout}) vs ours ...")
        try:
            row = side_by_side(method, checkout, settings, (configs or {}).get(method), frames)
            log(f"official {method}: {row['official']['sec_per_video']:.2f} s/video, ours "
                f"{row['ours']['sec_per_video']:.2f}: ours faster by {row['ours_faster_by']:.2f}x")
            rows.append(row)
        except (RuntimeError, MemoryError) as e:
            rows.append({"method": method, "error": f"{type(e).__name__}: {str(e)[:300]}"})
    return rows
