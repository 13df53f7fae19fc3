"""Issue 14, training runs: resume options and data changes, checkpoint structure, the run lock,
restarting a run that never checkpointed, and configs validated before a run folder exists."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import torch

from vidsynth.config import method_config
from vidsynth.errors import CheckpointError, ConfigError, VidsynthError
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.loop import train

from . import makers as mk
from tests.training.conftest import loop_config


def cli(monkeypatch, capsys, *args):
    """Run ``vidsynth ARGS`` in this process (no interpreter start-up): ``(exit code, stderr)``.

    An unexpected exception propagates, failing the test, as a traceback would fail the user."""
    from vidsynth.cli import run

    monkeypatch.setattr(sys, "argv", ["vidsynth", *map(str, args)])
    code = 0
    try:
        run()
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def one_error(code, err) -> str:
    assert code == 2, (code, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 4-step DIGAN run (test preset, batch 4) on a folder of two small videos."""
    root = tmp_path_factory.mktemp("r2runs")
    for k in range(2):
        mk.good_mp4(root / "data" / f"v{k}.mp4", seed=k)
    run = train(method_config("digan", "test"), loop_config(data=str(root / "data"), kimg=0.016),
                outdir=root / "runs", progress=False)
    return run


@pytest.fixture
def run_copy(trained, tmp_path):
    """A private copy of the trained run and its data (same relative layout, so --data matches)."""
    shutil.copytree(trained.parent.parent / "data", tmp_path / "data")
    run = tmp_path / "runs" / trained.name
    shutil.copytree(trained, run)
    import json

    for name in ("config.json",):
        cfg = json.loads((run / name).read_text())
        cfg["loop"]["data"] = str(tmp_path / "data")
        (run / name).write_text(json.dumps(cfg))
    path = ckpt.list_checkpoints(run)[0]
    state = ckpt.load(path)
    state["config"]["loop"]["data"] = str(tmp_path / "data")
    for p in ckpt.list_checkpoints(run):
        p.unlink()
        p.with_suffix(".pt.sha256").unlink()
    ckpt.save(run, {k: v for k, v in state.items() if k != "format_version"}, state["step"])
    return run


# ---------------------------------------------------------------------------------------------------
# 6. --resume: options applied (with a notice) or refused by name; a changed dataset is noticed
# ---------------------------------------------------------------------------------------------------

def test_resume_refuses_options_that_cannot_change(run_copy, monkeypatch, capsys):
    other = run_copy.parent.parent / "other"
    mk.good_mp4(other / "x.mp4")
    code, err = cli(monkeypatch, capsys, "train", "--method", "digan", "--preset", "test", "--resume", run_copy,
                    "--batch", 8, "--seed", 5, "--data", other, "--set", "lr=0.01", "--device", "cpu", "--quiet")
    line = one_error(code, err)
    for words in ("cannot change on --resume", "batch (run: 4, given: 8)", "seed (run: 0, given: 5)",
                  "lr (run: 0.0025, given: 0.01)", "data (run: "):
        assert words in line, line
    assert ckpt.list_checkpoints(run_copy)[0].name.endswith("000000004.pt")  # nothing trained


def test_resume_applies_options_that_can_change_and_accepts_the_same_command(run_copy, monkeypatch, capsys):
    data = run_copy.parent.parent / "data"
    # a scheduler re-running the original command line with --resume: same --data (spelled differently
    # here) and --batch are fine
    code, err = cli(monkeypatch, capsys, "train", "--method", "digan", "--preset", "test", "--resume", run_copy,
                    "--data", f"{data}/.", "--batch", 4, "--kimg", 0.024, "--snapshot-kimg", 0, "--workers", 0,
                    "--device", "cpu", "--quiet", "--set", "batch_gpu=2")
    assert code == 0, err
    # batch_gpu (passes per step: the memory of the machine resumed on) may change too
    assert "notice: resuming with kimg 0.016 -> 0.024, batch_gpu 0 -> 2" in err
    state = ckpt.load(ckpt.list_checkpoints(run_copy)[0])
    assert state["step"] == 6 and state["config"]["method"]["batch_gpu"] == 2  # 24 videos / batch 4


