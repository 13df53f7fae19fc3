"""The lean autograd path through a frozen StyleGAN2 (``vidsynth.nn.frozen_modconv``, MoCoGAN-HD's
G_M step) gives the op-by-op path's outputs and gradients exactly, and saves less.

Exact equality (``torch.equal``), no tolerance: the backward calls the very kernels autograd calls for
the same ops in the same order (conv input gradients via ``aten.convolution_backward``, the leaky
ReLU's via ``aten.leaky_relu_backward``, the broadcast reductions via ``sum_to_size``), so any
difference is a bug, not rounding. The pinned values guard both paths against a change that would
move them together (the op-by-op path uses the same layer code).
"""
from __future__ import annotations

import pytest
import torch

from vidsynth.models.mocogan_hd import render_latents
from vidsynth.models.stylegan2 import StyleGAN2Generator
from vidsynth.nn import frozen_modconv


@pytest.fixture(autouse=True)
def _restore():
    yield
    frozen_modconv.enabled = True


def frozen_generator() -> StyleGAN2Generator:
    """A 32 px StyleGAN2 (upsampling layers at 8, 16, 32 px) with every weight, bias and noise strength
    drawn from N(0, 1) (the init's zero noise strengths and biases would hide their terms), frozen."""
    torch.manual_seed(0)
    G = StyleGAN2Generator(32, style_dim=16, n_mlp=1, channel_multiplier=1, channel_max=16)
    with torch.no_grad():
        for p in G.parameters():
            p.normal_()
    return G.eval().requires_grad_(False)


def video_and_grad(G: StyleGAN2Generator, frozen: bool, saved: list | None = None):
    """Render 2 videos x 3 frames from fixed latents and noise; backward a fixed random projection."""
    frozen_modconv.enabled = frozen
    latents = torch.randn(2, 3, 16, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    noise = G.sample_noise(2, torch.Generator().manual_seed(2))

    def pack(t):
        if saved is not None:
            saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        video = render_latents(G, latents, video_noise=noise, clamp=False)      # [2, 3, 3, 32, 32]
    weights = torch.randn(video.shape, generator=torch.Generator().manual_seed(3))
    (video * weights).sum().backward()
    return video.detach(), latents.grad


def test_outputs_and_latent_gradients_equal_the_op_by_op_path():
    G = frozen_generator()
    video_ref, grad_ref = video_and_grad(G, frozen=False)
    video, grad = video_and_grad(G, frozen=True)
    assert torch.equal(video, video_ref)
    assert torch.equal(grad, grad_ref)
    # pinned (CPU float32): a change to a layer that moved both paths alike shows here
    assert grad.abs().sum().item() == pytest.approx(GRAD_ABS_SUM, rel=1e-4)
    assert grad[0, 0, :3].tolist() == pytest.approx(GRAD_FIRST, rel=1e-4, abs=1e-3)


def test_saves_about_half_the_activation_bytes():
    """The point of the path: per StyledConv the conv output and the layer output only (op by op: also
    the modulated input and the pre-activation), and no modulated input for ToRGB."""
    G = frozen_generator()
    ref, lean = [], []
    video_and_grad(G, frozen=False, saved=ref)
    video_and_grad(G, frozen=True, saved=lean)

    def nbytes(ts):   # distinct storages: a tensor saved by two nodes counts once
        return sum({t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in ts}.values())

    assert nbytes(lean) < 0.6 * nbytes(ref)


def test_trainable_layers_keep_the_op_by_op_path():
    """StyleGAN2's own training needs weight, bias and noise-strength gradients: with parameters that
    require gradients, the lean path (which gives none) is not taken, and they equal the op-by-op ones."""
    G = frozen_generator().requires_grad_(True)
    grads = []
    for frozen in (False, True):
        G.zero_grad(set_to_none=True)
        video_and_grad(G, frozen=frozen)
        grads.append({n: p.grad.clone() for n, p in G.named_parameters() if "style" not in n})
    assert grads[1].keys() == grads[0].keys() and all(g is not None for g in grads[1].values())
    assert all(torch.equal(grads[1][n], grads[0][n]) for n in grads[0])
    assert grads[1]["convs.0.activate.bias"].abs().sum() > 0 and grads[1]["convs.0.noise.weight"].abs().sum() > 0


def test_motion_generator_gradients_equal_through_the_losses():
    """A whole G_M step (video + image GAN + mutual information, in-domain): the LSTM's gradients through
    the frozen StyleGAN2 are the op-by-op path's, exactly, and not zero."""
    from vidsynth.models.mocogan_hd import (MotionGenerator, PairImageDiscriminator, VideoDiscriminator,
                                            generator_losses)

    G_I = frozen_generator()
    torch.manual_seed(4)
    G_M = MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=8, mi_hidden=16)
    D_V = VideoDiscriminator("in_domain", 5, 32, base_channels=4).requires_grad_(False)
    D_I = PairImageDiscriminator(32, base_channels=4).requires_grad_(False)
    real = torch.rand(2, 3, 5, 32, 32, generator=torch.Generator().manual_seed(5)) * 2 - 1
    grads = []
    for frozen in (False, True):
        frozen_modconv.enabled = frozen
        G_M.zero_grad(set_to_none=True)
        generator_losses(G_M, G_I, D_V, D_I, real, generator=torch.Generator().manual_seed(6))["total"].backward()
        grads.append([p.grad.clone() for p in G_M.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*grads))
    assert grads[1][0].abs().sum() > 0                 # the encoder LSTM's input weights: via the frames only
    assert grads[1][0].abs().sum().item() == pytest.approx(LSTM_ABS_SUM, rel=1e-4)


GRAD_ABS_SUM = 6745.96630859375                                      # op-by-op path, CPU float32
GRAD_FIRST = [17.109031677246094, 23.543237686157227, -128.03274536132812]
LSTM_ABS_SUM = 0.006833138410001993
