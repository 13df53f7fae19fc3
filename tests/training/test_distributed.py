"""Two CPU processes with gloo (torchrun) compute what one process computes with the same global batch."""
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import torch
from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.training import checkpoint as ckpt

ARGS = ["train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--batch", "4",
        "--kimg", "0.012", "--workers", "0", "--device", "cpu", "--quiet", "--set", "mbstd_group=1",
        "--snapshot-kimg", "0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return next(p for p in tmp_path.iterdir() if p.is_dir())


def test_two_gloo_processes_match_one_process(tmp_path):
    """2 gloo processes == 1 process with the same global batch: weights, and Adam's moments, which
    would double if the ranks summed their gradients instead of averaging them (Adam's step itself
    hardly notices a gradient scale, so the weights alone would not show it)."""
    single = run([sys.executable, "-m", "vidsynth", *ARGS, "--outdir", str(tmp_path / "one")], tmp_path / "one")
    double = run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
                  "127.0.0.1", "--master_port", str(free_port()), "-m", "vidsynth", *ARGS,
                  "--outdir", str(tmp_path / "two")], tmp_path / "two")
    config = json.loads((double / "config.json").read_text())
    assert config["world_size"] == 2
    # all ranks hold identical weights at every snapshot
    snaps = [json.loads(line) for line in (double / "snapshots.jsonl").read_text().splitlines()]
    for snap in snaps:
        rank0, rank1 = snap["rank_checksums"]
        assert rank0 == rank1
    # and the result matches the single-process run with the same global batch (float summation order differs)
    a = ckpt.load(ckpt.list_checkpoints(single)[0])["trainer"]
    b = ckpt.load(ckpt.list_checkpoints(double)[0])["trainer"]
    for net in ("G", "D"):
        for k, v in a[net].items():
            if v.is_floating_point():
                torch.testing.assert_close(b[net][k], v, rtol=1e-3, atol=1e-4, msg=f"{net}.{k}")
    # Adam's first moments: averaged gradients match; summed ones would be 2x (relative difference 1).
    # Per tensor, relative to its norm: the two runs sum each gradient in another order (per-rank partial
    # sums + all_reduce), ~1e-6 relative per step, and the 3 steps' slightly different weights feed back
    # into the gradients (measured 2.7e-6); 0.05 leaves room for other processors and stays 20x below 1.
    _assert_same_training(a, b, ("G", "D"), ("opt_G", "opt_D"))
    # micro-batches (batch_gpu 2: two passes of 2, gradients summed) compute the same step in one process
    micro = _train_here([*ARGS[:-2], "--set", "batch_gpu=2", *ARGS[-2:]], tmp_path / "micro")
    _assert_same_training(a, ckpt.load(ckpt.list_checkpoints(micro)[0])["trainer"], ("G", "D"), ("opt_G", "opt_D"))


def _assert_same_training(a: dict, b: dict, nets, opts) -> None:
    """Two checkpoints' trainer states hold the same weights and buffers (float tolerance) and the same Adam
    moments (per tensor, relative to its norm)."""
    for net in nets:
        for k, v in a[net].items():
            if v.is_floating_point():
                torch.testing.assert_close(b[net][k], v, rtol=1e-3, atol=1e-4, msg=f"{net}.{k}")
    # Adam's first moments: averaged gradients match; summed ones would be 2x (relative difference 1).
    # Per tensor, relative to its norm: the two runs sum each gradient in another order (per-rank partial
    # sums + all_reduce), ~1e-6 relative per step, and the 3 steps' slightly different weights feed back
    # into the gradients (measured 2.7e-6); 0.05 leaves room for other processors and stays 20x below 1.
    for opt in opts:
        for i, sa in a[opt]["state"].items():
            ea, eb = sa["exp_avg"], b[opt]["state"][i]["exp_avg"]
            assert (eb - ea).norm() <= 0.05 * ea.norm() + 1e-12, f"{opt} state {i}: |{eb.norm()}| vs |{ea.norm()}|"


def _torchrun(args, outdir):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), "-m", "vidsynth", *args, "--outdir", str(outdir)]
    return run(cmd, outdir)


def test_every_trainer_keeps_ranks_identical(tmp_path):
    """StyleGAN2 and cross-domain MoCoGAN-HD under 2 gloo processes: every rank holds the same state,
    checked by per-rank checksums over parameters, buffers and optimizer state. The buffers include the
    contrastive memory banks, which stay equal only if each rank enqueues every rank's keys (all_gather)."""
    common = ["--preset", "test", "--data", "builtin:shapes", "--workers", "0", "--device", "cpu", "--quiet",
              "--snapshot-kimg", "0"]
    image = _torchrun(["train", "--method", "stylegan2", "--batch", "4", "--kimg", "0.008", *common],
                      tmp_path / "image")
    video = _torchrun(["train", "--method", "mocogan-hd", "--image-generator", str(image), "--cross-domain",
                       "--batch", "2", "--kimg", "0.004", *common], tmp_path / "video")
    for run_dir in (image, video):
        assert json.loads((run_dir / "config.json").read_text())["world_size"] == 2
        for line in (run_dir / "snapshots.jsonl").read_text().splitlines():
            rank0, rank1 = json.loads(line)["rank_checksums"]
            state = ckpt.load(ckpt.list_checkpoints(run_dir)[0])["trainer"]
            assert len(rank0) == len(state) >= 5       # one checksum per net and optimizer
            assert rank0 == rank1, run_dir.name
    # one process with micro-batches of 1 (batch_gpu) draws as the 2 ranks did, and fills the memory banks
    # with the same keys in the same order: the same run
    micro = _train_here(["train", "--method", "mocogan-hd", "--image-generator", str(image), "--cross-domain",
                         "--batch", "2", "--kimg", "0.004", *common, "--set", "batch_gpu=1"], tmp_path / "micro")
    a, b = (ckpt.load(ckpt.list_checkpoints(d)[0])["trainer"] for d in (video, micro))
    _assert_same_training(a, b, ("G_M", "D_V", "D_I"), ("opt_G", "opt_D_V", "opt_D_I"))


