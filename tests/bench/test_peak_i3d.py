"""The machine-peak measurement and the I3D's fraction of it (vidsynth bench --measure peak / i3d)."""
import math

import pytest
import torch

from vidsynth.bench.i3d import gflop_per_clip, i3d_speed
from vidsynth.bench.peak import peak_rates
from vidsynth.bench.runner import run_bench
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.table import format_results


def test_peak_rates_are_positive_rates(one_thread):
    p = peak_rates("cpu", repeat=1)
    assert p["threads"] == 1
    for key in ("sgemm_gflops", "conv3x3_gflops", "conv3d_3x3x3_gflops"):
        assert math.isfinite(p[key]) and 0.1 < p[key] < 1e6, (key, p[key])


def test_i3d_flop_count_is_pinned():
    # 55.58 GFLOP (multiply-add = 2) per 16x224x224 clip, the figure quoted in DESIGN.md section 6;
    # counted on the meta device, so it is exact and cheap. 9 frames (the minimum): 36.24 GFLOP, more than
    # 9/16 of it because TF 'SAME' padding rounds the stride-2 layers' time steps up.
    assert gflop_per_clip(None, frames=9) == pytest.approx(36.240033792, rel=1e-9)


def test_i3d_speed_reports_its_fraction_of_the_conv_rate(one_thread):
    settings = BenchSettings(torch.device("cpu"), quick=True, repeat=1, batch=1)
    r = i3d_speed(settings, frames=9, source_size=32, peak={"conv3x3_gflops": 1.0})
    assert r["gflop_per_clip"] == pytest.approx(gflop_per_clip(None, frames=9))
    assert r["gflops"] == pytest.approx(r["clips_per_s"] * r["gflop_per_clip"])
    assert r["fraction_of_conv3x3_peak"] == pytest.approx(r["gflops"] / r["conv3x3_gflops_interleaved"])
    assert 0 < r["fraction_of_conv3x3_peak"] < 5
    out = {"device": "cpu", "device_name": "x", "torch": torch.__version__, "threads": 1, "batch": 1, "quick": True,
           "flop_convention": "", "results": [], "i3d": r,
           "peak": {"threads": 1, "sgemm_gflops": 1.0, "conv3x3_gflops": 2.0, "conv3d_3x3x3_gflops": 3.0}}
    text = format_results(out)
    assert "of the 3x3-conv rate" in text and "3x3 conv 2.0 GFLOP/s" in text


def test_machine_measures_skip_the_configs(one_thread, monkeypatch):
    import vidsynth.bench.runner as runner

    monkeypatch.setattr(runner, "peak_rates", lambda device: {"threads": 1, "sgemm_gflops": 1.0,
                                                              "conv3x3_gflops": 1.0, "conv3d_3x3x3_gflops": 1.0})
    out = run_bench(["digan-test"], BenchSettings(torch.device("cpu")), measures=["peak"], i3d=False)
    assert out["results"] == [] and out["peak"]["conv3x3_gflops"] == 1.0 and "i3d" not in out
    with pytest.raises(KeyError, match="peak, i3d"):
        run_bench(["digan-test"], measures=["nope"])
