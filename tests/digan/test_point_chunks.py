"""DIGAN's blocks rendered in pieces of points (vidsynth/models/digan/point_chunks.py) equal the unchunked blocks."""
import pytest
import torch

from vidsynth.models.digan import DIGANGenerator
from vidsynth.models.digan import generator as generator_module
from vidsynth.models.digan.point_chunks import pieces
from tests.tolerances import LAYOUT_ATOL

# 16 px from an 8 px input grid: two blocks on the input grid, then one upsampling block with three layers
# (extra_layers_from=16) -- the structure of paper128 at 1/8 of its size.
SMALL = dict(resolution=16, input_resolution=8, z_dim=16, w_dim=16, motion_dim=16, emb_size=8,
             channel_base=256, channel_max=32, extra_layers_from=16)


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return with_biases(DIGANGenerator(**SMALL).eval().requires_grad_(False))


def with_biases(G):
    """FMM and toRGB biases start at 0; a trained network's are not (and each must reach the output)."""
    for name, p in G.named_parameters():
        if name.endswith(("torgb.bias", "layers.0.bias", "layers.1.bias", "layers.2.bias")):
            p.data.normal_(0, 0.5)
    return G


def latents(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 16, generator=g), torch.randn(n, 16, generator=g)


def render(G, point_chunk, *args, **kwargs):
    G.point_chunk = point_chunk
    try:
        with torch.inference_mode():
            return G(*args, **kwargs)
    finally:
        G.point_chunk = DIGANGenerator(**SMALL).point_chunk


def test_pieces_cover_the_grid_in_order():
    # whole frames when a frame is smaller than a piece (the last piece shorter)
    assert pieces(5, 4, 4, 32) == [(0, 2, 0, 4), (2, 4, 0, 4), (4, 5, 0, 4)]
    # bands of rows within a frame; after an upsampling an even number of rows (row_step 2)
    assert pieces(2, 6, 4, 12) == [(0, 1, 0, 3), (0, 1, 3, 6), (1, 2, 0, 3), (1, 2, 3, 6)]
    assert pieces(1, 6, 4, 12, row_step=2) == [(0, 1, 0, 2), (0, 1, 2, 4), (0, 1, 4, 6)]
    assert pieces(1, 4, 8, 1, row_step=2) == [(0, 1, 0, 2), (0, 1, 2, 4)]     # never fewer rows than row_step
    # every (t, y) once, in (t, y) order, so the pieces are consecutive runs of the (t, y, x) points
    for args in ((7, 16, 16, 100, 2), (3, 8, 12, 1000, 1), (4, 32, 32, 4096, 2)):
        rows = [(t, y) for t0, t1, y0, y1 in pieces(*args) for t in range(t0, t1) for y in range(y0, y1)]
        assert rows == [(t, y) for t in range(args[0]) for y in range(args[1])]


@pytest.mark.parametrize("point_chunk", [1, 24, 64, 200, 1000])
def test_chunked_equals_unchunked(G, point_chunk):
    """Two videos, so pieces of 1-500 points per video: bands of 1-2 rows (1, 24), whole 8x8 frames (200, 1000 at
    the input grid), several frames (1000); per-video times including fractional and negative ones. The pieces run the same operations on the same numbers; only
    the BLAS's blocking of the narrower matrix products differs (LAYOUT_ATOL, tests/tolerances.py)."""
    z, zm = latents(2)
    times = torch.tensor([[0.0, 0.33, -0.5], [1.7, 2.0, 0.1]])
    whole = render(G, None, z, zm, times)
    chunked = render(G, point_chunk, z, zm, times)
    assert whole.abs().max() > 0.1                                 # a real output, not a degenerate one
    torch.testing.assert_close(chunked, whole, rtol=0, atol=LAYOUT_ATOL)


