import pytest
import torch
import torch.nn.functional as F

from vidsynth.models.mocogan_hd import MotionGenerator, mutual_information_loss, render_latents

D = 16


def make(scale=0.2, seed=0):
    torch.manual_seed(seed)
    g = MotionGenerator(latent_dim=D, hidden_dim=12, n_pca=10, mi_hidden=20, motion_scale=scale)
    g.set_pca(torch.linalg.qr(torch.randn(D, D))[0].T[:10], torch.linspace(2, 0.5, 10), torch.zeros(D))
    with torch.no_grad():  # make the motion clearly non-zero for the checks below
        g.to_pca.weight.normal_(0, 0.5)
    return g


def test_shapes_and_first_frame():
    g = make()
    w1 = torch.randn(3, D)
    out = g(w1, 5, generator=torch.Generator().manual_seed(0))
    assert out.latents.shape == (3, 5, D)
    assert out.noise.shape == (3, 4, D) and out.hidden.shape == (3, 4, 12) and out.cell.shape == (3, 4, 12)
    assert torch.equal(out.latents[:, 0], w1)
    assert g.predict_noise(out).shape == (3, 4, D)
    assert g(w1, 1).latents.shape == (3, 1, D)


def test_deterministic_under_seed():
    g, w1 = make(), torch.randn(2, D)
    a = g(w1, 6, generator=torch.Generator().manual_seed(5)).latents
    b = g(w1, 6, generator=torch.Generator().manual_seed(5)).latents
    c = g(w1, 6, generator=torch.Generator().manual_seed(6)).latents
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_unrolls_past_training_length_and_reuses_prefix():
    g, w1 = make(), torch.randn(2, D)
    noise = g.sample_noise(2, 48, torch.Generator().manual_seed(1))
    long = g(w1, 48, noise=noise).latents                      # 3x a 16-frame training length
    short = g(w1, 16, noise=noise).latents
    assert long.shape == (2, 48, D) and torch.isfinite(long).all()
    torch.testing.assert_close(long[:, :16], short)


def test_residual_is_cumulative_along_scaled_pca_basis():
    g, w1 = make(), torch.randn(2, D)
    out = g(w1, 4, generator=torch.Generator().manual_seed(0))
    coeff = torch.tanh(g.to_pca(out.hidden))                    # [B, T-1, n_pca]
    steps = g.motion_scale * coeff @ (g.pca_components * g.pca_std[:, None])
    torch.testing.assert_close(out.latents[:, 1:], w1[:, None] + steps.cumsum(1))


def test_residual_magnitude_scales_with_lambda():
    w1, noise = torch.randn(2, D), torch.randn(2, 5, D)
    delta = {s: make(scale=s)(w1, 6, noise=noise).latents - w1[:, None] for s in (0.2, 0.5)}
    torch.testing.assert_close(delta[0.5], delta[0.2] * 2.5)
    # |w_t - w_{t-1}| <= lambda * sum(std) per step (tanh bounds every coefficient)
    g = make(scale=0.5)
    steps = (g(w1, 6, noise=noise).latents.diff(dim=1) @ g.pca_components.T).abs()
    assert torch.all(steps <= 0.5 * g.pca_std + 1e-5)


def test_same_noise_different_content():
    """Noise fixes the motion: the same noise and w1 gives the same video; another w1 moves with
    that noise too (the trajectory stays in the PCA span around its own w1), but since the encoder
    sees w1 the residuals may differ: Eq. 2 is cumulative from w_{t-1}, conditioned on w1."""
    g = make()
    noise = torch.randn(1, 7, D)
    w_a, w_b = torch.randn(1, D), torch.randn(1, D)
    a1, a2 = g(w_a, 8, noise=noise).latents, g(w_a, 8, noise=noise).latents
    assert torch.equal(a1, a2)
    b = g(w_b, 8, noise=noise).latents
    assert torch.equal(b[:, 0], w_b)
    for traj, w in ((a1, w_a), (b, w_b)):  # both deltas lie in span(V)
        delta = traj - w[:, None]
        proj = delta @ g.pca_components.T @ g.pca_components
        torch.testing.assert_close(proj, delta, atol=1e-5, rtol=0)
    # with a content-blind encoder (zero input weights) same noise -> identical deltas
    with torch.no_grad():
        g.encoder.weight_ih.zero_()
    da = g(w_a, 8, noise=noise).latents - w_a[:, None]
    db = g(w_b, 8, noise=noise).latents - w_b[:, None]
    torch.testing.assert_close(da, db)


def test_mutual_information_loss():
    e = torch.randn(4, 3, D)
    assert mutual_information_loss(e, e).item() == pytest.approx(-1.0)
    assert mutual_information_loss(2.5 * e, e).item() == pytest.approx(-1.0)
    assert mutual_information_loss(-e, e).item() == pytest.approx(1.0)
    g = make()
    out = g(torch.randn(2, D), 4)
    loss = g.mutual_information_loss(out)
    torch.testing.assert_close(loss, -F.cosine_similarity(g.predict_noise(out), out.noise, dim=-1).mean())
    loss.backward()
    assert g.noise_predictor[0].weight.grad is not None and g.decoder.weight_hh.grad is not None


def test_render_latents_of_a_trajectory(image_generator):
    g = make()
    gen = torch.Generator().manual_seed(0)
    video = render_latents(image_generator, g(torch.randn(2, D), 5, generator=gen).latents, generator=gen)
    assert video.shape == (2, 3, 5, 16, 16)
    assert video.min() >= -1 and video.max() <= 1
    latents = g(torch.zeros(2, D), 5, noise=torch.zeros(2, 4, D)).latents
    chunked = render_latents(image_generator, latents, batch_size=3)
    whole = render_latents(image_generator, latents)
    torch.testing.assert_close(chunked, whole)
    # frame t of video b is G_I(w_t of video b)
    out = g(torch.ones(2, D), 3, noise=torch.ones(2, 2, D))
    v = render_latents(image_generator, out.latents)
    torch.testing.assert_close(v[1, :, 2], image_generator.synthesize(out.latents[1, 2:3])[0])


def test_bad_noise_shape():
    with pytest.raises(ValueError):
        make()(torch.randn(2, D), 5, noise=torch.randn(2, 2, D))
