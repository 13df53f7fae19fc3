"""Every snapshot's exported model is kept, model/ is the latest, model-best/ the best by --best-by, and
vidsynth.load / generate / metrics accept each of them and the resume checkpoints."""
import json
import subprocess
import sys

import pytest
import torch

import vidsynth
from vidsynth.errors import CheckpointError, ConfigError
from vidsynth.metrics.callback import MetricsCallback
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.loop import train
from vidsynth.training.snapshots import list_snapshots, lower_is_better, snapshot_name, update_best

from .conftest import loop_config

# The fake metric values at the three snapshots (0.008, 0.016, 0.024 kimg): the middle one is the best FVD.
FVD_VALUES = [5.0, 2.0, 3.0]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import vidsynth.metrics
    from vidsynth.config import method_config

    values = iter(FVD_VALUES)

    def fake_evaluate(metrics, real, fake, **kw):   # the FVD itself is tested in tests/metrics
        return [{"metric": metrics, "value": next(values)}]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vidsynth.metrics, "evaluate", fake_evaluate)
        return train(method_config("digan", "test"),
                     loop_config(kimg=0.024, snapshot_kimg=0.008, keep_checkpoints=0, metrics="fvd16_16f",
                                 best_by="fvd16_16f", log="none"),
                     outdir=tmp_path_factory.mktemp("runs"), progress=False, callbacks=[MetricsCallback()])


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def _same_weights(a, b) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_every_snapshot_is_kept_and_model_is_the_latest(run):
    snaps = list_snapshots(run)
    assert [p.name for p in snaps] == [snapshot_name(k) for k in (0.008, 0.016, 0.024)]
    assert snaps[0].name == "model-000000.008"
    assert [json.loads((p / "config.json").read_text())["metadata"]["kimg"] for p in snaps] == [0.008, 0.016, 0.024]
    assert _same_weights(run / "model", snaps[-1])
    assert not _same_weights(snaps[0], snaps[-1])            # training moved the weights between snapshots


def test_keep_models_keeps_the_newest_snapshot_folders(tmp_path):
    from vidsynth.config import method_config

    run = train(method_config("digan", "test"), loop_config(kimg=0.012, snapshot_kimg=0.004, keep_models=2,
                                                            log="none"), outdir=tmp_path, progress=False)
    assert [p.name for p in list_snapshots(run)] == ["model-000000.008", "model-000000.012"]
    assert _same_weights(run / "model", run / "model-000000.012")


def test_keep_checkpoints_zero_keeps_every_checkpoint(run):
    assert len(ckpt.list_checkpoints(run)) == 3


def test_keep_checkpoints_n_keeps_the_newest_n(tmp_path):
    for step in range(4):
        ckpt.save(tmp_path, {"step": step}, step, keep=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["training_state-000000003.pt",
                                                                  "training_state-000000002.pt"]
    for step in range(4, 7):
        ckpt.save(tmp_path, {"step": step}, step, keep=0)
    assert len(ckpt.list_checkpoints(tmp_path)) == 5


def test_model_best_is_the_snapshot_with_the_lowest_fvd(run):
    best = json.loads((run / "best.json").read_text())
    assert best == {"metric": "fvd16_16f", "value": 2.0, "kimg": 0.016, "model": "model-000000.016",
                    "lower_is_better": True}
    assert _same_weights(run / "model-best", run / "model-000000.016")


def test_higher_is_better_for_inception_score(tmp_path):
    assert lower_is_better("fvd2048_16f") and lower_is_better("kvd2048_16f") and lower_is_better("acd16_16f")
    assert not lower_is_better("is2048_16f")
    for kimg, value in ((1.0, 10.0), (2.0, 30.0), (3.0, 20.0)):
        folder = tmp_path / snapshot_name(kimg)
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"kimg": kimg}))
        (folder / "model.safetensors").write_bytes(b"w%g" % kimg)
        update_best(tmp_path, "is16_16f", kimg, {"is16_16f": value})
    assert json.loads((tmp_path / "best.json").read_text())["kimg"] == 2.0
    assert (tmp_path / "model-best" / "model.safetensors").read_bytes() == b"w2"


