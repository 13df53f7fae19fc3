"""The MoCoGAN-HD demo's stage 1 (vidsynth/demo/mocogan_hd.py ``stage_one``): the image generator's share of
the budget is decided by measured per-frame FIDs (``bench.frame_curve``), here mocked, not a fixed share."""
import json
from pathlib import Path

import pytest

from vidsynth.bench.frame_curve import handoff_model
from vidsynth.demo import mocogan_hd
from vidsynth.training.snapshots import snapshot_name


class FakeTrain:
    """Stands in for ``training.loop.train``: records the minutes asked and writes the chunk's stats line
    (its own clock: ``time`` = the minutes asked, in seconds, times ``overshoot``)."""

    def __init__(self, folder: Path, overshoot=1.0):
        self.folder, self.overshoot, self.asked, self.resumed = folder, overshoot, [], []

    def __call__(self, cfg, loop, run):
        self.asked.append(loop.minutes)
        self.resumed.append(run)
        self.folder.mkdir(parents=True, exist_ok=True)
        model = self.folder / snapshot_name(0.1 * len(self.asked))   # the chunk's exported model, as a run's
        model.mkdir()
        (model / "config.json").write_text("{}")
        with open(self.folder / "stats.jsonl", "a") as f:
            f.write(json.dumps({"time": loop.minutes * 60 * self.overshoot}) + "\n")
        return self.folder


class FakeProbe:
    """Per-frame FIDs from a list (one per check); the static baseline ``{"first": 10, "std": 1}``."""

    def __init__(self, fids):
        self.fids, self.held = iter(fids), [0] * 16

    def baselines(self):
        return {"static": {"first": 10.0, "std": 1.0}}

    def image_fid(self, sampler, n, seed=0):
        assert n == 16
        return {"fid": next(self.fids), "std": 1.0, "n": n}


@pytest.fixture(autouse=True)
def no_loading(monkeypatch):
    import vidsynth.loader

    monkeypatch.setattr(vidsynth.loader, "load_generator", lambda run, device="cpu": None)


def _stage(tmp_path, probe, image_share=None, budget=4.0, overshoot=1.0):
    from vidsynth.config import method_config

    fake = FakeTrain(tmp_path / "image", overshoot)
    run, stage = mocogan_hd.stage_one(method_config("stylegan2", "test"), budget, probe, image_share, 0, "cpu",
                                      fake, dict(data="builtin:shapes", kimg=1e9, seed=0, num_workers=0))
    return fake, run, stage


def test_stage_one_stops_on_a_plateau_of_the_measured_fid(tmp_path):
    fake, run, stage = _stage(tmp_path, FakeProbe([900.0, 400.0, 300.0, 299.0, 298.0, 100.0]))
    assert stage["reason"] == "plateau" and len(stage["checks"]) == 5
    assert fake.asked == pytest.approx([0.4] * 5)                 # 10 % of the 4-minute budget each
    assert fake.resumed == [None] + [run] * 4                     # one run, resumed chunk by chunk
    assert stage["share"] == pytest.approx(0.5) and stage["static"] == {"first": 10.0, "std": 1.0}


def test_stage_one_hands_over_the_best_checked_snapshot_not_the_last(tmp_path):
    """The FID rose after its third check: the split stops on the plateau two checks later, and the motion
    stage starts from the third check's snapshot (issue 15: on builtin:shapes the last was the worst)."""
    fake, run, stage = _stage(tmp_path, FakeProbe([900.0, 400.0, 300.0, 310.0, 320.0]))
    assert stage["reason"] == "plateau" and len(stage["checks"]) == 5
    assert [c["model"] for c in stage["checks"]] == [snapshot_name(0.1 * n) for n in range(1, 6)]
    assert stage["handoff"] == {"check": 2, "by": "fid", "value": 300.0, "share": pytest.approx(0.3),
                                "model": snapshot_name(0.3)}
    assert handoff_model(run, stage) == run / snapshot_name(0.3)
    assert handoff_model(run, {"share": 0.5, "reason": "fixed", "checks": []}) == run   # no checks


def test_stage_one_stops_when_it_beats_static_or_at_the_cap(tmp_path):
    fake, _, stage = _stage(tmp_path, FakeProbe([900.0, 500.0, 11.0]))
    assert stage["reason"] == "beats static" and len(fake.asked) == 3 and stage["share"] == pytest.approx(0.3)
    fake, _, stage = _stage(tmp_path / "b", FakeProbe(range(1000, 0, -100)), overshoot=1.05)
    # each chunk overshoots by 5 % (its last step): the 7th chunk is cut to the 70 % cap (0.28 min asked,
    # 0.294 trained): (6 * 0.42 + 0.294) / 4
    assert stage["reason"] == "cap" and len(fake.asked) == 7 and stage["share"] == pytest.approx(0.7035)
    assert fake.asked[-1] == pytest.approx(0.7 * 4 - 6 * 0.4 * 1.05)


def test_stage_one_fixed_share_or_no_probe_is_one_chunk(tmp_path):
    fake, _, stage = _stage(tmp_path, FakeProbe([]), image_share=0.25)
    assert fake.asked == [1.0] and stage == {"share": 0.25, "reason": "fixed", "checks": []}
    fake, _, stage = _stage(tmp_path / "b", None)
    assert fake.asked == [2.0] and stage["share"] == 0.5 and stage["reason"] == "fixed"


def test_the_summary_prints_the_split_and_the_verdict():
    from tests.test_cli_package import SUMMARY

    s = {**SUMMARY, "image_kimg": 0.5, "image_steps": 10, "long_motion": 4.0, "motion_diversity": 0.01,
         "image_run": "runs/i",
         "image_stage": {"checks": [{"fid": 300.0}, {"fid": 250.4}], "share": 0.4, "reason": "plateau",
                         "static": {"first": 40.2}},
         "frame_fid": {"frames": 24, "trained_ratio": 1.1, "unrolled_ratio": 1.5, "margin": 0.3, "on_manifold": False}}
    lines = mocogan_hd.format_mocogan_summary(s).splitlines()
    assert lines[8] == ("image generator: 40% of the training budget (plateau); per-frame FID 300 -> 250 "
                        "(real first frames: 40)")
    handoff = {"check": 0, "by": "fid", "value": 300.0, "share": 0.2, "model": "model-000000.200"}
    s["image_stage"]["handoff"] = handoff
    lines = mocogan_hd.format_mocogan_summary(s).splitlines()
    assert lines[9] == ("motion generator trained on the image snapshot at 20% (model-000000.200, per-frame FID "
                        "300: the best check)")
    del lines[9]
    assert lines[9] == ("per-frame FID over 24 frames vs frame 0: x1.10 trained, x1.50 unrolled (noise margin 30%): "
                        "OFF the image manifold")
