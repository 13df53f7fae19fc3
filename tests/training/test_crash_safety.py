"""Crash safety: SIGKILL at random moments, resume every time, end bit-identical; SIGINT saves and exits."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from vidsynth.training import checkpoint as ckpt

FULL = os.environ.get("VIDSYNTH_FULL") == "1"
ARGS = ["train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--kimg", "0.048",
        "--snapshot-kimg", "0.004", "--workers", "0", "--device", "cpu", "--quiet"]
ENV = dict(os.environ, OMP_NUM_THREADS="1")


def start(outdir, *extra):
    return subprocess.Popen([sys.executable, "-m", "vidsynth", *ARGS, "--outdir", str(outdir), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True)


def final_weights(run):
    state = ckpt.load(ckpt.list_checkpoints(run)[0])
    return state["step"], state["trainer"]


def snapshot_steps(run):
    path = run / "snapshots.jsonl"
    steps = []
    for line in (path.read_text().splitlines() if path.exists() else []):
        try:
            steps.append(json.loads(line)["step"])
        except json.JSONDecodeError:
            pass
    return steps


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path):
    straight = tmp_path / "straight"
    proc = start(straight)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    ref_step, ref = final_weights(next(straight.iterdir()))

    rng = random.Random(1234)
    kills = 12 if FULL else 4
    out = tmp_path / "killed"
    for attempt in range(kills + 50):
        runs = list(out.iterdir()) if out.exists() else []
        resumable = [r for r in runs if ckpt.list_checkpoints(r)]
        for r in runs:                       # killed before its first checkpoint: nothing to lose
            if r not in resumable:
                import shutil
                shutil.rmtree(r)
        proc = start(out, *(["--resume", str(resumable[0])] if resumable else []))
        if attempt < kills:
            deadline = time.time() + 120        # wait until this process trains, then kill it at a random moment
            while time.time() < deadline and proc.poll() is None and not (out.exists() and any(out.iterdir())):
                time.sleep(0.1)
            time.sleep(rng.uniform(0.5, 4.0))
            if proc.poll() is None:
                before = snapshot_steps(resumable[0]) if resumable else []
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                run = next(out.iterdir(), None) if out.exists() else None
                if run is not None and ckpt.list_checkpoints(run):
                    _, state = ckpt.load_latest(run, out, "digan")     # every kill leaves a loadable state
                    done = snapshot_steps(run)
                    # at most the work since the last completed snapshot is lost
                    assert state["step"] >= (done[-1] if done else 0) >= (before[-1] if before else 0)
                continue
        assert proc.wait(timeout=600) == 0, proc.stderr.read()
        break
    run = next(out.iterdir())
    step, got = final_weights(run)
    assert step == ref_step == 12
    for net in ("G", "D", "G_ema", "opt_G", "opt_D"):
        if net.startswith("opt"):
            for i, s in ref[net]["state"].items():
                assert torch.equal(s["exp_avg_sq"], got[net]["state"][i]["exp_avg_sq"])
            continue
        for k, v in ref[net].items():
            assert torch.equal(v, got[net][k]), f"{net}.{k}"


def test_sigint_saves_a_final_checkpoint_and_exits_cleanly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "vidsynth", "train", "--method", "digan", "--preset", "test",
                             "--data", "builtin:shapes", "--kimg", "100", "--snapshot-kimg", "0", "--workers", "0",
                             "--device", "cpu", "--quiet", "--outdir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        runs = list(tmp_path.iterdir())
        if runs and (runs[0] / "stats.jsonl").exists():
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "SIGINT received: saved a final checkpoint" in err
    run = next(tmp_path.iterdir())
    step, _ = final_weights(run)
    assert step > 0 and (run / "model" / "model.safetensors").exists()
