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
                           "unfused_chunk4_retain_heap_channels_last"}
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
    assert StyleGAN2Generator.channels_last is False
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
