"""``vidsynth bench --measure official``: the side-by-side mechanics (with a stand-in for the official
generator, since the official checkouts are not part of the tests) and the errors when checkouts are missing."""
import contextlib
import json
import subprocess
import sys

import pytest
import torch

from vidsynth.bench import get_subject
from vidsynth.bench.flops import MACCounter

from vidsynth.bench import official
from vidsynth.bench.official import side_by_side
from vidsynth.bench.peak import PEAK_KEYS
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.speed import inference
from vidsynth.bench.table import format_results
from vidsynth.errors import VidsynthError
from tests.scripts_module import load_script


@contextlib.contextmanager
def three_times_ours(checkout, subject, frames):
    """Stands in for an official loader: a generator doing exactly three times our generator's work."""
    lat = subject.latents(1, "cpu")

    def generate():
        with inference():
            for _ in range(3):
                subject.generate(lat, frames)
    yield generate


def test_side_by_side_mechanics(monkeypatch, tmp_path, one_thread):
    monkeypatch.setitem(official.LOADERS, "digan", three_times_ours)
    peak = {"sgemm_gflops": 10.0, "conv3x3_gflops": 20.0, "conv3d_3x3x3_gflops": 30.0}
    settings = BenchSettings(torch.device("cpu"), repeat=2, peak=peak)
    r = side_by_side("digan", tmp_path, settings, config="digan-test", frames=4)
    json.dumps(r)
    assert (r["method"], r["config"], r["frames"], r["batch"]) == ("digan", "digan-test", 4, 1)
    off, ours = r["official"], r["ours"]
    # Both sides are counted on their warm-up call by MACCounter: the stand-in does exactly three of our
    # videos; ours is what vidsynth executes (equal to the meta-device count of it, see test_flops.py).
    subject = get_subject("digan-test")
    with torch.inference_mode(), MACCounter() as counter:
        subject.generate(subject.latents(1, torch.device("cpu")), 4)
    assert off["gmac_per_video"] == pytest.approx(3 * counter.macs / 1e9, rel=1e-12) and counter.macs > 0
    assert ours["gmac_per_video"] == pytest.approx(counter.macs / 1e9, rel=1e-12)
    # 3x would need our MACs in a third of the official time
    assert r["required_sec_per_video_for_3x"] == pytest.approx(off["sec_per_video"] / 3, rel=1e-12)
    assert r["required_gflops_for_3x"] == pytest.approx(2 * counter.macs / (off["sec_per_video"] / 3) / 1e9,
                                                        rel=1e-12)
    assert r["required_fraction_of_peak_for_3x"] == pytest.approx(r["required_gflops_for_3x"] / 10.0, rel=1e-12)
    for side in (off, ours):
        assert len(side["times_s"]) == 2 and side["sec_per_video"] == pytest.approx(sum(side["times_s"]) / 2)
        assert side["peak_kind"] == "sgemm" and side["peak_gflops"] == peak[PEAK_KEYS["sgemm"]]
        assert side["gflops"] == pytest.approx(2 * side["gmac_per_video"] / side["sec_per_video"], rel=1e-12)
        assert side["fraction_of_peak"] == pytest.approx(side["gflops"] / 10.0, rel=1e-12)
        assert side["cpu"]["user_s"] > 0 and side["cpu"]["sys_s"] >= 0
    assert r["ours_faster_by"] == pytest.approx(off["sec_per_video"] / ours["sec_per_video"], rel=1e-12)
    assert r["meets_target"] == (r["ours_faster_by"] >= 3.0)
    for side in (off, ours):
        assert side["cpu_s_per_video"] == pytest.approx((side["cpu"]["user_s"] + side["cpu"]["sys_s"]) / 2, rel=1e-12)
    assert r["ours_faster_by_cpu_time"] == pytest.approx(off["cpu_s_per_video"] / ours["cpu_s_per_video"], rel=1e-12)
    table = format_results({"device": "cpu", "device_name": "x", "torch": "t", "threads": 1, "batch": 1, "quick": True,
                            "flop_convention": "", "results": [], "official": [r]})
    assert "official code vs ours" in table and f"{r['ours_faster_by']:.2f}x" in table


