"""The standalone evaluator: presets, the stride rule, no silent mismatch, portable statistics, per-class FVD.

A TorchScript stand-in replaces the I3D (tests/metrics/helpers.py: tiny_i3d), so these run in seconds.
"""
import json
import shutil
import warnings

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.metrics.helpers import FakeSampler, moving_square_videos, tiny_i3d
from vidsynth.errors import ConfigError
from vidsynth.metrics import evaluate
from vidsynth.metrics.evaluation import SmallSampleWarning
from vidsynth.metrics.presets import PRESETS

pytestmark = pytest.mark.filterwarnings("ignore::vidsynth.metrics.evaluation.SmallSampleWarning")


def write_frames(root, videos, prefix="v"):
    """float videos [n, 3, T, R, R] -> PNG frame folders root/<prefix><i>/<t>.png."""
    from PIL import Image

    frames = ((videos + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 4, 1).numpy()
    for i, video in enumerate(frames):
        d = root / f"{prefix}{i}"
        d.mkdir(parents=True, exist_ok=True)
        for t, frame in enumerate(video):
            Image.fromarray(frame).save(d / f"{t:03d}.png")
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Real data: two classes (folders a/, b/) of 3 videos x 40 frames at 32 px; a tiny I3D."""
    root = tmp_path_factory.mktemp("real")
    write_frames(root / "a", moving_square_videos(3, 40, 32, seed=5) * 0.3 - 0.5)
    write_frames(root / "b", moving_square_videos(3, 40, 32, seed=6) * 0.3 + 0.5)
    return root, tiny_i3d(tmp_path_factory.mktemp("net"))


class StridedSampler(FakeSampler):
    """A model trained at ``train_stride`` (vidsynth.load puts it in the metadata)."""

    def __init__(self, train_stride):
        super().__init__()
        self.metadata = {"train_stride": train_stride}


class ConditionalSampler(FakeSampler):
    class_names = ["a", "b"]

    def sample(self, n, frames=16, seed=0, batch_size=8, label=None):
        self.calls.append((n, frames, seed, label))
        shift = {"a": -0.5, "b": 0.5}[label]
        return moving_square_videos(n, frames, self.resolution, seed=20_000 + seed) * 0.3 + shift


def _eval(data, metrics="fvd4_10f", **kw):
    root, net = data
    kw = {"real": str(root), "fake": FakeSampler(), "i3d": net, "progress": False, "use_cache": False,
          "batch_size": 2, **kw}
    return evaluate([metrics] if isinstance(metrics, str) else metrics, **kw)


# -- presets -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_sets_its_fields_and_flags_override(data, name, monkeypatch):
    preset = PRESETS[name]
    [res, *_] = _eval(data, metrics=None, protocol=name, num_real=4, num_fake=4, num_runs=1)
    p = res["protocol"]
    assert res["metric"] == preset.metrics.split(",")[0]
    assert (p["preset"], p["resize"], p["clip_sampling"]) == (name, f"{preset.resize} to 224", preset.clip_sampling)
    for key in ("frames", "subsample", "frames_used", "num_real", "num_fake", "num_runs", "resolution", "resize",
                "real_stride", "fake_stride", "model_train_stride", "clip_sampling", "class_balanced", "per_class",
                "real_sampling", "real_stats", "fake_seeds"):
        assert key in p, key
    [over] = _eval(data, metrics="fvd4_10f", protocol=name, resize="tf1_bilinear", clip_sampling="per_clip",
                   real_stride=2, num_runs=2)
    p = over["protocol"]
    assert (p["resize"], p["clip_sampling"], p["real_stride"], p["num_runs"]) == ("tf1_bilinear to 224", "per_clip", 2, 2)


def test_preset_defaults_follow_the_papers():
    """The values docs/metrics.md cites from each paper's code."""
    got = {n: (p.metrics, p.resize, p.clip_sampling, p.num_runs) for n, p in PRESETS.items()}
    assert got == {
        "stylegan-v": ("fvd2048_16f", "torch_bilinear", "per_video", 1),
        "digan": ("fvd2048_16f,kvd2048_16f", "torch_bilinear", "per_clip", 10),
        "mocogan-hd": ("fvd2048_16f", "tf1_bilinear", "per_video", 1),
        "tats": ("fvd2048_16f,kvd2048_16f", "torch_bilinear", "per_clip", 1),
    }
    with pytest.raises(ConfigError, match="unknown protocol"):
        evaluate(protocol="tgan", fake=FakeSampler())


def test_resize_rule_changes_the_number(data):
    a = _eval(data, resize="tf1_bilinear")[0]["value"]
    b = _eval(data, resize="torch_bilinear")[0]["value"]
    assert a != b


# -- the stride rule -------------------------------------------------------------------------------
def test_real_stride_follows_the_model_and_mismatch_is_an_error(data, monkeypatch):
    import vidsynth.data

    opened, real_open = [], vidsynth.data.open_dataset

    def spy(spec, resolution, frames, stride=1, **kw):
        opened.append(stride)
        return real_open(spec, resolution, frames, stride=stride, **kw)

    monkeypatch.setattr(vidsynth.data, "open_dataset", spy)
    [res] = _eval(data, fake=StridedSampler(2))
    assert opened[-1] == 2 and res["protocol"]["real_stride"] == 2 and res["protocol"]["model_train_stride"] == 2
    [res] = _eval(data, fake=StridedSampler(2), fake_stride=2)
    assert opened[-1] == 4 and res["protocol"]["fake_stride"] == 2
    with pytest.raises(ConfigError, match="pass --real-stride 2"):
        _eval(data, fake=StridedSampler(2), real_stride=1)
    [res] = _eval(data, fake=FakeSampler(), real_stride=3)   # unknown training stride: the user decides
    assert opened[-1] == 3 and res["protocol"]["model_train_stride"] is None


def test_real_stride_changes_the_real_clips(data):
    """Real clips at stride 3 are not those at stride 1 (the mutation 'ignore --real-stride' fails here)."""
    a = _eval(data, real_stride=1, save_features=None)
    b = _eval(data, real_stride=3)
    assert a[0]["value"] != b[0]["value"]


def test_training_metrics_use_the_runs_stride_resolution_and_sampling(monkeypatch, tmp_path):
    import vidsynth.metrics
    import vidsynth.registry
    from vidsynth.config import LoopConfig
    from vidsynth.metrics.callback import MetricsCallback
    from vidsynth.training.callbacks import Snapshot

    seen = {}
    monkeypatch.setattr(vidsynth.metrics, "evaluate", lambda *a, **kw: seen.update(kw) or [])
    monkeypatch.setitem(vidsynth.registry.SAMPLERS, "Module", "tests.metrics.helpers:FakeSampler")
    monkeypatch.setattr("tests.metrics.helpers.FakeSampler.__init__", lambda self, *a: None)
    meta = {"resolution": 64, "train_stride": 4, "clip_sampling": "per_clip"}
    snap = Snapshot(run_dir=tmp_path, kimg=1.0, nimg=1000, step=10, final=True, start_nimg=0,
                    model_dir=tmp_path / "model-000001.000", module=torch.nn.Module(), meta=meta,
                    loop=LoopConfig(data="builtin:shapes", metrics="fvd16_16f"), device=torch.device("cpu"))
    MetricsCallback()(snap)
    assert (seen["real_stride"], seen["resolution"], seen["clip_sampling"]) == (4, 64, "per_clip")


def test_training_metrics_follow_metrics_kimg_and_always_run_at_the_final_snapshot(monkeypatch, tmp_path):
    """The schedule: a snapshot that crosses a metrics_kimg boundary since the last evaluation (or since
    this process started, on resume), and the final snapshot; none without --metrics."""
    from vidsynth.config import LoopConfig
    from vidsynth.metrics import callback
    from vidsynth.training.callbacks import Snapshot

    monkeypatch.setattr(callback, "compute_snapshot_metrics", lambda snap: {"fvd16_16f": float(snap.nimg)})

    def run(nimgs, start, metrics="fvd16_16f", final_at=None):
        cb, loop = callback.MetricsCallback(), LoopConfig(metrics=metrics, metrics_kimg=0.016)
        return [n for n in nimgs if cb(Snapshot(run_dir=tmp_path, kimg=n / 1000, nimg=n, step=n, final=n == final_at,
                                                 start_nimg=start, model_dir=tmp_path, module=None, meta={},
                                                 loop=loop, device=torch.device("cpu")))]

    # every 16 images; snapshots every 8: evaluated at 16 and 32, skipped at 8, 24 and 40 (not final)
    assert run([8, 16, 24, 32, 40], start=0) == [16, 32]
    assert run([8, 16, 24, 32, 40], start=0, final_at=40) == [16, 32, 40]
    assert run([24, 32, 40], start=16) == [32]              # resumed at 16: 24 crosses nothing yet
    assert run([8, 16], start=0, metrics="", final_at=16) == []


# -- no silent mismatch -----------------------------------------------------------------------------
def test_non_square_fakes_and_short_fakes_are_errors(data):
    from vidsynth.errors import DatasetError

    wide = np.zeros((4, 8, 32, 48, 3), np.uint8)
    with pytest.raises(ConfigError, match="48x32, not square"):
        _eval(data, fake=wide)
    with pytest.raises(DatasetError, match="generate longer videos"):
        _eval(data, metrics="fvd4_16f", fake=np.zeros((4, 8, 32, 32, 3), np.uint8))


def test_few_clips_warn_with_the_bias(data):
    with pytest.warns(SmallSampleWarning, match="fewer than the 400 feature dimensions.*biased upward"):
        _eval(data)


def test_num_fake_zero_is_refused():
    with pytest.raises(ConfigError, match="num_fake must be >= 2"):
        evaluate(["fvd4_16f"], real="builtin:shapes", fake=FakeSampler(), num_fake=0)


def test_cli_table_counts_are_the_clips_used(data, tmp_path):
    """Issue 14 item 9: 5 fake videos, --num-fake 3, --batch-size 2 -> exactly 3 clips in the features."""
    from vidsynth.cli.metrics import metrics_command

    root, net = data
    fake = write_frames(tmp_path / "fake", moving_square_videos(5, 10, 32, seed=9))
    out = tmp_path / "f.npz"
    result = CliRunner().invoke(metrics_command, ["--metrics", "fvd4_10f", "--real", str(root), "--fake", str(fake),
                                                  "--num-fake", "3", "--batch-size", "2", "--i3d", net, "--no-cache",
                                                  "--device", "cpu", "--workers", "0", "--save-features", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as d:
        assert d["fake__fvd4_10f__run0"].shape == (3, 400) and d["real__fvd4_10f"].shape == (4, 400)
        assert json.loads(str(d["meta"]))["results"][0]["num_fake"] == 3


# -- portable statistics ----------------------------------------------------------------------------
def test_stats_export_import_round_trip_is_exact(data, tmp_path):
    from vidsynth.cli.metrics import metrics_command

    root, net = data
    out = tmp_path / "real.npz"
    result = CliRunner().invoke(metrics_command, ["stats", str(root), "--out", str(out), "--metrics", "fvd4_10f,kvd4_10f",
                                                  "--resolution", "32", "--i3d", net, "--device", "cpu", "--no-cache",
                                                  "--workers", "0", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    direct = _eval(data, metrics=["fvd4_10f", "kvd4_10f"])
    from_file = _eval(data, metrics=["fvd4_10f", "kvd4_10f"], real=None, real_stats=str(out))
    assert [r["value"] for r in from_file] == [r["value"] for r in direct]       # bit-equal
    assert from_file[0]["protocol"]["real_stats"] == str(out)
    # another machine: the same data elsewhere matches the file's content key; different data does not
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert _eval(data, real=str(copy), real_stats=str(out))[0]["value"] == direct[0]["value"]
    shutil.rmtree(copy / "b" / "v0")
    with pytest.raises(ConfigError, match="computed from different data"):
        _eval(data, real=str(copy), real_stats=str(out))
    with pytest.raises(ConfigError, match="real_stride: file 1, needed 2"):
        _eval(data, real=None, real_stats=str(out), real_stride=2)
    with pytest.raises(ConfigError, match="not a vidsynth statistics file"):
        (tmp_path / "junk.npz").write_bytes(b"junk")
        _eval(data, real=None, real_stats=str(tmp_path / "junk.npz"))


def test_stale_cache_impossible_behind_a_symlinked_folder(tmp_path):
    """Issue 14 item 2: replacing the videos behind a symlink must not reuse the old statistics."""
    store = write_frames(tmp_path / "store", moving_square_videos(3, 12, 32, seed=1))
    real = tmp_path / "real"
    real.mkdir()
    (real / "videos").symlink_to(store, target_is_directory=True)
    net = tiny_i3d(tmp_path)
    kw = dict(real=str(real), fake=FakeSampler(), i3d=net, progress=False, batch_size=2)
    first = evaluate(["fvd3_10f"], **kw)[0]["value"]
    assert evaluate(["fvd3_10f"], **kw)[0]["value"] == first                        # cached
    shutil.rmtree(store)
    write_frames(store, moving_square_videos(3, 12, 32, seed=2) * 0.5)
    fresh = evaluate(["fvd3_10f"], **{**kw, "use_cache": False})[0]["value"]
    assert fresh != first and evaluate(["fvd3_10f"], **kw)[0]["value"] == fresh


# -- per-class ----------------------------------------------------------------------------------------
def test_per_class_fvd_and_class_balanced_real_sampling(data, monkeypatch):
    import vidsynth.metrics.sources as sources

    keys_seen = []
    real_balanced = sources.balanced_clip_keys

    def spy(ds, num, span, seed=0, clip_sampling="per_video"):
        keys, labels = real_balanced(ds, num, span, seed, clip_sampling)
        keys_seen.append([(ds.video_name(v).split("/")[0], int(c)) for (v, _), c in zip(keys, labels)])
        return keys, labels

    monkeypatch.setattr(sources, "balanced_clip_keys", spy)
    sampler = ConditionalSampler()
    [res] = _eval(data, metrics="fvd6_10f", fake=sampler, per_class=True, labels="folders")
    assert set(res["per_class"]) == {"a", "b"} and res["protocol"]["class_balanced"] is True
    pairs = keys_seen[-1]
    assert sorted(pairs) == [("a", 0)] * 3 + [("b", 1)] * 3                       # 3 clips per class, from that class
    made = {lab: sum(c[0] for c in sampler.calls if c[3] == lab) for lab in ("a", "b")}
    assert made == {"a": 3, "b": 3}                                                   # fakes generated per class
    # each class's fakes match their own class: per-class FVD far below the cross-class distance
    swapped = ConditionalSampler()
    swapped.sample = lambda n, frames=16, seed=0, batch_size=8, label=None: ConditionalSampler.sample(
        swapped, n, frames, seed, batch_size, {"a": "b", "b": "a"}[label])
    [cross] = _eval(data, metrics="fvd6_10f", fake=swapped, per_class=True, labels="folders")
    assert max(res["per_class"].values()) * 10 < min(cross["per_class"].values())
    with pytest.raises(ConfigError, match="needs class-labelled generated videos"):
        _eval(data, metrics="fvd6_10f", per_class=True, labels="folders")
    with pytest.raises(ConfigError, match="labelled real data"):
        _eval(data, metrics="fvd6_10f", fake=sampler, per_class=True, labels="none")


def test_clip_sampling_per_clip_weights_long_videos():
    from tests.metrics.helpers import FakeClipDataset
    from vidsynth.metrics.sources import real_clip_keys

    ds = FakeClipDataset(num_videos=2, length=20)
    ds.num_frames = lambda i: (20, 200)[i]
    per_video = np.bincount([v for v, _ in real_clip_keys(ds, 400, 16, 0, "per_video")], minlength=2)
    per_clip = [v for v, _ in real_clip_keys(ds, 150, 16, 0, "per_clip")]
    assert per_video.tolist() == [200, 200]
    # windows: 5 in video 0, 185 in video 1; 150 drawn without replacement -> at most 5 from video 0
    assert np.bincount(per_clip, minlength=2)[0] <= 5 and len(set(real_clip_keys(ds, 150, 16, 0, "per_clip"))) == 150


def test_cli_protocol_flags_reach_the_record(data, tmp_path):
    from vidsynth.cli.metrics import metrics_command

    root, net = data
    fake = tmp_path / "fake.npy"
    np.save(fake, np.zeros((4, 20, 32, 32, 3), np.uint8))
    out = tmp_path / "f.npz"
    args = ["--protocol", "digan", "--metrics", "fvd4_10f", "--runs", "1", "--resize", "tf1_bilinear",
            "--real-stride", "3", "--fake-stride", "2", "--clip-sampling", "per_video", "--real", str(root),
            "--fake", str(fake), "--i3d", net, "--no-cache", "--device", "cpu", "--workers", "0",
            "--save-features", str(out)]
    result = CliRunner().invoke(metrics_command, args)
    assert result.exit_code == 0, result.output
    with np.load(out) as d:
        p = json.loads(str(d["meta"]))["results"][0]["protocol"]
    assert (p["preset"], p["resize"], p["real_stride"], p["fake_stride"], p["clip_sampling"], p["num_runs"]) == \
        ("digan", "tf1_bilinear to 224", 3, 2, "per_video", 1)


def test_per_class_with_a_labelled_fake_folder(data, tmp_path):
    """Fakes as class folders (--labels folders): class c's fakes are the videos of folder c."""
    fake = tmp_path / "fake"
    write_frames(fake / "a", moving_square_videos(3, 10, 32, seed=7) * 0.3 - 0.5)
    write_frames(fake / "b", moving_square_videos(3, 10, 32, seed=8) * 0.3 + 0.5)
    [res] = _eval(data, metrics="fvd6_10f", fake=str(fake), per_class=True, labels="folders")
    swapped = tmp_path / "swapped"
    shutil.copytree(fake / "a", swapped / "b")
    shutil.copytree(fake / "b", swapped / "a")
    [cross] = _eval(data, metrics="fvd6_10f", fake=str(swapped), per_class=True, labels="folders")
    assert max(res["per_class"].values()) * 10 < min(cross["per_class"].values())
