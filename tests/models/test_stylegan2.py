"""StyleGAN2 generator: shapes, determinism, truncation, gradients, protocol, parameter count."""
import pytest
import torch

from vidsynth.models.image_generator import LatentImageGenerator
from vidsynth.models.stylegan2 import StyleGAN2Generator, stylegan2_channels
from tests.tolerances import LAYOUT_ATOL


@pytest.fixture(scope="module")
def g16():
    torch.manual_seed(0)
    g = StyleGAN2Generator(16, n_mlp=2, channel_max=32).eval()
    with torch.no_grad():  # non-zero noise strengths, so noise modes actually differ
        for conv in [g.conv1, *g.convs]:
            conv.noise.weight.fill_(0.5)
    return g


@pytest.mark.parametrize("resolution, cm, channel_max", [(8, 2, 512), (32, 1, 16), (64, 2, 16)])
def test_output_shapes(resolution, cm, channel_max):
    g = StyleGAN2Generator(resolution, style_dim=64, n_mlp=1, channel_multiplier=cm, channel_max=channel_max)
    z = torch.randn(2, 64)
    with torch.no_grad():
        img = g(z)
        w = g.mapping(z)
    assert img.shape == (2, 3, resolution, resolution)
    assert w.shape == (2, 64)
    assert g.num_ws == 2 * resolution.bit_length() - 4  # 2 log2(R) - 2
    with torch.no_grad():
        per_layer = g.synthesis(w.unsqueeze(1).repeat(1, g.num_ws, 1), noise_mode="const")
        broadcast = g.synthesis(w, noise_mode="const")
    torch.testing.assert_close(per_layer, broadcast)


def test_channels_table():
    assert stylegan2_channels(32, 2) == 512 and stylegan2_channels(32, 2, channel_max=64) == 64
    assert stylegan2_channels(64, 2) == 512 and stylegan2_channels(256, 2) == 128 and stylegan2_channels(1024, 1) == 16


@pytest.mark.parametrize("resolution", [4, 24, 2048])
def test_bad_resolution(resolution):
    with pytest.raises(ValueError):
        StyleGAN2Generator(resolution)


