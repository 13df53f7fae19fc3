"""The run folder a training run writes, and what can be done with it."""
import json
import math

import pytest
import torch

import vidsynth
from vidsynth.errors import CheckpointError, ConfigError
from vidsynth.metrics.callback import MetricsCallback
from vidsynth.report.callback import ReportCallback
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.loop import train

from .conftest import loop_config
from tests.tolerances import LAYOUT_ATOL


@pytest.fixture(scope="module")
def run(tmp_path_factory, ):
    from vidsynth.config import method_config

    out = tmp_path_factory.mktemp("runs")
    return train(method_config("digan", "test"), loop_config(kimg=0.024, snapshot_kimg=0.012), outdir=out,
                 progress=False, callbacks=[ReportCallback()])


def test_run_folder_layout(run):
    assert run.name.startswith("00000-digan-shapes")
    for name in ("config.json", "stats.jsonl", "snapshots.jsonl", "reals.mp4", "samples-latest.gif",
                 "samples-latest.png", "model/config.json", "model/model.safetensors", "report.html"):
        assert (run / name).is_file(), name
    assert len(list(run.glob("samples-*kimg.mp4"))) == 2          # one periodic + the final snapshot
    config = json.loads((run / "config.json").read_text())
    assert config["method"]["resolution"] == 16 and config["loop"]["data"] == "builtin:shapes"
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats[-1]["kimg"] == pytest.approx(0.024)
    assert all(math.isfinite(s["loss/G"]) and math.isfinite(s["loss/D"]) for s in stats)
    assert len(ckpt.list_checkpoints(run)) == 2


def test_load_and_sample_is_deterministic_and_batch_independent(run):
    g = vidsynth.load(run)
    a = g.sample(3, frames=5, seed=7, batch_size=3)
    b = g.sample(3, frames=5, seed=7, batch_size=1)
    assert a.shape == (3, 3, 5, 16, 16) and a.min() >= -1 and a.max() <= 1
    assert torch.allclose(a, b, atol=LAYOUT_ATOL)
    assert torch.allclose(g.sample(1, frames=5, seed=7), a[:1], atol=LAYOUT_ATOL)   # video i fixed by (seed, i)
    assert not torch.allclose(g.sample(1, frames=5, seed=8), a[:1])


def test_run_numbers_increase(tmp_path):
    from vidsynth.config import method_config

    cfg = method_config("digan", "test")
    a = train(cfg, loop_config(kimg=0.004), outdir=tmp_path, progress=False)
    b = train(cfg, loop_config(kimg=0.004), outdir=tmp_path, progress=False)
    assert a.name.startswith("00000-") and b.name.startswith("00001-")


