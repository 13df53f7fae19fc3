import math

import pytest
import torch
import torch.nn.functional as F

from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, MemoryBank, feature_matching_loss,
                                        infonce_loss, two_view_contrastive_loss)


def test_infonce_lower_when_positives_match():
    g = torch.Generator().manual_seed(0)
    q, queue = torch.randn(8, 16, generator=g), torch.randn(64, 16, generator=g)
    matched = infonce_loss(q, q + 0.01 * torch.randn(8, 16, generator=g), queue)
    unmatched = infonce_loss(q, torch.randn(8, 16, generator=g), queue)
    assert matched < unmatched
    # closed form: one positive with cos 1, Q negatives with cos 0 -> log(1 + Q exp(-1/T))
    e = torch.eye(4)
    loss = infonce_loss(e[:1], e[:1], e[1:].repeat(5, 1), temperature=0.5)
    assert loss.item() == pytest.approx(math.log(1 + 15 * math.exp(-2.0)), rel=1e-5)


def test_two_view_loss_lower_when_views_agree():
    g = torch.Generator().manual_seed(1)
    a, queue = torch.randn(6, 16, generator=g), torch.randn(32, 16, generator=g)
    assert two_view_contrastive_loss(a, a + 0.01 * torch.randn(6, 16, generator=g), queue) < \
        two_view_contrastive_loss(a, torch.randn(6, 16, generator=g), queue)


def test_feature_matching():
    x = torch.randn(5, 8)
    assert feature_matching_loss(x, 3 * x).item() == pytest.approx(-1.0)


def test_memory_bank_fifo_and_size():
    bank = MemoryBank(size=4096, dim=4)
    for step in range(5):  # 5 * 1000 keys > 4096: wraps around
        bank.enqueue(torch.full((1000, 4), float(step)))
        assert bank.queue.shape == (4096, 4)
    ordered = bank.ordered()[:, 0]
    expected = torch.cat([torch.full((96,), 0.0)] + [torch.full((1000,), float(s)) for s in range(1, 5)])
    assert torch.equal(ordered, expected)  # oldest first, the first 904 of step 0 were dropped
    assert int(bank.ptr) == 5000 % 4096


def test_memory_bank_gather_hook():
    calls = []

    def gather(keys):
        calls.append(keys.shape[0])
        return torch.cat([keys, keys])  # pretend two ranks
    bank = MemoryBank(size=10, dim=2, gather=gather)
    bank.enqueue(torch.ones(3, 2))
    assert calls == [3] and int(bank.ptr) == 6


def test_ema_moves_by_one_minus_momentum():
    d = ContrastiveImageDiscriminator(resolution=16, channels=2, proj_dim=8, queue_size=32, momentum=0.9)
    assert all(not p.requires_grad for p in d.discriminator_ema.parameters())
    with torch.no_grad():
        for p in d.discriminator.parameters():
            p.add_(1.0)
    before = [p.clone() for p in d.discriminator_ema.parameters()]
    d.update_ema()
    for b, p_ema, p in zip(before, d.discriminator_ema.parameters(), d.discriminator.parameters()):
        torch.testing.assert_close(p_ema - b, 0.1 * (p - b))


def test_contrastive_discriminator_end_to_end():
    d = ContrastiveImageDiscriminator(resolution=16, channels=2, proj_dim=8, queue_size=32)
    x = torch.randn(4, 3, 16, 16)
    keys = d.keys(x)
    assert keys.shape == (4, 8) and not keys.requires_grad
    d.enqueue(keys, keys)
    assert int(d.bank_first.ptr) == 4
    _, p1 = d(x)
    _, p2 = d(x + 0.01)
    loss = d.contrastive_loss(p1, p2, p1, p2)
    loss.backward()
    assert torch.isfinite(loss) and d.discriminator.proj1.parametrizations.weight.original.grad is not None
