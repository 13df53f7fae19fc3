"""``vidsynth bench --measure loader`` on the unit-test presets: the numbers are there and mean what they say."""
import pytest

from vidsynth.bench import loader
from vidsynth.bench.runner import MEASURES, OPT_IN, run_bench
from vidsynth.bench.settings import BenchSettings


@pytest.fixture
def short(monkeypatch):
    monkeypatch.setattr(loader, "LOADER_SECONDS", 0.1)   # a few batches are enough to check the mechanics
    monkeypatch.setattr(loader, "MAX_LOADER_BATCHES", 2)
    monkeypatch.setattr(loader, "FORMATS", ("mp4",))       # the path with seeking and resizing
    import torch

    return BenchSettings(torch.device("cpu"), quick=True, repeat=1)


def test_loader_measure_for_digan_decodes_two_frames_per_clip(short):
    out = run_bench(["digan-test"], short, ["loader"], i3d=False)
    ld = out["results"][0]["loader"]
    assert ld["clip_shape"] == [3, 4, 16, 16] and ld["batch"] == 1
    # 4-frame clips; the step's pair is 2 frames, 1 when both times floor to the same frame
    assert ld["frames_per_clip_decoded"]["all_frames"] == 4
    assert 1 <= ld["frames_per_clip_decoded"]["step_frames"] <= 2
    assert list(ld["formats"]) == ["mp4"]
    for r in ld["formats"].values():
        assert r["all_frames_clips_per_s"] > 0 and r["step_frames_clips_per_s"] > 0 and r["step_clips_per_s"] > 0
        assert 0 <= r["data_wait_share"] < 1 and r["steps_timed"] == 1
    assert ld["data_wait_share"] == max(r["data_wait_share"] for r in ld["formats"].values())


def test_loader_measure_for_mocogan_hd_decodes_every_frame(short):
    """MoCoGAN-HD's consumer is the bench's G_M + D step (it once called a method that no longer existed)."""
    out = run_bench(["mocogan-hd-test"], short, ["loader"], i3d=False)
    ld = out["results"][0]["loader"]
    assert "error" not in ld, ld
    assert ld["clip_shape"] == [3, 4, 16, 16] and ld["frames_per_clip_decoded"]["all_frames"] == 4
    r = ld["formats"]["mp4"]
    assert r["step_clips_per_s"] > 0 and 0 <= r["data_wait_share"] < 1 and r["steps_timed"] == 1


def test_loader_measure_is_opt_in():
    assert "loader" in MEASURES and "loader" in OPT_IN