def test_load_accepts_snapshot_folders_and_checkpoint_files(run):
    def sample(path):
        return vidsynth.load(path).sample(2, frames=4, seed=3)

    checkpoints = ckpt.list_checkpoints(run)[::-1]           # oldest first: 0.008, 0.016, 0.024 kimg
    for snap, pt in zip(list_snapshots(run), checkpoints):
        # the checkpoint's G_ema and the snapshot's export are the same tensors: identical samples
        assert torch.equal(sample(pt), sample(snap)), pt.name
    assert torch.equal(sample(run / "model-best"), sample(run / "model-000000.016"))
    assert torch.equal(sample(run), sample(checkpoints[-1]))
    assert not torch.equal(sample(checkpoints[0]), sample(checkpoints[-1]))
    assert vidsynth.load(checkpoints[0]).metadata["kimg"] == 0.008


def test_checkpoint_outside_its_run_is_a_clear_error(run, tmp_path):
    import shutil

    lonely = tmp_path / "training_state-000000002.pt"
    shutil.copy(ckpt.list_checkpoints(run)[-1], lonely)
    with pytest.raises(CheckpointError, match="no model/config.json"):
        vidsynth.load(lonely)


def test_metrics_evaluate_accepts_a_checkpoint_file(run):
    from vidsynth.metrics import evaluate

    pt = ckpt.list_checkpoints(run)[0]                      # the newest: the final snapshot, i.e. model/
    kw = dict(real=None, device="cpu", acd_features="mean_color", progress=False)
    a = evaluate(["acd4_4f"], fake=str(pt), **kw)[0]["value"]
    b = evaluate(["acd4_4f"], fake=str(run / "model-000000.008"), **kw)[0]["value"]
    c = evaluate(["acd4_4f"], fake=str(run), **kw)[0]["value"]
    assert a == c and a != b


def test_best_by_must_be_a_computed_metric(tmp_path):
    from vidsynth.config import method_config

    with pytest.raises(ConfigError, match="not computed during training"):
        train(method_config("digan", "test"), loop_config(best_by="fvd16_16f"), outdir=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())                      # rejected before a run folder was made


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "vidsynth", *args], capture_output=True, text=True, timeout=120)


def test_cli_set_keep_checkpoints_and_best_by_and_generate_from_a_checkpoint(run, tmp_path):
    from click.testing import CliRunner

    from vidsynth.cli import main

    r = CliRunner().invoke(main, ["train", "--preset", "test", "--set", "keep_checkpoints=0", "--metrics", "fvd16_16f",
                                  "--best-by", "fvd16_16f", "--log", "none", "--show-config"])
    assert r.exit_code == 0, r.output
    loop = json.loads(r.output)["loop"]
    assert (loop["keep_checkpoints"], loop["best_by"], loop["log"]) == (0, "fvd16_16f", "none")
    with pytest.raises(ConfigError, match="not computed during training"):
        CliRunner().invoke(main, ["train", "--preset", "test", "--best-by", "kvd16_16f", "--show-config"],
                           catch_exceptions=False)
    r = _cli("train", "--preset", "test", "--set", "keep_checkpoints=-1", "--show-config")   # the real entry point
    assert r.returncode == 2 and "keep_checkpoints must be >= 0" in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "v.npz"
    r = CliRunner().invoke(main, ["generate", str(ckpt.list_checkpoints(run)[0]), "--n", "2", "--frames", "4",
                                  "--out", str(out), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    import numpy as np

    from vidsynth.video.write import to_uint8_frames

    written = np.load(out)["videos"]                         # uint8 [N, T, H, W, 3]
    expected = np.stack([to_uint8_frames(v) for v in vidsynth.load(run).sample(2, frames=4, seed=0)])
    assert written.shape == (2, 4, 16, 16, 3) and np.array_equal(written, expected)