def test_required_fraction_of_peak_for_3x():
    """A synthetic result shaped like the quiet-machine MoCoGAN-HD measurement: official 17.05 s/video, ours
    executing 726 GMAC, conv peak 209.8 GFLOP/s: 3x needs 726e9 MAC x 2 in 17.05 / 3 s = 255.5 GFLOP/s, 122%
    of the peak (above the machine); the table shows it."""
    req = official.required_for_target(17.05, 726e9, 209.8)
    assert req["required_sec_per_video_for_3x"] == pytest.approx(17.05 / 3, rel=1e-12)
    assert req["required_gflops_for_3x"] == pytest.approx(255.48, abs=0.01)
    assert req["required_fraction_of_peak_for_3x"] == pytest.approx(1.2177, abs=1e-4)
    assert official.required_for_target(17.05, 726e9, None)["required_fraction_of_peak_for_3x"] is None
    assert official.required_for_target(6.0, 1e9, 10.0, target=2.0)["required_gflops_for_3x"] == pytest.approx(2 / 3)
    side = {"sec_per_video": 10.74, "peak_mem_gib": 1.0, "fraction_of_peak": 0.64, "peak_kind": "conv3x3",
            "cpu": {"sys_over_user": 0.13}}
    row = {"method": "mocogan-hd", "config": "mocogan-hd-ucf128", "official": {**side, "sec_per_video": 17.05},
           "ours": side, "ours_faster_by": 17.05 / 10.74, "ours_faster_by_cpu_time": 1.5, "meets_target": False,
           "target": 3.0, **req}
    table = format_results({"device": "cpu", "device_name": "x", "torch": "t", "threads": 2, "batch": 1,
                            "quick": False, "flop_convention": "", "results": [], "official": [row]})
    assert "3x needs" in table and "122% conv3x3" in table.splitlines()[-1]


def test_checkouts_are_validated(tmp_path):
    with pytest.raises(VidsynthError, match="--official-digan DIR and/or --official-mocogan-hd DIR"):
        official.check_checkouts({"digan": None, "mocogan-hd": None})
    with pytest.raises(VidsynthError, match="--official-mocogan-hd: .* not a snap-research/MoCoGAN-HD checkout"):
        official.check_checkouts({"digan": None, "mocogan-hd": tmp_path})
    (tmp_path / "src" / "training").mkdir(parents=True)
    (tmp_path / "src" / "training" / "networks.py").write_text("")
    assert official.check_checkouts({"digan": tmp_path, "mocogan-hd": None}) == {"digan": tmp_path.resolve()}


@pytest.mark.parametrize("extra, message", [
    ([], "--official-digan DIR and/or --official-mocogan-hd DIR"),
    (["--official-digan", "no/such/folder"], "--official-digan: no/such/folder is not a sihyun-yu/digan checkout"),
])
def test_cli_missing_checkout_exits_2_with_one_line(extra, message):
    proc = subprocess.run([sys.executable, "-m", "vidsynth", "bench", "--measure", "official", "--no-i3d", *extra],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("Error:") and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_official_side_runs_on_glibc_defaults_not_our_lingering_heap(monkeypatch, tmp_path, one_thread):
    """Our render leaves the heap retained for ``heap.linger_s``; the official call that follows must not
    inherit it (its page faults are part of what it costs), so every official call starts released."""
    from vidsynth.utils import heap

    seen = []

    @contextlib.contextmanager
    def records_heap_state(checkout, subject, frames):
        def generate():
            seen.append(heap._active is not None)      # True: our retained heap is still in force
        yield generate

    monkeypatch.setitem(official.LOADERS, "digan", records_heap_state)
    monkeypatch.setattr(heap, "linger_s", 60.0)         # our calls' retention outlives the next official call
    settings = BenchSettings(torch.device("cpu"), repeat=2,
                             peak={"sgemm_gflops": 10.0, "conv3x3_gflops": 20.0, "conv3d_3x3x3_gflops": 30.0})
    try:
        with heap.retain_heap() as active:
            pass
        if not active:
            pytest.skip("the C library is not glibc: retain_heap is a no-op here")
        side_by_side("digan", tmp_path, settings, config="digan-test", frames=4)
    finally:
        heap.release()
    assert seen and not any(seen), seen


def test_official_alone_times_each_video_in_its_own_process(monkeypatch, tmp_path, capsys, one_thread):
    """scripts/official_alone.py: one JSON line per video from the official loader; a wrong checkout exits 2."""
    script = load_script("official_alone")
    assert script.main(["digan", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    calls = []

    @contextlib.contextmanager
    def counting(checkout, subject, frames):
        calls.append((checkout, subject.name, frames))
        with three_times_ours(checkout, subject, frames) as generate:
            yield generate
    monkeypatch.setitem(official.LOADERS, "digan", counting)
    (tmp_path / "src" / "training").mkdir(parents=True)
    (tmp_path / "src" / "training" / "networks.py").write_text("")
    assert script.main(["digan", str(tmp_path), "--videos", "2", "--frames", "4", "--config", "digan-test",
                        "--threads", "1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["video"] for r in rows] == [0, 1] and calls == [(tmp_path.resolve(), "digan-test", 4)]
    assert all(r["wall_s"] > 0 and r["user_s"] > 0 and r["minor_faults"] >= 0 for r in rows)