def _two_nodes(args, outdirs, port, run_id) -> list[subprocess.Popen]:
    """``torchrun --nnodes 2`` launched twice on this host (node ranks 0 and 1, c10d rendezvous, one gloo process
    each, so LOCAL_RANK is 0 on both), each node with its own ``--outdir``; ``_wait`` for them."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
                              "--node_rank", str(node), "--rdzv_backend", "c10d", "--rdzv_endpoint",
                              f"localhost:{port}", "--rdzv_id", run_id, "-m", "vidsynth", *args,
                              "--outdir", str(outdirs[node])], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env) for node in (0, 1)]


def _wait(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]


def _train_here(args, outdir: Path) -> Path:
    """``vidsynth train ARGS --outdir OUTDIR`` in this process, one thread (no interpreter start and imports to
    pay for, which are most of a test-size run's time); the run folder."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = CliRunner().invoke(main, [*args, "--outdir", str(outdir)], catch_exceptions=False)
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0, result.output
    return next(outdir.iterdir())


def _tree(folder: Path) -> dict:
    """``{relative path: (size, mtime_ns)}`` of every file under ``folder``: what a writer would change."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_nodes_match_one_process_and_resume(tmp_path):
    """Multi-node on CPU, one launch pair: a 1-process run trains 1 step (with R1 and G regularisation, as
    every 2nd step here); each node gets its own copy of that run folder (as after a preemption; on a real
    cluster both would read one shared folder), and two torchrun launches (--nnodes 2, one process each, c10d)
    ``--resume auto`` it to step 3 (one step without, one with regularisation), while this process trains the
    reference: 3 steps straight in one process. Checked: the two nodes' result matches the straight run (so
    resuming is exact and global ranks slice the global batch as one process does); only global rank 0 wrote:
    one copy advanced (a new snapshot, both ranks' checksums equal, config.json now says 2 processes) and the
    other is untouched file for file, although its LOCAL_RANK is also 0; no new run folder on either node."""
    i = ARGS.index("--kimg")
    args = ARGS[:i] + ARGS[i + 2:] + ["--set", "r1_interval=2", "--set", "g_reg_interval=2", "--set", "log=none",
                                       "--set", "sample_videos=1", "--set", "sample_frames=4"]
    first = _train_here([*args, "--kimg", "0.004"], tmp_path / "first")
    assert [ckpt.load(p)["step"] for p in ckpt.list_checkpoints(first)] == [1]
    nodes = [tmp_path / "node0", tmp_path / "node1"]
    for node in nodes:
        shutil.copytree(first, node / first.name)
    before = [_tree(node) for node in nodes]
    pair = _two_nodes([*args, "--kimg", "0.012", "--resume", "auto"], nodes, free_port(), "resumed")
    try:
        single = _train_here([*args, "--kimg", "0.012"], tmp_path / "one")        # meanwhile, the reference
    finally:
        _wait(pair)
    after = [_tree(node) for node in nodes]
    # c10d assigns global ranks by arrival: either node may be rank 0, but exactly one node wrote.
    untouched = [a == b for a, b in zip(after, before)]
    assert sorted(untouched) == [False, True], untouched
    run_dir = nodes[untouched.index(False)] / first.name
    assert [p.name for p in run_dir.parent.iterdir()] == [first.name]         # resumed in place, no new folder
    assert json.loads((run_dir / "config.json").read_text())["world_size"] == 2
    snaps = [json.loads(line) for line in (run_dir / "snapshots.jsonl").read_text().splitlines()]
    assert [s["step"] for s in snaps] == [1, 3]                # the final snapshots (--snapshot-kimg 0)
    rank0, rank1 = snaps[-1]["rank_checksums"]
    assert rank0 == rank1
    # Same tolerance as the 2-process test above: the two ranks sum each gradient in another order
    # (per-rank partial sums + all_reduce), ~1e-6 relative per step.
    a = ckpt.load(ckpt.list_checkpoints(single)[0])
    b = ckpt.load(ckpt.list_checkpoints(run_dir)[0])
    assert a["step"] == b["step"] == 3
    for net in ("G", "D", "G_ema"):
        for k, v in a["trainer"][net].items():
            if v.is_floating_point():
                torch.testing.assert_close(b["trainer"][net][k], v, rtol=1e-3, atol=1e-4, msg=f"{net}.{k}")
