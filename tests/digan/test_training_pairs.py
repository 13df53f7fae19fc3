"""The (frame, frame, dt) pairs DIGAN's trainer shows its motion D: which frames, in which order, what dt."""
import torch

from vidsynth.config import method_config
from vidsynth.training.digan import DIGANTrainer, StepRandom

T = 8


def index_clips(n: int) -> torch.Tensor:
    """uint8 clips ``[n, 3, T, 4, 4]`` whose frame i is filled with the value 30 * i (its index, readable back)."""
    return (torch.arange(T, dtype=torch.uint8) * 30).view(1, 1, T, 1, 1).expand(n, 3, T, 4, 4).contiguous()


def test_real_pairs_are_ordered_frames_with_their_clip_time_gap():
    """Guards the real pair: channels 0-2 frame i1, 3-5 frame i2 >= i1, plane dt = (i2 - i1) / (T - 1) >= 0,
    the same convention as the fake pairs (frame i at t = i / (T - 1))."""
    trainer = DIGANTrainer(method_config("digan", "test"), torch.device("cpu"), seed=0)
    pairs = [trainer._real_pair(index_clips(64), StepRandom(0, step, "cpu", 64, 0, 1)) for step in range(3)]
    pair = torch.cat(pairs)                                                # [192, 7, 4, 4]
    i1 = ((pair[:, 0, 0, 0] + 1) * 127.5 / 30).round()
    i2 = ((pair[:, 3, 0, 0] + 1) * 127.5 / 30).round()
    dt = pair[:, 6, 0, 0]
    assert (i2 >= i1).all() and (i2 > i1).any()
    torch.testing.assert_close(dt, (i2 - i1) / (T - 1))
    assert 0 < i1.float().mean() < i2.float().mean() < T - 1    # Beta(2,1) / Beta(1,2) draws, sorted


def test_fake_pairs_carry_the_positive_time_gap_they_were_rendered_at():
    """Guards the fake pair's dt plane: t2 - t1 of the sorted render times, in [0, 1], constant per pair."""
    trainer = DIGANTrainer(method_config("digan", "test"), torch.device("cpu"), seed=0)
    with torch.no_grad():
        pair = trainer._fake_pair(None, StepRandom(0, 0, "cpu", 16, 0, 1))
    dt = pair[:, 6]
    assert (dt >= 0).all() and (dt <= 1).all() and (dt > 0).any()
    assert torch.equal(dt, dt[:, :1, :1].expand_as(dt))                   # a constant plane per pair
