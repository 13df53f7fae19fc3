"""FLOP counting: a tiny DIGAN against a hand count of its FMM matmuls; paper-scale counts."""
import math

import pytest
import torch

from vidsynth.bench import get_subject
from vidsynth.bench.flops import MACCounter
from vidsynth.bench.runner import run_bench


def hand_count_digan(cfg, frames: int) -> float:
    """Multiply-adds of the per-pixel layers of DIGAN's INR generator, from the paper's description:
    blocks at 4, 8, ..., R; those up to the input grid run on the input grid, later ones double it;
    the first and every upsampling block read fresh Fourier features (2 * emb_size channels);
    2 FMM layers per block (1 in the first, +1 from ``extra_layers_from``) and a toRGB (C -> 3)."""
    total = 0
    prev = None
    for k in range(2, int(math.log2(cfg.resolution)) + 1):
        r = 2 ** k
        ch = min(cfg.g_channel_base // r, cfg.g_channel_max)
        grid = max(r, cfg.input_resolution)
        points = frames * grid * grid
        embed = r == 4 or r > cfg.input_resolution
        c_in = (prev or 0) + (2 * cfg.emb_size if embed else 0)
        layers = 1 if r == 4 else 2 + (r >= cfg.extra_layers_from)
        for i in range(layers):
            total += points * (c_in if i == 0 else ch) * ch
        total += points * ch * 3
        prev = ch
    return total


@pytest.mark.parametrize("name", ["digan-tiny", "digan-paper128"])   # digan-test: mapping MLP is >5%
def test_digan_count_matches_hand_count(name):
    subject = get_subject(name)
    counted = subject.count_generator(subject.frames)["macs"]
    expected = hand_count_digan(subject.cfg, subject.frames)
    assert counted == pytest.approx(expected, rel=0.05)
    assert counted >= expected          # the counter also sees mapping / affine layers, never less


def test_paper_scale_counts_near_paper():
    """Counted on the meta device, so this is fast; within 10% of the paper, see bench/paper.py."""
    out = run_bench(["digan-paper128", "mocogan-hd-ucf128"], measures=["flops"], i3d=False)
    digan, moco = (r["generator"]["gmac_per_video"] for r in out["results"])
    assert digan == pytest.approx(157.3, rel=0.005)
    assert moco == pytest.approx(726.0, rel=0.005)
    cmp = out["paper_comparison"]
    assert abs(cmp["digan"]["gmac"]["ratio"] - 1) < 0.10
    assert abs(cmp["mocogan-hd"]["gmac"]["ratio"] - 1) < 0.10
    assert 4.0 < cmp["mocogan_hd_over_digan"]["gmac"]["ours"] < 5.2     # paper: 4.6x


def test_mac_counter_matches_flop_counter_and_counts_double_backward():
    """MACCounter uses the counter's formulas without its module tracking, so it also counts inside
    ``torch.autograd.grad`` (R1), where FlopCounterMode fails."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    with MACCounter() as ours:
        conv(x).square().sum().backward()
    with FlopCounterMode(display=False) as reference:
        conv(x).square().sum().backward()
    # forward: 2 x 4 x 6 x 6 outputs x 27 MACs; backward: the same again for the input and the weight grads
    assert ours.macs == reference.get_total_flops() / 2 == 3 * 2 * 4 * 6 * 6 * 27
    with MACCounter() as r1:
        (grad,) = torch.autograd.grad(conv(x).sum(), x, create_graph=True)
        grad.square().sum().backward()
    assert r1.macs > ours.macs


def demodulation_macs(G, batch_frames: int) -> int:
    """The unfused modulated conv's extra matmul (``style^2 @ sum_kk W^2``): N x in x out per demodulated layer."""
    from vidsynth.nn.modulated_conv import ModulatedConv2d

    return sum(batch_frames * m.in_channels * m.out_channels for m in G.modules()
               if isinstance(m, ModulatedConv2d) and m.demodulate)


@pytest.mark.parametrize("name", ["digan-test", "mocogan-hd-test", "mocogan-hd-tiny"])
@pytest.mark.parametrize("mode", ["inference_mode", "no_grad"])
def test_executed_macs_equal_meta_count(name, mode, one_thread, monkeypatch):
    """MACCounter on a real render (what the bench counts for both sides of ``--measure official``) sees every
    matmul and convolution, under inference_mode too (composite ops decomposed: conv2d, conv_transpose2d,
    linear, matmul, lstm_cell), and equals the meta-device count of what executes on CPU (``executed_on``)."""
    subject = get_subject(name)
    lat = subject.latents(1, "cpu")
    with getattr(torch, mode)(), MACCounter() as counter:
        subject.generate(lat, subject.frames)
    meta = subject.count_generator(subject.frames, 1, **subject.executed_on("cpu"))["macs"]
    assert counter.macs == meta > 0
    if subject.method == "digan":
        # DIGAN renders in pieces of points without autograd (1024 points a video here: 16 pieces of 64)
        G = subject.build("cpu")["G"]
        monkeypatch.setattr(G, "point_chunk", 64)
        with getattr(torch, mode)(), MACCounter() as pieces:
            subject.generate(lat, subject.frames)
        assert pieces.macs == meta
    if subject.method == "mocogan-hd":
        # the published (grouped) form differs by exactly the demodulation matmuls of the unfused one
        published = subject.count_generator(subject.frames, 1)["macs"]
        assert meta - published == demodulation_macs(subject.build("cpu")["G"], subject.frames) > 0
        assert subject.executed_on("cuda") == {"fused": True}


def test_cpu_time_splits_user_from_system_time():
    """Pure-Python arithmetic is user time: ~0.3 s of it is many scheduler ticks (1-10 ms each); the bound
    is a third of that, for slower machines."""
    from vidsynth.bench.timing import CPUTime

    with CPUTime() as cpu:
        for _ in range(3):                        # a fixed amount of work (~0.3 s), whatever the load
            sum(range(10 ** 7))
    assert cpu.user_s > 0.1 and cpu.sys_s < cpu.user_s