def test_chunked_equals_unchunked_on_a_denser_wider_grid():
    """Space interpolation (scale 2), a zoomed-out range and 24 px wide frames: pieces of other grids."""
    torch.manual_seed(1)
    G = with_biases(DIGANGenerator(**SMALL, width=24).eval().requires_grad_(False))
    z, zm = latents(1, seed=3)
    kwargs = dict(scale=2.0, coord_range=(-0.25, 1.25))
    whole = render(G, None, z, zm, torch.tensor([0.2, 0.9]), **kwargs)
    chunked = render(G, 100, z, zm, torch.tensor([0.2, 0.9]), **kwargs)
    assert whole.shape == (1, 3, 2, 32, 48)
    torch.testing.assert_close(chunked, whole, rtol=0, atol=LAYOUT_ATOL)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_pieces_are_used_without_autograd_only(G, monkeypatch):
    """Inference renders every block in pieces (the last keeping no features); with autograd, or under a
    tracer (TorchScript / ONNX export), the blocks run unchunked, so gradients and exported graphs are as before."""
    calls = []
    real = generator_module.render_block

    def spy(block, *args):
        calls.append(args[-1])                                       # keep_features
        return real(block, *args)

    monkeypatch.setattr(generator_module, "render_block", spy)
    z, zm = latents(1)
    with torch.no_grad():
        G(z, zm, torch.tensor([0.0, 0.5]))
    assert calls == [True] * (len(G.blocks) - 1) + [False]
    calls.clear()
    G.requires_grad_(True)
    try:
        out = G(z, zm, torch.tensor([0.0, 0.5]))
        out.square().mean().backward()
    finally:
        G.requires_grad_(False).zero_grad(set_to_none=True)
    assert calls == [] and out.requires_grad
    with torch.no_grad():                                            # export traces the plain graph, not a loop
        traced = torch.jit.trace(lambda z, zm: G(z, zm, torch.tensor([0.0, 0.5])), (z, zm), check_trace=False)
    assert calls == []
    with torch.device("meta"):                                       # FLOP counts run the plain graph too
        DIGANGenerator(**SMALL).requires_grad_(False)(z.to("meta"), zm.to("meta"), torch.zeros(2, device="meta"))
    assert calls == []
    torch.testing.assert_close(traced(z, zm), render(G, None, z, zm, torch.tensor([0.0, 0.5])), rtol=0, atol=0)


@pytest.mark.parametrize("upsampled", [False, True])
def test_fmm_activation_in_place_under_autograd(upsampled):
    """Training: the FMM layers apply lrelu in place (one saved activation per layer, not two) and their
    gradients are bit-identical to the out-of-place formula (same operations; the backward of in-place
    leaky_relu reads its result, whose sign is its input's)."""
    from vidsynth.nn.equalized import LRELU_GAIN
    from vidsynth.nn.fmm import FMMLayer

    torch.manual_seed(0)
    layer = FMMLayer(6 + 4 * upsampled, 5, w_dim=4, rank=2)
    layer.bias.data.normal_()
    w = torch.randn(2, 4, requires_grad=True)
    x = torch.randn(2, 6, 3, 2, 2, requires_grad=True)                    # [B, C_x, T, h, w]
    e = torch.randn(2, 4, 3 * 4 * 4, requires_grad=True)                  # [B, C_e, T*2h*2w]
    weight = layer.modulated_weight(w) * LRELU_GAIN
    if upsampled:
        out = layer.forward_upsampled(x, e, w)
        low = torch.nn.functional.interpolate(torch.bmm(weight[:, :, :6], x.flatten(2)).view(2, 5, 3, 2, 2),
                                              scale_factor=(1, 2, 2), mode="nearest").flatten(2)
        reference = torch.nn.functional.leaky_relu(
            torch.baddbmm(low + (layer.bias * LRELU_GAIN).view(1, -1, 1), weight[:, :, 6:], e), 0.2)
    else:
        out = layer(x.flatten(2), w)
        reference = torch.nn.functional.leaky_relu(
            torch.baddbmm((layer.bias * LRELU_GAIN).view(1, -1, 1), weight, x.flatten(2)), 0.2)
    assert out._version > 0, "lrelu was not applied in place"
    assert torch.equal(out, reference)
    probe = torch.randn_like(out)
    inputs = [w, x, e, layer.weight, layer.bias] if upsampled else [w, x, layer.weight, layer.bias]
    for ours, expected in zip(torch.autograd.grad((out * probe).sum(), inputs),
                              torch.autograd.grad((reference * probe).sum(), inputs)):
        assert torch.equal(ours, expected)
