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
TOTAL_STEPS = 12          # 0.048 kimg at batch 4; a snapshot (and checkpoint) after every step


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


def newest_checkpoint_step(run) -> int:
    """Step of the newest checkpoint that verifies (what ``--resume`` continues from)."""
    _, state = ckpt.load_latest(run, run.parent, "digan")
    return state["step"]


def wait_for_step(run_parent, proc, step, timeout=180):
    """Wait until the run in ``run_parent`` has logged a snapshot at ``step`` or later (or the process ended)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        runs = list(run_parent.iterdir()) if run_parent.exists() else []
        if runs and any(s >= step for s in snapshot_steps(runs[0])):
            return
        time.sleep(0.05)


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path):
    """SIGKILL a training process at random moments (a snapshot every step: kills land inside steps and
    inside checkpoint writes), resume each time. Guards: every kill lands mid-run (the process was still
    training and the run was not finished), each resumed process continues from the newest checkpoint
    that verifies (its first snapshot is the step after it, never a replay from step 0), and the end
    result is bit-identical to an uninterrupted run."""
    straight = tmp_path / "straight"
    proc = start(straight)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    ref_step, ref = final_weights(next(straight.iterdir()))
    assert ref_step == TOTAL_STEPS
    # the shortest step (+ its snapshot) of this machine, from the straight run's snapshot times
    times = [json.loads(line)["time"] for line in (next(straight.iterdir()) / "snapshots.jsonl").read_text().splitlines()]
    step_time = min(b - a for a, b in zip(times, times[1:]))

    rng = random.Random(1234)
    kills = 12 if FULL else 4
    # kill k once the run has logged the snapshot of step targets[k] (<= 10 of 12), then after a random
    # delay of up to half the shortest step: the kill lands inside the next step or its snapshot writes
    targets = sorted(rng.sample(range(1, TOTAL_STEPS - 1), kills))
    out = tmp_path / "killed"
    resume_from = None            # (run folder, newest checkpoint step) after the previous kill
    for k in range(kills + 1):
        run = next(out.iterdir()) if out.exists() and any(out.iterdir()) else None
        logged_before = len(snapshot_steps(run)) if run else 0
        proc = start(out, *(["--resume", str(run)] if resume_from else []))
        if k < kills:
            wait_for_step(out, proc, targets[k])
            time.sleep(rng.uniform(0.0, 0.5 * step_time))
            assert proc.poll() is None, f"kill {k}: the process had already exited ({proc.returncode}) at the kill"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            run = next(out.iterdir())
            step = newest_checkpoint_step(run)                       # every kill leaves a loadable state
            done = snapshot_steps(run)
            assert targets[k] <= step < TOTAL_STEPS, f"kill {k} landed at step {step}, not mid-run"
            # at most the work since the last completed snapshot is lost
            assert step >= done[-1]
        else:
            assert proc.wait(timeout=600) == 0, proc.stderr.read()
            run = next(out.iterdir())
        if resume_from:
            first_new = snapshot_steps(run)[logged_before]
            assert first_new == resume_from[1] + 1, (
                f"process {k} logged step {first_new} first: it did not continue from the newest checkpoint "
                f"(step {resume_from[1]})")
        if k < kills:
            resume_from = (run, step)
    step, got = final_weights(run)
    assert step == ref_step
    steps = snapshot_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == TOTAL_STEPS     # never went back, never repeated
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
