"""BigGAN-style Z-space generator: shapes, protocol, truncation, conditioning, training step, export."""
import pytest
import torch

from vidsynth.models.biggan import BigGANGenerator, biggan_channels
from vidsynth.export import load_model, save_model
from vidsynth.models.image_generator import LatentImageGenerator
from tests.tolerances import LAYOUT_ATOL


@pytest.mark.parametrize("resolution", [32, 64, 256])
def test_shapes_and_range(resolution):
    """Output shape, latent chunking, and a real signal: images vary over pixels and between latents."""
    g = BigGANGenerator(resolution, z_dim=20, width=2 if resolution == 256 else 4).eval()
    with torch.no_grad():
        img = g(torch.randn(2, 20))
    assert img.shape == (2, 3, resolution, resolution)
    # tanh keeps |img| <= 1 by construction; what can break is the signal before it: images must vary
    # over pixels and between the two latents (a dropped block or a zeroed output would not)
    assert img.std(dim=(1, 2, 3)).min() > 1e-3 and (img[0] - img[1]).abs().max() > 1e-3
    # the values themselves are pinned in tests/golden (biggan_generator)
    assert sum(g.chunk_sizes) == 20 and len(g.chunk_sizes) == len(g.blocks) + 1


def test_channel_table_matches_biggan_128():
    assert [biggan_channels(2 ** i, 128, 1) for i in range(2, 8)] == [16, 16, 8, 4, 2, 1]


def test_bad_config():
    with pytest.raises(ValueError):
        BigGANGenerator(16)
    with pytest.raises(ValueError):
        BigGANGenerator(32, z_dim=3)


def test_protocol_and_determinism():
    torch.manual_seed(0)
    g = BigGANGenerator(32, z_dim=16, width=4).eval()
    assert isinstance(g, LatentImageGenerator)
    assert g.latent_space == "z" and g.latent_dim == 16 and g.resolution == 32
    z = g.sample_latents(3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, g.sample_latents(3, generator=torch.Generator().manual_seed(1)))
    with torch.no_grad():
        a = g.synthesize(z)
        torch.testing.assert_close(g.synthesize(z[:1]), a[:1], rtol=0, atol=LAYOUT_ATOL)  # eval BN: batch-independent
    z = z.clone().requires_grad_(True)
    g.synthesize(z).sum().backward()
    assert z.grad.abs().sum() > 0


def test_truncated_sampling():
    g = BigGANGenerator(32, z_dim=16, width=4)
    z = g.sample_latents(64, generator=torch.Generator().manual_seed(0), truncation=0.5)
    assert z.shape == (64, 16) and z.abs().max() <= 0.5


def test_class_conditioning_and_training_step():
    g = BigGANGenerator(32, z_dim=16, width=4, c_dim=3).train()
    opt = torch.optim.Adam(g.parameters(), lr=1e-3)
    z, c = torch.randn(4, 16), torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), 3).float()
    loss = g(z, c).square().mean()
    loss.backward()
    assert all(p.grad is not None for p in g.parameters())
    opt.step()
    with pytest.raises(ValueError):
        g(z)


def test_export_round_trip(tmp_path):
    g = BigGANGenerator(32, z_dim=16, width=4)
    g(torch.randn(4, 16))           # update BN running stats and spectral-norm vectors
    g.eval()
    save_model(g, tmp_path / "m", g.init_kwargs)
    loaded, _ = load_model(tmp_path / "m")
    z = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.equal(g(z), loaded(z))