def test_resume_refuses_a_changed_dataset_unless_allowed(run_copy, capsys):
    data = run_copy.parent.parent / "data"
    mk.good_mp4(data / "v2.mp4", seed=2)  # a video added since the checkpoint
    cfg, loop = method_config("digan", "test"), loop_config(data=str(data), kimg=0.016)
    with pytest.raises(ConfigError, match="changed since the checkpoint.*--allow-data-change"):
        train(cfg, loop, outdir=run_copy.parent, resume=run_copy, progress=False)
    train(cfg, loop, outdir=run_copy.parent, resume=run_copy, progress=False, allow_data_change=True)
    assert "changed since the checkpoint; continuing on it" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# 15. checkpoints that pass the safe loader but are not usable are refused before use
# ---------------------------------------------------------------------------------------------------

def _dag(depth):
    a = [0]
    for _ in range(depth):
        a = [a, a]  # stored once per level by pickle; 2^depth leaves when walked
    return a


def _deep(depth):
    a = 0
    for _ in range(depth):
        a = [a]
    return a


GOOD = {"trainer": {"G": {"w": torch.zeros(2)}}, "step": 1, "nimg": 4, "method": "digan",
        "config": {"method": {"lr": 0.002}, "loop": {"kimg": 1.0}}}
STRUCTURE_CASES = {
    "trainer_empty": ({"trainer": {}}, "'trainer' must be a non-empty dict"),
    "step_text": ({"step": "abc"}, "'step' must be a whole number"),
    "step_float": ({"step": 1.5}, "'step' must be a whole number"),
    "nimg_negative": ({"nimg": -10 ** 12}, "'nimg' must be a whole number in \\[0, 2\\^53\\]"),
    "nimg_huge": ({"nimg": 10 ** 30}, "'nimg' must be a whole number"),
    "method_not_text": ({"method": 5}, "'method' must be a string"),
    "config_value_dag": ({"config": {"method": {"lr": _dag(60)}, "loop": {}}}, "config.method.lr must be a number"),
    "trainer_dag": ({"trainer": {"G": {"junk": _dag(25)}}}, "more than 1000000 entries|nested more than"),
    "trainer_deep": ({"trainer": {"G": {"junk": _deep(200)}}}, "nested more than 32 levels"),
}


@pytest.mark.parametrize("case", STRUCTURE_CASES, ids=list(STRUCTURE_CASES))
def test_checkpoint_structure_is_checked(tmp_path, case):
    change, words = STRUCTURE_CASES[case]
    path = ckpt.save(tmp_path / "run", dict(GOOD, **change), 1)
    with pytest.raises(CheckpointError, match=words):
        ckpt.load(path)


def test_checkpoint_for_another_trainer_layout_is_one_clear_error(run_copy):
    state = ckpt.load(ckpt.list_checkpoints(run_copy)[0])
    state["trainer"] = {"G": {"nope": torch.zeros(1)}}
    ckpt.save(run_copy, {k: v for k, v in state.items() if k != "format_version"}, 99)
    with pytest.raises(CheckpointError, match="does not fit the digan trainer"):
        train(method_config("digan", "test"), loop_config(data=state["config"]["loop"]["data"]),
              outdir=run_copy.parent, resume=run_copy, progress=False)


# ---------------------------------------------------------------------------------------------------
# 17. one process per run folder: the second is refused with the first one's pid; stale locks cleared
# ---------------------------------------------------------------------------------------------------

def test_second_process_on_a_run_is_refused_and_a_stale_lock_is_taken_over(run_copy):
    import socket

    data = str(run_copy.parent.parent / "data")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run_copy / ".lock").write_text(f"{holder.pid} {socket.gethostname()}\n")
        with pytest.raises(VidsynthError, match=f"in use by process {holder.pid}"):
            train(method_config("digan", "test"), loop_config(data=data), outdir=run_copy.parent,
                  resume=run_copy, progress=False)
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale, taken over, and released when training ends
    train(method_config("digan", "test"), loop_config(data=data), outdir=run_copy.parent, resume=run_copy,
          progress=False)
    assert not (run_copy / ".lock").exists()


# ---------------------------------------------------------------------------------------------------
# 20. --resume of a run stopped before its first checkpoint starts it again, in the same folder
# ---------------------------------------------------------------------------------------------------

