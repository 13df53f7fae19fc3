"""DIGANTrainer.step runs the official phases with the loss functions the fixture tests check:
Gmain, Dmain every step, and Dreg (lazy R1) as its own Adam step every ``r1_interval`` steps."""
from __future__ import annotations

import copy

import pytest
import torch

from vidsynth.config import method_config
from vidsynth.training.digan import DIGANTrainer, StepRandom, discriminator_loss, generator_loss, lazy_r1_loss


def _clips(cfg, n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, cfg.frames, cfg.resolution, cfg.resolution), generator=g, dtype=torch.uint8)


def _adam_steps(opt: torch.optim.Optimizer) -> int:
    return max(int(s["step"]) for s in opt.state.values())


@pytest.fixture
def trainer():
    cfg = method_config("digan", "test", {"r1_interval": 2})
    return DIGANTrainer(cfg, torch.device("cpu"), seed=0)


def test_lazy_r1_is_its_own_adam_step(trainer):
    """Steps 0..3 with r1_interval 2: D takes 4 main + 2 R1 steps (the official 17 per 16 at interval 16), G 4."""
    labels = torch.full((4,), -1)
    stats = [trainer.step(s, _clips(trainer.cfg, seed=s), labels, cur_nimg=4 * s) for s in range(4)]
    assert _adam_steps(trainer.opt_D) == 6
    assert _adam_steps(trainer.opt_G) == 4
    assert ["loss/R1" in s for s in stats] == [True, False, True, False]


def test_step_losses_are_the_checked_loss_functions(trainer):
    """The trainer's G, D and R1 numbers are those of generator_loss / discriminator_loss / lazy_r1_loss (the
    functions compared with the official code) on the step's own random draws."""
    cfg, clips, labels = trainer.cfg, _clips(trainer.cfg), torch.full((4,), -1)
    twin = copy.deepcopy(trainer)
    stats = trainer.step(0, clips, labels, cur_nimg=0)

    r = StepRandom(twin.seed, 0, twin.device, 4, 0, 1)
    g_loss = sum(generator_loss(twin.D, twin._augment(twin._fake_pair(None, r), r)).values())
    assert stats["loss/G"] == pytest.approx(g_loss.item(), rel=1e-6)   # same ops, same order: equal up to round-off
    twin.apply(g_loss, twin.G, twin.opt_G)
    with torch.no_grad():
        fake = twin._fake_pair(None, r)
    real = twin._real_pair(clips, r)
    terms, _ = discriminator_loss(twin.D, twin._augment(fake, r), twin._augment(real, r))
    d_loss = sum(terms.values())
    assert stats["loss/D"] == pytest.approx(d_loss.item(), rel=1e-6)
    twin.apply(d_loss, twin.D, twin.opt_D)
    loss_r1, r1 = lazy_r1_loss(twin.D, real, None, lambda x: twin._augment(x, r), cfg.r1_gamma, cfg.r1_interval)
    assert stats["loss/R1"] == pytest.approx(r1.item(), rel=1e-6)
    twin.apply(loss_r1, twin.D, twin.opt_D)
    # The same three D updates by the same ops in the same order: equal up to float32 round-off.
    for a, b in zip(trainer.D.parameters(), twin.D.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
