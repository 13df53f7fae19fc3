"""Training-step batches that do not fit (estimated, not run), and ``--measure memory``."""
import json

import pytest
import torch

from vidsynth.bench import get_subject, training
from vidsynth.bench.memory_report import memory_report
from vidsynth.bench.paper import training_memory_at
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.training import predict_peak, training_step

GIB = 2 ** 30


def test_predict_peak():
    assert predict_peak({}, 4) is None
    assert predict_peak({2: 10.0}, 4) == (20.0, "proportional to batch from batch 2 (upper bound)")
    # linear through the two largest batches: 14 + (14 - 10) / (2 - 1) * (4 - 2) = 22
    assert predict_peak({1: 10.0, 2: 14.0, 0.5: 0.0}, 4) == (22.0, "linear in batch through batches 1 and 2")


def test_batch_that_does_not_fit_is_estimated_not_run(monkeypatch, one_thread):
    monkeypatch.setattr(training, "available_bytes", lambda: 1)      # nothing fits after the first batch
    settings = BenchSettings(torch.device("cpu"), repeat=1, train_batches=(1, 2))
    out = training_step(get_subject("digan-test"), settings)
    run, (estimated,) = out["rows"][:2], out["rows"][2:]
    assert [(r["batch"], r["kind"]) for r in run] == [(1, "r1"), (1, "no_r1")]
    assert estimated["batch"] == 2 and estimated["estimated"] is True and "sec_per_step" not in estimated
    measured = max(r["peak_mem_gib"] for r in run)
    assert estimated["peak_mem_gib"] == pytest.approx(2 * measured, rel=1e-12)       # proportional from batch 1
    assert "proportional" in estimated["note"] and out["largest_batch_run"] == 1
    json.dumps(out)


def test_max_memory_caps_the_batches_run(monkeypatch, one_thread):
    """``--max-memory``: on a machine with memory to spare, a batch predicted above the cap is estimated."""
    monkeypatch.setattr(training, "available_bytes", lambda: 1 << 50)
    settings = BenchSettings(torch.device("cpu"), repeat=1, train_batches=(1, 2), max_memory_gib=1e-6)
    out = training_step(get_subject("digan-test"), settings)
    assert [(r["batch"], r.get("estimated", False)) for r in out["rows"]] == [(1, False), (1, False), (2, True)]
    assert out["rows"][2]["note"].endswith("> --max-memory 1e-06 GiB")
    assert training.memory_limit("cpu", 2.0) == (2 * GIB, "--max-memory 2 GiB")
    assert training.memory_limit("cpu")[1] == "90% of the 1048576.0 GiB available"


def test_probe_batch_one_first(monkeypatch, one_thread):
    monkeypatch.setattr(training, "available_bytes", lambda: 1 << 50)
    settings = BenchSettings(torch.device("cpu"), repeat=1, train_batches=(2,))
    out = training_step(get_subject("mocogan-hd-test"), settings)
    assert [(r["batch"], r["kind"], r.get("probe", False)) for r in out["rows"]] == [(1, "gp", True), (2, "gp", False)]
    assert out["largest_batch_run"] == 2
    assert training_memory_at({"training": out}, 2) == (out["rows"][1]["peak_mem_gib"], False)
    assert training_memory_at({"training": out}, 1) == (None, False)            # probes are not results


def test_memory_report_streams_long_videos_flat(one_thread):
    out = memory_report(get_subject("digan-test"), BenchSettings(torch.device("cpu"), repeat=1))
    json.dumps(out)
    assert out["training"]["batch"] == 4 and {r["kind"] for r in out["training"]["rows"]} == {"r1", "no_r1"}
    assert training_memory_at({"memory": out}, 4)[0] == out["training"]["peak_mem_gib"] > 0
    gen = out["generation"]
    rows = {r["frames"]: r for r in gen["rows"]}
    assert gen["batch"] == 4 and sorted(rows) == [16, 128, 1024]
    # 4 videos x 3 x 1024 x 16 x 16 float32 = 12 MiB of output
    assert rows[1024]["output_gib"] * GIB == 4 * 3 * 1024 * 16 * 16 * 4
    assert "all_at_once_peak_gib" not in rows[16]         # all at once only up to the config's 4 frames
    # Chunked rendering keeps the whole output (and torch.cat's copy of it); streaming holds one chunk of
    # 8 frames (4 x 3 x 8 x 16 x 16 x 4 B = 96 KiB of output plus the activations of one pass).
    assert rows[1024]["streamed_peak_gib"] < rows[1024]["chunked_peak_gib"] / 3
    assert rows[1024]["streamed_peak_gib"] < rows[1024]["output_gib"]


