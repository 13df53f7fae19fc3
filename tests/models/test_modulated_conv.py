"""ModulatedConv2d's two formulations (fused grouped conv vs shared-weight conv + demodulation) and
StyleGAN2's in-place inference path (NCHW or channels-last) give the same numbers as the reference formulation.

Tolerances: both sides are the same float32 products summed in another order (a grouped conv with
per-sample weights W*s*d vs a conv of x*s with W, scaled by d afterwards; the demodulation sum taken
as sum_i s_i^2 sum_kk W^2 instead of sum_{i,kk} (W s)^2). A float32 sum of K terms moves by at most
K * u (u = 6e-8) of its absolute sum; here K <= 16 channels x 9 taps = 144 per output and a few
products per term, so <= ~1e-5 relative to the largest output: ``REL = 2e-5``. A wrong formulation
(no demodulation, wrong gain, wrong transpose) moves outputs by >= 1e-2 relative.
"""
from __future__ import annotations

import pytest
import torch

from vidsynth.models.stylegan2 import StyleGAN2Generator
from vidsynth.nn.modulated_conv import ModulatedConv2d
from tests.tolerances import LAYOUT_ATOL

REL = 2e-5


def assert_rel_close(a: torch.Tensor, b: torch.Tensor, rel: float = REL) -> None:
    diff = (a - b).abs().max().item()
    scale = b.abs().max().item()
    assert diff <= rel * max(scale, 1e-30), f"max |a - b| = {diff:.3g} > {rel} * {scale:.3g}"


@pytest.fixture(autouse=True)
def restore_fused():
    yield
    ModulatedConv2d.fused = None


def run(conv: ModulatedConv2d, fused: bool, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    conv.fused = fused
    try:
        return conv(x, w)
    finally:
        del conv.fused   # back to the class setting


@pytest.mark.parametrize("kernel, demodulate, upsample", [(3, True, False), (3, True, True), (1, False, False)])
def test_unfused_matches_fused(kernel, demodulate, upsample):
    torch.manual_seed(0)
    conv = ModulatedConv2d(16, 12, kernel, style_dim=8, demodulate=demodulate, upsample=upsample)
    x, w = torch.randn(3, 16, 6, 6), torch.randn(3, 8)
    fused, unfused = run(conv, True, x, w), run(conv, False, x, w)
    size = 12 if upsample else 6
    assert fused.shape == unfused.shape == (3, 12, size, size)
    assert_rel_close(unfused, fused)
    # and each sample is the sample alone (no mixing across the batch in either path)
    assert_rel_close(run(conv, False, x[1:2], w[1:2]), fused[1:2])


def test_unfused_gradients_match_fused():
    """Training back-propagates through the frozen G to w (MoCoGAN-HD) and to the weights (StyleGAN2)."""
    torch.manual_seed(1)
    conv = ModulatedConv2d(16, 12, 3, style_dim=8, upsample=True)
    x, w = torch.randn(2, 16, 5, 5), torch.randn(2, 8)
    target = torch.randn(2, 12, 10, 10)
    grads = []
    for fused in (True, False):
        xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        conv.zero_grad()
        (run(conv, fused, xg, wg) * target).sum().backward()
        grads.append([xg.grad, wg.grad, conv.weight.grad.clone(), conv.modulation.weight.grad.clone()])
    for g_fused, g_unfused in zip(*grads):
        assert_rel_close(g_unfused, g_fused, 1e-4)   # backward sums ~4x more terms than forward


def test_automatic_choice_and_override():
    conv = ModulatedConv2d(4, 4, 3, style_dim=4)
    cpu = torch.zeros(1, 4, 3, 3)
    meta = torch.empty(1, 4, 3, 3, device="meta")
    assert conv.use_fused(cpu) is False           # CPU: the shared-weight conv (oneDNN's grouped conv is slow)
    assert conv.use_fused(meta) is True           # other devices: the paper's grouped conv
    ModulatedConv2d.fused = True
    assert conv.use_fused(cpu) is True
    conv.fused = False                            # one layer overrides the class setting
    assert conv.use_fused(cpu) is False and ModulatedConv2d(4, 4, 3, 4).use_fused(cpu) is True


@pytest.fixture(scope="module")
def g32():
    torch.manual_seed(0)
    g = StyleGAN2Generator(32, style_dim=16, n_mlp=2, channel_max=16).eval().requires_grad_(False)
    with torch.no_grad():  # non-zero noise strengths and biases, so the in-place path's every term counts
        for i, conv in enumerate([g.conv1, *g.convs]):
            conv.noise.weight.fill_(0.3 + 0.1 * i)
            conv.activate.bias.normal_()
    return g


def test_generator_fused_unfused_and_in_place_agree(g32):
    """The image is the same with the fused or the unfused modulated conv, and with or without the
    in-place inference path (``inference_mode``: noise, bias, lrelu overwrite the conv output)."""
    torch.manual_seed(2)
    w = g32.mapping(torch.randn(3, 16))
    noise = g32.sample_noise(3, torch.Generator().manual_seed(3))
    images = {}
    for fused in (True, False):
        ModulatedConv2d.fused = fused
        images[fused, "graph"] = g32.synthesize(w, noise=noise, clamp=False)     # grad mode: out of place
        with torch.inference_mode():
            images[fused, "in_place"] = g32.synthesize(w, noise=noise, clamp=False)
    g32.channels_last = True                                                      # NHWC layout
    try:
        with torch.inference_mode():
            images[False, "channels_last"] = g32.synthesize(w, noise=noise, clamp=False)
    finally:
        del g32.channels_last
    assert images[False, "channels_last"].is_contiguous()
    reference = images[True, "graph"]
    assert reference.abs().max() > 0.1
    for key, image in images.items():
        # a whole 32 px generator: 8 layers of sums like the one above compound; LAYOUT_ATOL (see
        # tests/tolerances.py) bounds that for outputs of O(1)
        torch.testing.assert_close(image, reference, rtol=0, atol=LAYOUT_ATOL, msg=lambda m: f"{key}: {m}")
    # in place vs out of place: the same ops in the same order, so equal to the last bit
    assert torch.equal(images[False, "in_place"], images[False, "graph"])
    assert torch.equal(images[True, "in_place"], images[True, "graph"])
