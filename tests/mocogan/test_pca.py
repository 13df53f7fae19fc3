import numpy as np
import torch

from tests.mocogan.conftest import AnisotropicGaussian
from vidsynth.models.image_generator import LatentImageGenerator
from vidsynth.models.mocogan_hd import MotionGenerator, fit_latent_pca


def test_recovers_known_principal_directions():
    source = AnisotropicGaussian(dim=8)
    assert isinstance(source, LatentImageGenerator)
    v, std, mean = fit_latent_pca(source, num_samples=200_000, n_components=4, batch_size=7_000,
                                  generator=torch.Generator().manual_seed(0), progress=False)
    assert v.shape == (4, 8) and std.shape == (4,) and mean.shape == (8,)
    cos = (v.double() * source.directions[:4]).sum(1).abs()  # match up to sign
    assert torch.all(cos > 0.999), cos
    torch.testing.assert_close(std.double(), source.std[:4], rtol=0.01, atol=0)
    torch.testing.assert_close(mean.double(), source.mean, atol=0.02, rtol=0)


def test_streaming_equals_direct_numpy_pca():
    source = AnisotropicGaussian(dim=6, seed=1)
    pca = fit_latent_pca(source, num_samples=5_003, n_components=6, batch_size=500,
                         generator=torch.Generator().manual_seed(3), progress=False)
    x = torch.cat(source.drawn).double().numpy()
    assert x.shape == (5_003, 6)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(pca.mean.numpy(), x.mean(0), atol=1e-5)
    np.testing.assert_allclose(pca.std.numpy(), s / np.sqrt(len(x) - 1), rtol=1e-5)
    dots = np.abs(np.sum(pca.components.numpy() * vt, axis=1))
    np.testing.assert_allclose(dots, 1.0, atol=1e-5)
    np.testing.assert_allclose(pca.explained_variance_ratio.sum().item(), 1.0, atol=1e-5)


def test_deterministic_under_seed_and_stored_in_motion_generator():
    def run():
        return fit_latent_pca(AnisotropicGaussian(dim=8), num_samples=3_000, n_components=5, batch_size=1_000,
                              generator=torch.Generator().manual_seed(7), progress=False)
    a, b = run(), run()
    assert torch.equal(a.components, b.components) and torch.equal(a.std, b.std)

    g = MotionGenerator(latent_dim=8, hidden_dim=6, n_pca=5, mi_hidden=8)
    assert not bool(g.pca_fitted)
    g.fit_pca(AnisotropicGaussian(dim=8), num_samples=3_000, batch_size=1_000,
              generator=torch.Generator().manual_seed(7), progress=False)
    assert bool(g.pca_fitted)
    state = g.state_dict()  # the PCA lives in the checkpoint, not in a side folder
    assert torch.equal(state["pca_components"], a.components) and torch.equal(state["pca_std"], a.std)
    g2 = MotionGenerator(latent_dim=8, hidden_dim=6, n_pca=5, mi_hidden=8)
    g2.load_state_dict(state)
    assert torch.equal(g2.pca_components, a.components) and bool(g2.pca_fitted)