def test_resume_without_a_checkpoint_starts_from_step_0_in_the_same_folder(run_copy, capsys):
    shutil.rmtree(run_copy / "checkpoints")
    (run_copy / "stats.jsonl").write_text('{"step": 3}\n')  # the lost attempt's line
    data = str(run_copy.parent.parent / "data")
    run = train(method_config("digan", "test"), loop_config(data=data, kimg=0.008), outdir=run_copy.parent,
                resume=run_copy, progress=False)
    assert run == run_copy and sorted(p.name for p in run_copy.parent.iterdir()) == [run_copy.name]
    assert "has no checkpoint yet" in capsys.readouterr().err
    assert ckpt.load(ckpt.list_checkpoints(run)[0])["step"] == 2
    assert '"step": 3' not in (run / "stats.jsonl").read_text()


# ---------------------------------------------------------------------------------------------------
# 18. every method's config validated before a run folder exists
# ---------------------------------------------------------------------------------------------------

DIGAN, SG2, MOCO = (["--method", m, "--preset", "test"] for m in ("digan", "stylegan2", "mocogan-hd"))
BAD_CONFIGS = {
    "digan_test_at_256": (DIGAN + ["--resolution", 256], "g_channel_base (128) must be >= resolution (256)"),
    "stylegan2_resolution_3": (SG2 + ["--set", "resolution=3"], "power of two in [8, 1024]"),
    "stylegan2_batch_0": (SG2 + ["--batch", 0], "batch must be >= 1"),
    "stylegan2_lr_nan": (SG2 + ["--set", "lr=nan"], "lr must be a finite number > 0"),
    "stylegan2_lr_negative": (SG2 + ["--set", "lr=-1"], "lr must be a finite number > 0"),
    "stylegan2_mbstd_group_0": (SG2 + ["--set", "mbstd_group=0"], "mbstd_group must be >= 1"),
    "mocogan_g_steps_0": (MOCO + ["--set", "g_steps=0"], "g_steps must be >= 1"),
    "mocogan_n_pca_0": (MOCO + ["--set", "n_pca=0"], "n_pca must be >= 1"),
    "mocogan_pca_samples_0": (MOCO + ["--set", "pca_samples=0"], "pca_samples must be >= 1"),
    "seed_huge": (DIGAN + ["--seed", 10 ** 30], "seed must be a whole number"),
    "device_cuda_without_cuda": (DIGAN + ["--device", "cuda"], "CUDA is not available"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=list(BAD_CONFIGS))
def test_bad_method_config_is_one_line_before_any_run_folder(tmp_path, monkeypatch, capsys, case):
    args, words = BAD_CONFIGS[case]
    if "cuda" in case and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, err = cli(monkeypatch, capsys, "train", *args, "--data", "builtin:shapes", "--kimg", 0.001,
                    "--outdir", tmp_path / "runs", "--quiet", "--workers", 0)
    assert words in one_error(code, err)
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_resume_takes_the_method_from_the_run_folder(tmp_path, monkeypatch, capsys):
    """``train`` prints "resume: --resume RUN" at the end of every run: that line alone continues a run of any
    method (--method defaults to digan, and a stylegan2 / mocogan-hd run refused it); an explicit --method that
    contradicts the run is still refused by name."""
    data = tmp_path / "data"
    mk.good_mp4(data / "a.mp4")
    common = ["--data", data, "--preset", "test", "--snapshot-kimg", 0, "--workers", 0, "--device", "cpu", "--quiet"]
    code, err = cli(monkeypatch, capsys, "train", "--method", "stylegan2", "--kimg", 0.008, "--outdir", tmp_path / "runs",
                    *common)
    assert code == 0, err
    [run] = (tmp_path / "runs").iterdir()
    assert ckpt.list_checkpoints(run)[0].name.endswith("000000002.pt")
    code, err = cli(monkeypatch, capsys, "train", "--resume", run, "--kimg", 0.016, "--quiet")
    assert code == 0, err
    assert ckpt.list_checkpoints(run)[0].name.endswith("000000004.pt")   # 2 more steps of batch 4
    line = one_error(*cli(monkeypatch, capsys, "train", "--method", "digan", "--resume", run, "--kimg", 0.024, "--quiet"))
    assert "is a 'stylegan2' checkpoint, not 'digan'; use --method stylegan2" in line
