"""batch_gpu: a process's share of the batch in micro-batches, gradients summed (training/micro_batch.py).

That a micro-batched run equals the run of as many processes is tested against real gloo runs in
test_distributed.py (DIGAN: also the plain one-process run); here: the pieces, their sizes, the errors."""
import sys

import pytest
import torch

from vidsynth.cli import run
from vidsynth.config import method_config, validate_mocogan_hd
from vidsynth.errors import ConfigError
from vidsynth.training.digan import DIGANTrainer
from vidsynth.training.micro_batch import BufferMean, micro_batches, micro_rank


def test_pieces_and_their_ranks():
    assert micro_batches(8, 0) == [slice(0, 8)]
    assert micro_batches(8, 8) == micro_batches(8, 16) == [slice(0, 8)]
    assert micro_batches(8, 2) == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8)]
    with pytest.raises(ConfigError, match="batch_gpu 3 must divide each process's share of the batch \\(8\\)"):
        micro_batches(8, 3)
    # process 1 of 2, pieces 0 and 1 of 2: ranks 2 and 3 of 4
    assert [micro_rank(1, 2, i, 2) for i in range(2)] == [(2, 4), (3, 4)]


def test_buffer_mean_averages_what_each_piece_leaves_and_keeps_excluded_buffers():
    class Bank(torch.nn.Module):
        pass
    net = torch.nn.Module()
    net.register_buffer("avg", torch.zeros(2))
    net.bank = Bank()
    net.bank.register_buffer("queue", torch.zeros(2))
    shared = BufferMean([net], 2)
    keep = BufferMean([net], 2, keep=(Bank,))
    assert [b.data_ptr() for b in shared.buffers] == [net.avg.data_ptr(), net.bank.queue.data_ptr()]
    assert [b.data_ptr() for b in keep.buffers] == [net.avg.data_ptr()]

    def piece(value):
        def run():
            net.avg.add_(value)               # a running value moved by the piece
            net.bank.queue.add_(value)        # an appended-to buffer: must see every piece
        return run
    for fn in (keep.wrap(piece(1.0)), keep.wrap(piece(3.0))):
        fn()
    keep.finish()
    assert net.avg.tolist() == [2.0, 2.0]     # each piece from 0: (1 + 3) / 2
    assert net.bank.queue.tolist() == [4.0, 4.0]
    assert BufferMean([net], 1).buffers == []  # one piece: nothing to do


def test_digan_step_runs_pieces_of_batch_gpu():
    """The Ds see passes of batch_gpu pairs (the memory saving is real), and the step's losses are those of the
    whole batch (float summation order: 1e-6 relative)."""
    def step(batch_gpu):
        cfg = method_config("digan", "test", {"batch": 4, "batch_gpu": batch_gpu, "mbstd_group": 1})
        trainer = DIGANTrainer(cfg, torch.device("cpu"), seed=3)
        sizes = []
        trainer.D.motion_d.register_forward_hook(lambda m, args, out: sizes.append(args[0].shape[0]))
        clips = torch.randint(0, 256, (4, 3, cfg.frames, cfg.resolution, cfg.resolution), dtype=torch.uint8,
                              generator=torch.Generator().manual_seed(1))
        stats = trainer.step(0, clips, torch.zeros(4, dtype=torch.long), 4)
        return stats, sizes
    whole, whole_sizes = step(0)
    piecewise, piece_sizes = step(2)
    assert set(whole_sizes) == {4} and set(piece_sizes) == {2}
    assert len(piece_sizes) == 2 * len(whole_sizes)
    assert whole.keys() == piecewise.keys() and "loss/R1" in whole
    for key, value in whole.items():
        assert piecewise[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key


def test_batch_gpu_that_does_not_divide_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["vidsynth", "train", "--method", "digan", "--preset", "test", "--data",
                                      "builtin:shapes", "--batch", "4", "--set", "batch_gpu=3", "--kimg", "0.004",
                                      "--workers", "0", "--device", "cpu", "--quiet", "--outdir", str(tmp_path)])
    with pytest.raises(SystemExit) as exit:
        run()
    err = capsys.readouterr().err
    assert exit.value.code == 2 and "Traceback" not in err, err
    assert "batch_gpu 3 must divide the batch (4)" in err
    assert not any(tmp_path.iterdir())                  # rejected before a run folder exists
    with pytest.raises(ConfigError, match="batch_gpu must be a finite number >= 0"):
        validate_mocogan_hd(method_config("mocogan-hd", "test", {"batch_gpu": -1}))
    # a process's share (batch / processes): the training loop checks it once it knows the number of processes
    with pytest.raises(ConfigError, match="batch_gpu 4 must divide each process's share of the batch \\(6\\)"):
        micro_batches(6, 4)
