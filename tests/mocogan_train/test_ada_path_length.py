"""StyleGAN2 trainer regularisers: ADA's adaptive p, its augmentations, path-length regularisation,
ADA's R1 gamma rule, and the config checks around them. Tiny configs, a few steps each."""
from __future__ import annotations

import math

import pytest
import torch

from vidsynth.config import method_config, r1_gamma, validate_mocogan_hd, validate_stylegan2
from vidsynth.errors import ConfigError
from vidsynth.training.ada import AdaptiveAugment, ada_augment, isotropic_scale, rotate90
from vidsynth.training.path_length import PathLengthRegularizer, path_lengths
from vidsynth.training.stylegan2 import StyleGAN2Trainer


def _trainer(**overrides) -> StyleGAN2Trainer:
    return StyleGAN2Trainer(method_config("stylegan2", "test", overrides), torch.device("cpu"), seed=0)


def _reals(n=4, seed=0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------------- ADA
def test_ada_p_follows_the_overfitting_heuristic():
    # batch 4, interval 2, speed 0.1 kimg: one adjustment moves p by 4 * 2 / 100 = 0.08 (ADA's formula)
    ada = AdaptiveAugment("ada", p=0.5, target=0.6, interval=2, speed_kimg=0.1, batch=4)
    ada.accumulate(torch.tensor([1.0, 2.0, 3.0, -1.0]))        # sign mean so far 0.5
    assert ada.update(0) is None and ada.p == 0.5              # only every 2nd step
    ada.accumulate(torch.tensor([1.0, 1.0, 1.0, 1.0]))         # r_t = (2 + 4) / 8 = 0.75 > 0.6: D overfits
    assert ada.update(1) == pytest.approx(0.75) and ada.p == pytest.approx(0.58)
    ada.accumulate(-torch.ones(8))                             # r_t = -1 < 0.6: less augmentation
    ada.update(3)
    assert ada.p == pytest.approx(0.50)
    for _ in range(10):                                         # clamped to [0, 1]
        ada.accumulate(-torch.ones(8))
        ada.update(1)
    assert ada.p == 0.0
    fixed = AdaptiveAugment("fixed", p=0.3, interval=1)
    fixed.accumulate(torch.ones(4))
    assert fixed.update(0) is None and fixed.p == 0.3


def test_ada_augmentations():
    x = torch.rand(64, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    assert ada_augment(x, 0.0) is x                                    # p = 0: untouched, no draws
    g = torch.Generator().manual_seed(1)
    changed = (ada_augment(x, 1.0, generator=g) - x).abs().flatten(1).amax(1) > 1e-6
    assert changed.all()                                               # p = 1: every image transformed
    changed = (ada_augment(x, 0.2, ("color",), generator=g) - x).abs().flatten(1).amax(1) > 1e-6
    assert 4 <= changed.sum() <= 22                                    # ~ Binomial(64, 0.2): mean 12.8, sd 3.2
    r = rotate90(x, torch.Generator().manual_seed(2))
    for i in range(8):                                                 # each image is one of its 4 rotations
        assert any(torch.equal(r[i], torch.rot90(x[i], k, dims=(1, 2))) for k in range(4))
    assert torch.allclose(isotropic_scale(x, std=0.0), x, atol=1e-5)   # scale 2^0 = 1: identity


def test_ada_p_rises_on_an_overfitting_discriminator_and_is_checkpointed():
    tr = _trainer(ada_interval=1, ada_kimg=0.1)                        # p moves 4 / 100 per step
    with torch.no_grad():
        tr.D.out.bias.fill_(100.0)                                     # D calls everything real: r_t = 1
    stats = tr.step(0, _reals(), None, 4)
    assert stats["ADA/r_t"] == 1.0 and tr.ada.p == pytest.approx(0.04)
    assert tr.state_dict()["ada"]["p"] == pytest.approx(0.04)
    fresh = _trainer(ada_interval=1, ada_kimg=0.1)
    fresh.load_state_dict(tr.state_dict())
    assert fresh.ada.p == pytest.approx(0.04)


def test_r1_gamma_rule_and_validation():
    cfg = method_config("stylegan2", "paper256")
    assert cfg.r1_gamma < 0 and r1_gamma(cfg) == pytest.approx(0.0002 * 256 ** 2 / 32)   # 0.4096
    assert r1_gamma(method_config("stylegan2", "paper256", {"r1_gamma": 10})) == 10
    assert _trainer(r1_gamma=-1).r1_gamma == pytest.approx(0.0002 * 16 ** 2 / 4)
    for bad, match in (({"augment": "sometimes"}, "augment must be"), ({"ada_pipeline": "xflip,warp"}, "warp"),
                       ({"diffaugment": "color"}, "use one"), ({"augment_p": 1.5}, "augment_p"),
                       ({"pl_weight": -1.0}, "pl_weight"), ({"ada_target": float("nan")}, "ada_target")):
        with pytest.raises(ConfigError, match=match):
            validate_stylegan2(method_config("stylegan2", "test", bad))
    validate_stylegan2(method_config("stylegan2", "tiny"))          # DiffAugment with augment=noaug is fine
    with pytest.raises(ConfigError, match="noise must be one of"):
        validate_mocogan_hd(method_config("mocogan-hd", "test", {"noise": "per_frame"}))


# ----------------------------------------------------------------------------------- path length
def test_path_length_penalty_matches_a_hand_computation():
    # images = ws contracted with a fixed A: d(images . y)/dws = A^T y, so a = sqrt(mean_l sum_d (A^T y)^2)
    g = torch.Generator().manual_seed(0)
    A = torch.randn(2, 4, 3, 2, 2, generator=g)                        # [num_ws, D, 3, H, W]
    ws = torch.randn(3, 2, 4, generator=g, requires_grad=True)         # [N, num_ws, D]
    images = torch.einsum("nld,ldchw->nchw", ws, A)
    y = torch.randn(3, 3, 2, 2, generator=g) / 2                       # / sqrt(H W)
    grad = torch.einsum("nchw,ldchw->nld", y, A)
    expected = grad.square().sum(2).mean(1).sqrt()
    assert torch.allclose(path_lengths(images, ws, y), expected, atol=1e-6)

    reg = PathLengthRegularizer(decay=0.01)
    reg.mean = 0.5
    reg.direction = lambda images, generator=None: y
    penalty, lengths = reg.penalty(images, ws)
    mean = 0.5 + 0.01 * (expected.mean().item() - 0.5)                # EMA first, then the penalty
    assert reg.mean == pytest.approx(mean)
    assert penalty.item() == pytest.approx(((expected - mean) ** 2).mean().item(), rel=1e-5)


def test_path_length_regularisation_changes_the_generator_step():
    reals = _reals()
    with_pl, without = _trainer(augment="noaug"), _trainer(augment="noaug", pl_weight=0.0)
    stats = with_pl.step(0, reals, None, 4)                            # step 0 % g_reg_interval == 0: PL step
    without.step(0, reals, None, 4)
    assert stats["loss/PL"] > 0 and stats["PL/mean"] > 0
    assert with_pl.state_dict()["path_length"]["mean"] == stats["PL/mean"]
    # the G update differs only by the PL term (the D step that follows draws differently, so compare G)
    diff = max((a - b).abs().max().item() for a, b in zip(with_pl.G.parameters(), without.G.parameters()))
    assert diff > 1e-6
    assert "loss/PL" not in with_pl.step(1, reals, None, 8)            # lazy: not on odd steps (interval 2)
    assert math.isfinite(with_pl.path_length.mean)