def test_training_batches_default():
    cpu = torch.device("cpu")
    assert BenchSettings(cpu, quick=False).training_batches() == (4, 16)        # issue 18's batches
    assert BenchSettings(cpu, quick=True).training_batches() == (1,)
    assert BenchSettings(cpu, quick=True, train_batches=(2, 8)).training_batches() == (2, 8)


def test_batch_gpu_runs_a_big_batch_in_passes_with_the_memory_of_one(monkeypatch, one_thread):
    """``--batch-gpu``: batch 4 in passes of 1 does batch 4's work (4x batch 1's MACs, exactly) and is predicted,
    and so run, with the memory of one pass, where the whole batch at once is predicted too big for the cap."""
    monkeypatch.setattr(training, "available_bytes", lambda: 1 << 50)
    # every step "peaks" at 1 GiB (a test-size step's real peak is a few MiB of noise): the prediction is tested
    monkeypatch.setattr(training, "peak_memory", lambda fn, device: fn() or {"peak_bytes": GIB, "method": "fake"})
    subject = get_subject("digan-test")
    cap = 1.5
    whole = training_step(subject, BenchSettings(torch.device("cpu"), repeat=1, train_batches=(1, 4), max_memory_gib=cap))
    assert [(r["batch"], r.get("estimated", False)) for r in whole["rows"]] == [(1, False), (1, False), (4, True)]
    passes = training_step(subject, BenchSettings(torch.device("cpu"), repeat=1, train_batches=(1, 4),
                                                  max_memory_gib=cap, batch_gpu=1))
    rows = {(r["batch"], r["kind"]): r for r in passes["rows"]}
    assert set(rows) == {(1, "r1"), (1, "no_r1"), (4, "r1"), (4, "no_r1")}
    for kind in ("r1", "no_r1"):
        assert rows[4, kind]["batch_gpu"] == 1 and "batch_gpu" not in rows[1, kind]
        assert rows[4, kind]["gmac_per_step"] == pytest.approx(4 * rows[1, kind]["gmac_per_step"], rel=1e-9)


def test_memory_report_trains_batch_4_in_the_passes_asked_for(monkeypatch, one_thread):
    """``--measure memory --batch-gpu 2``: the batch-4 training rows are the micro-batched step (how a machine
    without the memory for batch 4 at once reports it)."""
    from vidsynth.bench import memory_report as report

    monkeypatch.setattr(report, "long_video_memory", lambda *a, **k: {})        # the generation half is tested above
    out = report.memory_report(get_subject("digan-test"), BenchSettings(torch.device("cpu"), repeat=1, batch_gpu=2))
    assert [(r["batch"], r.get("batch_gpu")) for r in out["training"]["rows"]] == [(4, 2), (4, 2)]


def test_memory_check_hands_back_the_last_batchs_heap_first(monkeypatch, one_thread):
    """The training step keeps its heap (``retain_heap`` lingers after it); the next batch's memory check must see
    that memory as free, or a machine that fits the batch reports it as estimated (round 7: 9.8 GiB of our own
    heap read as in use)."""
    from vidsynth.utils import heap

    events = []
    monkeypatch.setattr(heap, "release", lambda: events.append("release"))
    monkeypatch.setattr(training, "release_free_heap", lambda: events.append("trim"))
    monkeypatch.setattr(training, "memory_limit", lambda *a: events.append("limit"))
    training_step(get_subject("digan-test"), BenchSettings(torch.device("cpu"), repeat=1, train_batches=(1, 2)))
    assert events == ["release", "trim", "limit"] * 2
