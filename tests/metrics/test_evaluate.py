"""evaluate() and the CLI end to end, with a stand-in sampler and dataset (cheap counts)."""
import json

import numpy as np

import pytest
import torch
from click.testing import CliRunner

from tests.metrics.helpers import FakeClipDataset, FakeSampler, moving_square_videos, tiny_i3d as _tiny_i3d
from vidsynth.metrics import evaluate

pytestmark = pytest.mark.filterwarnings("ignore::vidsynth.metrics.evaluation.SmallSampleWarning")


def test_acd_from_sampler_and_folder(tmp_path):
    from vidsynth.video.write import to_uint8_frames, write_mp4

    sampler = FakeSampler()
    [res] = evaluate(["acd4_8f"], fake=sampler, acd_features="mean_color", progress=False, num_runs=2)
    assert res["metric"] == "acd4_8f" and res["feature_network"] == "mean_color"
    assert res["num_runs"] == 2 and len(res["values"]) == 2 and res["value"] > 0
    assert {c[2] for c in sampler.calls} == {0, 1_000_003}  # run r draws fresh clips (4 clips = one batch)
    for i, v in enumerate(moving_square_videos(3, 8)):
        write_mp4(tmp_path / f"{i}.mp4", to_uint8_frames(v))
    [res] = evaluate(["acd3_8f"], fake=str(tmp_path), acd_features="mean_color", progress=False)
    assert res["value"] > 0


def test_fvd_kvd_share_features_and_cache_real_stats(i3d, monkeypatch):
    """FVD and KVD end to end with the real I3D on a fixed small set: values pinned, features shared
    between the two metrics, real statistics cached."""
    import vidsynth.metrics.features as features

    monkeypatch.setattr(features.I3DLogits, "__init__", _reuse(i3d))
    ds = FakeClipDataset(num_videos=2, length=14, frames=10)
    sampler = FakeSampler()
    res = evaluate(["fvd2_10f", "kvd2_10f"], real=ds, fake=sampler, progress=False)
    assert [r["metric"] for r in res] == ["fvd2_10f", "kvd2_10f"]
    assert res[0]["feature_network"] == "i3d_kinetics400_logits"
    # End-to-end values on this fixed set, pinned (clip sampling, [-1, 1] scaling, resize to 224, I3D,
    # statistics, distance). rtol 1e-3: the I3D's float32 reductions are up to ~2e4 long; summed in
    # another order (another processor's kernels or thread count) they move by ~sqrt(K) u ~ 1e-5
    # relative (measured 4e-8 for FVD and 1.1e-5 for KVD between 1 and 2 threads), far below 1e-3,
    # while a changed frame choice, scaling or resize moves FVD by > 1%. KVD of 2 clips per side is
    # the unbiased MMD estimate, which can be negative.
    assert res[0]["value"] == pytest.approx(1313.7431, rel=1e-3)
    assert res[1]["value"] == pytest.approx(-4.15868, rel=1e-3)
    assert res[0]["protocol"]["resize"] == "tf1_bilinear to 224"
    assert len(sampler.calls) == 1 and ds.reads == 2  # fvd and kvd shared one set of features
    reads = ds.reads
    again = evaluate(["fvd2_10f"], real=ds, fake=FakeSampler(), progress=False)
    assert ds.reads == reads  # real statistics came from the cache
    assert again[0]["value"] == pytest.approx(res[0]["value"])


def _reuse(model):
    def init(self, device="cpu", path=None, resize="tf1_bilinear"):
        self.device, self.resize, self.model, self.name = torch.device(device), resize, model, "i3d_kinetics400_logits"
    return init


def test_cli_appends_jsonl(tmp_path, monkeypatch):
    import vidsynth
    from vidsynth.cli import COMMANDS
    from vidsynth.cli.metrics import metrics_command

    assert COMMANDS["metrics"] == "vidsynth.cli.metrics:metrics_command"
    run = tmp_path / "00000-digan-shapes"
    run.mkdir()
    (run / "config.json").write_text('{"loop": {}}')           # a training run folder: training options
    (run / "stats.jsonl").write_text("")
    monkeypatch.setattr(vidsynth, "load", lambda path, device="cpu": FakeSampler())
    args = ["--metrics", "acd4_8f", "--acd-features", "mean_color", "--fake", str(run), "--runs", "2", "--device", "cpu"]
    result = CliRunner().invoke(metrics_command, args)
    assert result.exit_code == 0, result.output
    assert "acd4_8f" in result.output
    CliRunner().invoke(metrics_command, args)
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 2
    rec = lines[0]
    for key in ("metric", "value", "std", "values", "num_real", "num_fake", "protocol", "feature_network", "time_s", "timestamp"):
        assert key in rec
    assert rec["fake"] == str(run)