def test_determinism_and_noise_modes(g16):
    z = torch.randn(3, 512, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = g16(z, noise_mode="const"), g16(z, noise_mode="const")
        r1, r2 = g16(z, noise_mode="random"), g16(z, noise_mode="random")
        none = g16(z, noise_mode="none")
    assert torch.equal(a, b)
    assert not torch.equal(r1, r2)
    assert not torch.equal(a, none)
    with pytest.raises(ValueError):
        g16(z, noise_mode="fixed")


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = StyleGAN2Generator(8, style_dim=32, n_mlp=1)
    torch.manual_seed(3)
    b = StyleGAN2Generator(8, style_dim=32, n_mlp=1)
    z = torch.randn(2, 32)
    with torch.no_grad():
        assert torch.equal(a(z, noise_mode="const"), b(z, noise_mode="const"))


def test_truncation_psi_zero_gives_w_avg_image(g16):
    g16.compute_w_avg(n=256, seed=0)
    z = torch.randn(4, 512)
    with torch.no_grad():
        imgs = g16(z, truncation_psi=0, noise_mode="const")
        avg = g16.synthesis(g16.w_avg[None], noise_mode="const")
    torch.testing.assert_close(imgs, avg.expand(4, -1, -1, -1), rtol=0, atol=1e-5)
    with torch.no_grad():
        half = g16.mapping(z, truncation_psi=0.5)
    torch.testing.assert_close(half, 0.5 * (g16.mapping(z) + g16.w_avg), rtol=0, atol=1e-5)


def test_w_avg_tracking():
    g = StyleGAN2Generator(8, style_dim=16, n_mlp=1, w_avg_beta=0.5)
    z = torch.randn(8, 16)
    w = g.mapping(z, update_w_avg=True)
    torch.testing.assert_close(g.w_avg, 0.5 * w.detach().mean(0))


def test_gradients_flow_to_w(g16):
    w = g16.sample_latents(2, generator=torch.Generator().manual_seed(0)).detach().requires_grad_(True)
    g16.synthesize(w).square().mean().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0
    ws = w.detach().unsqueeze(1).repeat(1, g16.num_ws, 1).requires_grad_(True)  # W+ (per layer)
    g16.synthesis(ws, noise_mode="const").sum().backward()
    assert (ws.grad.abs().sum(dim=(0, 2)) > 0).all()   # every layer's w is used


def test_protocol_conformance(g16):
    assert isinstance(g16, LatentImageGenerator)
    assert g16.latent_space == "w" and g16.latent_dim == 512 and g16.resolution == 16
    lat = g16.sample_latents(3, generator=torch.Generator().manual_seed(5))
    lat2 = g16.sample_latents(3, generator=torch.Generator().manual_seed(5))
    assert lat.shape == (3, 512) and torch.equal(lat, lat2)
    with torch.no_grad():
        img = g16.synthesize(lat)
    assert img.shape == (3, 3, 16, 16) and img.min() >= -1 and img.max() <= 1
    with torch.no_grad():   # same latent -> same image, independently of the batch it is in
        torch.testing.assert_close(g16.synthesize(lat[1:2]), img[1:2], rtol=0, atol=LAYOUT_ATOL)


def test_class_conditioning():
    g = StyleGAN2Generator(8, style_dim=32, n_mlp=2, c_dim=5)
    assert g.style[1].weight.shape == (32, 64)
    c = torch.nn.functional.one_hot(torch.tensor([0, 3]), 5).float()
    z = torch.randn(1, 32).expand(2, -1)
    with torch.no_grad():
        img = g(z, c, noise_mode="const")
    assert img.shape == (2, 3, 8, 8) and not torch.allclose(img[0], img[1])
    with pytest.raises(ValueError):
        g(z)


def rosinality_parameter_count(size, style_dim=512, n_mlp=8, cm=2):
    """Closed form from rosinality's Generator: mapping + const + StyledConvs + ToRGBs."""
    def modconv(cin, cout, k):       # weight + modulation (weight, bias)
        return cout * cin * k * k + style_dim * cin + cin

    def styled_conv(cin, cout):       # + noise strength + activation bias
        return modconv(cin, cout, 3) + 1 + cout

    def to_rgb(cin):
        return modconv(cin, 3, 1) + 3

    total = n_mlp * (style_dim * style_dim + style_dim) + 512 * 16
    total += styled_conv(512, 512) + to_rgb(512)
    res = 8
    while res <= size:
        cin, cout = stylegan2_channels(res // 2, cm), stylegan2_channels(res, cm)
        total += styled_conv(cin, cout) + styled_conv(cout, cout) + to_rgb(cout)
        res *= 2
    return total


def test_parameter_count_256_config_f():
    with torch.device("meta"):
        g = StyleGAN2Generator(256, channel_multiplier=2)
    n = sum(p.numel() for p in g.parameters())
    assert n == rosinality_parameter_count(256) == 30_034_338


def test_export_round_trip(tmp_path, g16):
    from vidsynth.export import load_model, save_model

    save_model(g16, tmp_path / "m", g16.init_kwargs)
    loaded, _ = load_model(tmp_path / "m")
    w = g16.sample_latents(2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(g16.synthesize(w), loaded.synthesize(w))


def test_inference_chunk_rule(monkeypatch):
    """Pieces of 128 MiB of top-level activation on CPU without gradients: 4 frames at 256 px config F
    (128 ch x 256^2 x 4 B = 32 MiB per frame), 1 at 1024 px; all at once with gradients or off CPU."""
    g = StyleGAN2Generator.__new__(StyleGAN2Generator)          # the rule needs no weights
    g.log_size, g.channel_multiplier, g.channel_max = 8, 2, 512
    cpu = torch.device("cpu")
    assert g.frame_activation_bytes() == 128 * 256 * 256 * 4
    assert g.frame_activation_bytes(torch.bfloat16) == 128 * 256 * 256 * 2
    with torch.no_grad():
        assert g.inference_chunk(16, cpu) == 4 and g.inference_chunk(3, cpu) == 3
        assert g.inference_chunk(16, torch.device("meta")) == 16
        g.log_size = 10                                         # 1024 px: 64 ch x 1024^2 x 4 B = 256 MiB
        assert g.inference_chunk(16, cpu) == 1
        monkeypatch.setattr(StyleGAN2Generator, "inference_chunk_mib", None)
        assert g.inference_chunk(16, cpu) == 16
    monkeypatch.setattr(StyleGAN2Generator, "inference_chunk_mib", 128)
    assert g.inference_chunk(16, cpu) == 16                     # gradients: one piece (training, inversion)


def test_synthesis_in_pieces_equals_whole(g16, monkeypatch):
    """The same images whether synthesised at once or in pieces, with per-image and shared noise (another
    batch runs other kernel blockings: LAYOUT_ATOL; at 256 px config F the video was bit-identical)."""
    w = g16.mapping(torch.randn(5, g16.style_dim, generator=torch.Generator().manual_seed(1))).detach()
    per_image = g16.sample_noise(5, torch.Generator().manual_seed(2))          # num_layers x [5, 1, H, W]
    noise = [m if i % 2 else per_image[i] for i, m in enumerate(g16.make_noise(1, "const"))]
    calls = []
    whole_synthesis = StyleGAN2Generator._synthesis
    monkeypatch.setattr(StyleGAN2Generator, "_synthesis", lambda self, w, n: calls.append(len(w)) or whole_synthesis(self, w, n))
    with torch.no_grad():
        monkeypatch.setattr(StyleGAN2Generator, "inference_chunk_mib", None)
        whole = g16.synthesis(w, noise=noise)
        assert calls == [5]
        per_image_mib = g16.frame_activation_bytes() / 2 ** 20
        monkeypatch.setattr(StyleGAN2Generator, "inference_chunk_mib", 2 * per_image_mib)   # 2 images per piece
        pieces = g16.synthesis(w, noise=noise)
    assert calls == [5, 2, 2, 1]
    torch.testing.assert_close(pieces, whole, rtol=0, atol=LAYOUT_ATOL)
    with torch.no_grad():                                       # another piece's noise would move it by >> atol
        shifted = g16.synthesis(w, noise=[m if m.shape[0] == 1 else m.roll(1, 0) for m in noise])
    assert (shifted - whole).abs().max() > 1e-2
