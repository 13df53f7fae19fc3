"""Training resumes exactly: N steps straight == N/2 steps + resume + N/2 steps (identical weights on CPU)."""
import torch

from tests.recording import record_steps
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.digan import DIGANTrainer
from vidsynth.training.loop import train

from .conftest import loop_config


def final_state(run):
    return ckpt.load(ckpt.list_checkpoints(run)[0])


def test_resume_is_bit_identical(tmp_path, tiny_cfg, monkeypatch):
    """A resumed DIGAN run starts at the checkpoint's step, runs only the remaining steps, and ends
    bit-identical to a straight run (guards: the resume state is loaded at all, and all of it)."""
    # batch 4 -> 0.016 kimg = 4 steps; the R1 step (step 0) and EMA both happen inside the window
    straight = train(tiny_cfg, loop_config(kimg=0.016), outdir=tmp_path / "a", progress=False)
    half = train(tiny_cfg, loop_config(kimg=0.008), outdir=tmp_path / "b", progress=False)
    assert final_state(half)["step"] == 2
    ran = record_steps(monkeypatch, DIGANTrainer)
    resumed = train(tiny_cfg, loop_config(kimg=0.016), outdir=tmp_path / "b", resume=half, progress=False)
    assert resumed == half
    assert ran == [2, 3], f"the resumed process ran steps {ran}, not the remaining [2, 3]"
    a, b = final_state(straight), final_state(resumed)
    assert a["step"] == b["step"] == 4 and a["nimg"] == b["nimg"] == 16
    for net in ("G", "D", "G_ema"):
        for k, v in a["trainer"][net].items():
            assert torch.equal(v, b["trainer"][net][k]), f"{net}.{k} differs after resume"
    # optimizer moments too
    sa, sb = a["trainer"]["opt_G"]["state"], b["trainer"]["opt_G"]["state"]
    assert all(torch.equal(sa[i]["exp_avg"], sb[i]["exp_avg"]) for i in sa)


def test_interrupted_resume_changes_nothing_without_training_left(tmp_path, tiny_cfg, monkeypatch):
    """Resuming a finished run trains no step at all (it would retrain from 0 if the state were not loaded)."""
    run = train(tiny_cfg, loop_config(kimg=0.008), outdir=tmp_path, progress=False)
    before = final_state(run)
    ran = record_steps(monkeypatch, DIGANTrainer)
    train(tiny_cfg, loop_config(kimg=0.008), outdir=tmp_path, resume="auto", progress=False)
    after = final_state(run)
    assert after["step"] == before["step"] and ran == []
