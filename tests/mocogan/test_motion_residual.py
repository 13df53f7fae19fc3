"""Eq. 2's residual added to w_{t-1} (the paper's cumulative walk) or to w_1 (``motion_residual="first"``): exact
latents from the same coefficients, the bound a walk from w_1 keeps however long it is unrolled, and the option
end to end (config check, trainer, exported model)."""
import pytest
import torch

from vidsynth.config import method_config, validate_method
from vidsynth.errors import ConfigError
from vidsynth.models.mocogan_hd.motion_generator import MotionGenerator


def _pair(seed=0):
    torch.manual_seed(seed)
    prev = MotionGenerator(latent_dim=12, hidden_dim=8, n_pca=6, noise_dim=12, mi_hidden=8, motion_scale=0.5)
    first = MotionGenerator(latent_dim=12, hidden_dim=8, n_pca=6, noise_dim=12, mi_hidden=8, motion_scale=0.5,
                            residual="first")
    first.load_state_dict(prev.state_dict())
    prev.set_pca(torch.linalg.qr(torch.randn(12, 6))[0].T, torch.linspace(0.5, 2.0, 6), torch.zeros(12))
    first.load_state_dict(prev.state_dict())
    return prev, first


def test_the_same_residuals_summed_or_added_to_w1():
    prev, first = _pair()
    w1 = torch.randn(3, 12)
    noise = torch.randn(3, 9, 12)
    a, b = prev(w1, 10, noise=noise), first(w1, 10, noise=noise)
    torch.testing.assert_close(a.hidden, b.hidden)             # the LSTM does not see the latents
    residual_b = b.latents[:, 1:] - w1[:, None]                  # r_t (from w_1)
    steps_a = a.latents[:, 1:] - a.latents[:, :-1]               # r_t (from w_{t-1})
    torch.testing.assert_close(residual_b, steps_a, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(a.latents[:, 1:] - w1[:, None], residual_b.cumsum(1), rtol=1e-5, atol=1e-5)
    assert torch.equal(b.latents[:, 0], w1)


def test_a_walk_from_w1_stays_within_lambda_std():
    """|w_t - w_1| <= lambda |std| (|tanh| < 1 on orthonormal directions) at any length; the cumulative walk
    of the same network has no such bound once its coefficients keep a sign."""
    prev, first = _pair(1)
    with torch.no_grad():
        for m in (prev, first):
            m.to_pca.bias.fill_(2.0)                              # a saturated, constant velocity
    w1 = torch.randn(2, 12)
    bound = 0.5 * torch.linspace(0.5, 2.0, 6).norm().item()
    far_first = (first(w1, 200).latents - w1[:, None]).norm(dim=-1).max().item()
    far_prev = (prev(w1, 200).latents - w1[:, None]).norm(dim=-1).max().item()
    assert far_first <= bound + 1e-5
    assert far_prev > 100 * bound


def test_the_option_end_to_end(tmp_path):
    from vidsynth.training.mocogan_hd import motion_kwargs

    with pytest.raises(ConfigError, match="motion_residual must be one of previous, first"):
        validate_method(method_config("mocogan-hd", "test", {"motion_residual": "sideways"}))
    assert "residual" not in motion_kwargs(method_config("mocogan-hd", "test"), 16)   # the paper's: kwargs unchanged
    kw = motion_kwargs(method_config("mocogan-hd", "test", {"motion_residual": "first"}), 16)
    assert kw["residual"] == "first" and MotionGenerator(**kw).residual == "first"
