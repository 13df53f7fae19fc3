"""The motion-collapse check: exact values on constructed trajectories, and a trained-looking collapse of a real
motion generator (every tanh coefficient at the same value for every video and step) against its initial state."""
import math

import pytest
import torch

from vidsynth.models.mocogan_hd.motion_diversity import COLLAPSED_COSINE, motion_diversity


def _walk(steps: torch.Tensor) -> torch.Tensor:
    """Steps ``[B, T-1, D]`` -> latents ``[B, T, D]`` starting at the origin."""
    return torch.cat([steps.new_zeros(steps.shape[0], 1, steps.shape[2]), steps.cumsum(1)], 1)


def test_one_straight_line_for_every_video_is_collapsed():
    direction = torch.tensor([3.0, 4.0, 0.0, 0.0])
    m = motion_diversity(_walk(direction.expand(5, 7, 4).clone()))
    assert m["between_videos"] == pytest.approx(1.0) and m["over_time"] == pytest.approx(1.0)
    assert m["straightness"] == pytest.approx(1.0) and m["step"] == pytest.approx(5.0)
    assert m["collapsed"] is True


def test_videos_on_orthogonal_lines_are_not():
    steps = torch.eye(4)[:, None, :].expand(4, 6, 4) * 2.0          # video i moves along axis i
    m = motion_diversity(_walk(steps.clone()))
    assert m["between_videos"] == pytest.approx(0.0) and m["over_time"] == pytest.approx(1.0)
    assert m["straightness"] == pytest.approx(1.0) and m["collapsed"] is False


def test_back_and_forth():
    """Steps +e, -e, +e, ...: consecutive steps opposite (cosine -1); the walk ends one step from its start
    after 3 steps (straightness 1/3); two videos in phase (cosine 1 at every t)."""
    e = torch.tensor([1.0, 0.0])
    steps = torch.stack([e, -e, e])[None].expand(2, 3, 2).clone()
    m = motion_diversity(_walk(steps))
    assert m["over_time"] == pytest.approx(-1.0) and m["straightness"] == pytest.approx(1 / 3)
    assert m["between_videos"] == pytest.approx(1.0)


def test_between_videos_is_the_mean_over_pairs_and_steps():
    """Three videos of two steps: the mean cosine over the ordered pairs of different videos and over t."""
    e0, e1, e2 = torch.eye(3)
    steps = torch.stack([torch.stack([e0, e1]), torch.stack([e0, e2]), torch.stack([e1, e2])])   # [3, 2, 3]
    m = motion_diversity(_walk(steps))
    # t=0: (v0, v1) 1, (v0, v2) 0, (v1, v2) 0 -> 1/3; t=1: (v0, v1) 0, (v0, v2) 0, (v1, v2) 1 -> 1/3
    assert m["between_videos"] == pytest.approx(1 / 3)


def test_rejects_too_few_videos_or_frames():
    with pytest.raises(ValueError, match="B >= 2, T >= 3"):
        motion_diversity(torch.zeros(1, 5, 4))
    with pytest.raises(ValueError, match="B >= 2, T >= 3"):
        motion_diversity(torch.zeros(3, 2, 4))


def test_a_motion_generator_at_its_start_and_collapsed():
    """The test preset's motion generator as initialised draws different motions (|cosine| well below the line);
    with its output layer forced to one saturated coefficient vector (what the trained tiny runs converge to) every
    video walks the same straight line."""
    from vidsynth.models.mocogan_hd.motion_generator import MotionGenerator

    torch.manual_seed(0)
    mg = MotionGenerator(latent_dim=16, hidden_dim=16, n_pca=8, noise_dim=16, mi_hidden=16)
    basis = torch.linalg.qr(torch.randn(16, 8))[0].T                    # [8, 16] orthonormal rows
    mg.set_pca(basis, torch.ones(8), torch.zeros(16))
    w1 = torch.randn(8, 16)
    fresh = motion_diversity(mg(w1, 12, generator=torch.Generator().manual_seed(1)).latents)
    assert abs(fresh["between_videos"]) < 0.3 and fresh["collapsed"] is False
    with torch.no_grad():
        mg.to_pca.weight.zero_()
        mg.to_pca.bias.copy_(torch.linspace(-3, 3, 8))
    stuck = motion_diversity(mg(w1, 12, generator=torch.Generator().manual_seed(1)).latents)
    assert stuck["between_videos"] == pytest.approx(1.0) and stuck["straightness"] == pytest.approx(1.0)
    assert stuck["collapsed"] is True and stuck["between_videos"] > COLLAPSED_COSINE
    assert stuck["step"] == pytest.approx(mg.motion_scale * math.sqrt(sum(math.tanh(b) ** 2 for b in torch.linspace(-3, 3, 8).tolist())), rel=1e-5)