def test_corrupt_newest_checkpoint_falls_back_to_previous(run):
    newest, older = ckpt.list_checkpoints(run)[:2]
    data = newest.read_bytes()
    try:
        newest.write_bytes(data[: len(data) // 2])   # a torn write
        with pytest.warns(UserWarning, match="checksum"):
            _, state = ckpt.load_latest(run, run.parent, "digan")
        assert state["step"] == ckpt.load(older)["step"]
    finally:
        newest.write_bytes(data)


def test_malicious_pickle_is_refused_without_running(tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "checkpoints" / "training_state-000000001.pt"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps({"trainer": Evil(), "step": 1}))
    with pytest.raises(CheckpointError, match="safe loader"):
        ckpt.load(path)
    assert not marker.exists()


def test_resume_of_wrong_method_or_missing_run(tmp_path, run):
    with pytest.raises(CheckpointError, match="not a folder"):
        ckpt.load_latest(tmp_path / "nope", tmp_path, "digan")
    with pytest.raises(CheckpointError, match="'digan' checkpoint"):
        ckpt.load_latest(run, run.parent, "stylegan2")


def test_conditional_needs_classes(tmp_path):
    from vidsynth.config import method_config

    with pytest.raises(ConfigError, match="no classes"):
        train(method_config("digan", "test", {"conditional": True}), loop_config(), outdir=tmp_path,
              progress=False)


def test_metrics_are_computed_at_snapshots(tmp_path, monkeypatch):
    """--metrics hooks vidsynth.metrics.evaluate on the EMA generator against the training data."""
    import vidsynth.metrics
    from vidsynth.config import method_config

    calls = []

    def fake_evaluate(metrics, real, fake, **kw):
        videos = fake.sample(2, frames=4, seed=0)
        calls.append((metrics, real, tuple(videos.shape)))
        return [{"metric": metrics, "value": float(videos.abs().mean())}]

    monkeypatch.setattr(vidsynth.metrics, "evaluate", fake_evaluate)
    # fvd16_16f: train() checks the names (MetricsCallback.check); the fake evaluate samples 4 frames anyway
    run = train(method_config("digan", "test"), loop_config(kimg=0.016, snapshot_kimg=0.008, metrics="fvd16_16f"),
                outdir=tmp_path, progress=False, callbacks=[MetricsCallback()])
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [x["kimg"] for x in lines] == [0.008, 0.016]
    assert calls[0] == ("fvd16_16f", "builtin:shapes", (2, 3, 4, 16, 16))


def test_metric_typos_fail_before_training(tmp_path):
    from vidsynth.config import method_config
    from vidsynth.training.loop import check_run_options

    with pytest.raises(ConfigError, match="fvdd"):
        check_run_options(loop_config(metrics="fvdd2048_16f"), [MetricsCallback()])
    with pytest.raises(ConfigError, match="fvdd"):      # from the Python API: before a run folder exists
        train(method_config("digan", "test"), loop_config(metrics="fvdd2048_16f"), outdir=tmp_path,
              callbacks=[MetricsCallback()])
    with pytest.raises(ConfigError, match="no snapshot callback computes metrics"):
        train(method_config("digan", "test"), loop_config(metrics="fvd16_16f"), outdir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_disk_full_during_a_snapshot_is_a_clear_error_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    import errno

    from vidsynth.config import method_config
    from vidsynth.errors import VidsynthError

    cfg = method_config("digan", "test")
    run = train(cfg, loop_config(kimg=0.008), outdir=tmp_path, progress=False)
    good = ckpt.list_checkpoints(run)[0]
    good_bytes = good.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(VidsynthError, match="No space left on device.*previous version.*intact"):
        train(cfg, loop_config(kimg=0.016), outdir=tmp_path, resume=run, progress=False)
    assert ckpt.list_checkpoints(run)[0] == good and good.read_bytes() == good_bytes
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.endswith(".tmp")]   # no debris


def test_unwritable_output_folder_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    from vidsynth.config import method_config
    from vidsynth.errors import VidsynthError

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(VidsynthError, match="Permission denied"):
        train(method_config("digan", "test"), loop_config(kimg=0.004), outdir=tmp_path, progress=False)


def test_non_finite_loss_stops_naming_the_step_and_last_good_checkpoint(tmp_path, monkeypatch):
    from vidsynth.config import method_config
    from vidsynth.training.digan import DIGANTrainer
    from vidsynth.training.loop import NonFiniteError

    cfg = method_config("digan", "test")
    run = train(cfg, loop_config(kimg=0.008), outdir=tmp_path, progress=False)
    last_good = ckpt.list_checkpoints(run)[0]
    real_step = DIGANTrainer.step

    def exploding(self, step, *args):
        stats = real_step(self, step, *args)
        return dict(stats, **{"loss/D": float("nan")}) if step == 3 else stats

    monkeypatch.setattr(DIGANTrainer, "step", exploding)
    with pytest.raises(NonFiniteError, match=rf"loss/D became nan at step 3.*{last_good.name}"):
        train(cfg, loop_config(kimg=0.032), outdir=tmp_path, resume=run, progress=False)
    assert ckpt.list_checkpoints(run)[0] == last_good          # nothing non-finite was saved
