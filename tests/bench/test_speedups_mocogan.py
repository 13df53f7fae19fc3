"""The MoCoGAN-HD modulated-conv variants of ``vidsynth bench --measure speedups`` (mechanics only:
speed targets live in the bench JSON, never in tests)."""
import math

import torch

from vidsynth.bench import get_subject
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.speedups import SPEEDUPS, mocogan_modconv, mocogan_modconv_backward
from vidsynth.models.stylegan2 import StyleGAN2Generator
from vidsynth.nn.modulated_conv import ModulatedConv2d
from vidsynth.utils import heap


def test_modconv_variants_run_and_agree():
    settings = BenchSettings(torch.device("cpu"), quick=True, repeat=1)
    subject = get_subject("mocogan-hd-test")
    fwd = mocogan_modconv(subject, settings)
    assert set(fwd["sec"]) == {"fused_grouped", "unfused", "unfused_retain_heap", "unfused_chunk4_retain_heap",
                           "unfused_chunk4_retain_heap_channels_last", "unfused_pieces_retain_heap"}
    assert all(math.isfinite(v) and v > 0 for v in fwd["speedup_vs_first"].values())
    assert set(fwd["cpu_s"]["unfused"]) == {"user_s", "sys_s", "sys_over_user"}
    assert fwd["cpu_s"]["unfused"]["user_s"] > 0
    # same video both ways: float rounding only (tests/models/test_modulated_conv.py bounds it);
    # a wrong formulation or the variants not actually switching paths would show as 0 or >= 1e-3
    assert 0 < fwd["max_abs_diff"] < 1e-4
    bwd = mocogan_modconv_backward(subject, settings)
    assert set(bwd["sec"]) == {"fused_grouped", "unfused"} and bwd["frames"] == subject.frames
    assert 0 < bwd["grad_max_abs_diff"] < 1e-4
    assert ModulatedConv2d.fused is None and heap.enabled is True   # the settings are restored
    assert StyleGAN2Generator.channels_last is False and StyleGAN2Generator.inference_chunk_mib == 128
    assert "skipped" in mocogan_modconv(get_subject("digan-test"), settings)
    assert SPEEDUPS["mocogan_modconv"] is mocogan_modconv


def test_models_built_first_under_inference_mode_still_take_gradients():
    """Subjects cache their models for every measure; the first build may happen inside a timed
    ``inference_mode`` call, and the backward variants must still work (seen in the full suite)."""
    subject = get_subject("mocogan-hd-test")
    subject._built = {}
    with torch.inference_mode():
        G = subject.build(torch.device("cpu"))["G"]
    assert not any(p.is_inference() for p in G.parameters())
    bwd = mocogan_modconv_backward(subject, BenchSettings(torch.device("cpu"), quick=True, repeat=1))
    assert 0 < bwd["grad_max_abs_diff"] < 1e-4


def test_train_step_before_after_runs_and_gradients_agree():
    """``mocogan_train_step``: the three variants run, report CPU time, faults and memory per step, the
    G_M gradients of the lean path equal the op-by-op ones exactly, and every setting is restored."""
    from vidsynth.bench.speedups import mocogan_train_step
    from vidsynth.nn import frozen_modconv

    linger = heap.linger_s
    settings = BenchSettings(torch.device("cpu"), quick=True, repeat=1)
    out = mocogan_train_step(get_subject("mocogan-hd-test"), settings)
    names = {"before", "frozen_modconv", "frozen_modconv_retain_heap"}
    assert set(out["sec"]) == names and set(out["variants"]) == names
    assert out["grad_max_abs_diff"] == 0.0
    assert out["batch"] == 1 and out["frames"] == get_subject("mocogan-hd-test").frames
    row = out["variants"]["frozen_modconv_retain_heap"]
    assert {"user_s", "sys_s", "minor_faults", "peak_mem_gib"} <= set(row) and row["user_s"] > 0
    assert row["back_to_back"]["minor_faults"] >= 0
    assert frozen_modconv.enabled is True and heap.linger_s == linger and heap._depth == 0
    assert "skipped" in mocogan_train_step(get_subject("digan-test"), settings)
    assert SPEEDUPS["mocogan_train_step"] is mocogan_train_step