def test_cli_errors_are_user_errors(tmp_path):
    from vidsynth.errors import ConfigError, VidsynthError

    with pytest.raises(ConfigError, match="need real data"):
        evaluate(["fvd16_16f"], fake=FakeSampler())
    with pytest.raises(ConfigError, match="unknown metric"):
        evaluate(["fid50k"], fake=FakeSampler())
    with pytest.raises(VidsynthError, match="no usable videos"):
        evaluate(["acd4_8f"], fake=str(tmp_path), acd_features="mean_color", progress=False)


def test_real_clip_keys_cover_videos_and_fit():
    from vidsynth.metrics.sources import real_clip_keys

    ds = FakeClipDataset(num_videos=4, length=24)
    keys = real_clip_keys(ds, 10, span=16, seed=0)
    counts = np.bincount([v for v, _ in keys], minlength=4)
    assert counts.min() >= 2 and counts.max() <= 3          # permutation passes: balanced use of videos
    assert all(0 <= s <= 24 - 16 for _, s in keys)
    assert len({s for _, s in real_clip_keys(ds, 200, span=16, seed=0)}) == 9  # every start is reachable
    assert keys == real_clip_keys(ds, 10, span=16, seed=0) != real_clip_keys(ds, 10, span=16, seed=1)


def test_real_spec_opened_with_subsampling_stride(monkeypatch, tmp_path):
    """fvd..._128f_subsample8f reads 16 frames at stride 8 (x the real stride) at the fake videos' resolution."""
    import vidsynth.data

    opened = []

    def fake_open(spec, resolution, frames, stride=1, seed=0, labels=None, split=None):
        opened.append((spec, resolution, frames, stride))
        return FakeClipDataset(num_videos=2, length=300, frames=frames)

    monkeypatch.setattr(vidsynth.data, "open_dataset", fake_open, raising=False)
    for real_stride, want in ((None, 8), (2, 16)):
        opened.clear()
        [res] = evaluate(["fvd4_128f_subsample8f"], real=str(tmp_path), fake=FakeSampler(), i3d=_tiny_i3d(tmp_path),
                         use_cache=False, progress=False, real_stride=real_stride, batch_size=4)
        assert opened == [(str(tmp_path), 32, 16, want)]
        assert res["protocol"]["real_stride"] == (real_stride or 1)


def test_worker_processes_give_the_same_clips():
    from vidsynth.metrics.sources import iter_real

    class Indexable(FakeClipDataset):
        def __getitem__(self, key):
            return self.clip(*key)

    ds = Indexable(num_videos=3, length=20, frames=8)
    a = torch.cat(list(iter_real(ds, 5, 8, batch_size=2, seed=3)))
    b = torch.cat(list(iter_real(ds, 5, 8, batch_size=2, seed=3, num_workers=1)))
    assert a.shape == (5, 3, 8, 32, 32) and torch.equal(a, b)


def test_user_torchscript_i3d(tmp_path):
    """A user's TorchScript network replaces the I3D: named in the result, FVD value pinned."""
    path = _tiny_i3d(tmp_path)
    res = evaluate(["fvd3_10f"], real=FakeClipDataset(num_videos=3, length=10, frames=10), fake=FakeSampler(),
                   i3d=str(path), progress=False, use_cache=False)
    assert res[0]["feature_network"] == "torchscript:my_i3d.pt"
    # pinned; the stand-in's features are frame means times 0..399 (float32 means over 5e5 pixels:
    # ~1e-6 relative rounding, so rtol 1e-4 holds on any processor)
    assert res[0]["value"] == pytest.approx(2295684.4331, rel=1e-4)


def test_metrics_log_goes_to_the_training_run(tmp_path):
    """Results about a run or one of its snapshot folders go to the run's own metrics.jsonl (naming the
    snapshot); an exported model or a folder of videos is an input, not a run: nothing is written there."""
    from vidsynth.training.run_dir import run_metrics_log

    run = tmp_path / "00001-digan-shapes"
    for folder in (run / "model", run / "model-best", tmp_path / "exported"):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
    (run / "config.json").write_text('{"loop": {}}')          # what vidsynth train writes: the training options
    (run / "stats.jsonl").write_text("")
    assert run_metrics_log(run) == (run / "metrics.jsonl", {})
    assert run_metrics_log(run / "model-best") == (run / "metrics.jsonl", {"snapshot": "model-best"})
    assert run_metrics_log(tmp_path / "exported") is None and run_metrics_log(tmp_path / "x.npz") is None
