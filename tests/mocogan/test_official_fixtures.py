"""Equality with the official MoCoGAN-HD code, number for number.

``tests/fixtures/official_mocogan_hd_{in,cross}_domain.npz`` hold weights (official key names),
inputs, outputs, loss terms and gradient norms produced by the official code
(``scripts/official_fixtures/mocogan_hd.py``, run against snap-research/MoCoGAN-HD). Here our
networks load those weights through ``vidsynth.models.mocogan_hd.official_keys``, run the same
inputs, losses and training steps (with the official run's random draws replayed through
``StepDraws``), and must give the same numbers.

Tolerance: ``max |ours - official| <= 1e-4 * max(1, max |official|)`` (gradient norms: see
``_official_grad``). Both sides are the same float32
operations, possibly summed in a different order (conv algorithms, fused vs unfused bias+activation);
measured differences are 1e-7..1e-5 relative (see the report in docs/mocogan_hd.md), so 1e-4 leaves
10-1000x headroom, while any change of a loss term, weight, noise layout or sign moves the numbers by
1e-2 or more.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, LossWeights, MotionGenerator,
                                        PairImageDiscriminator, VideoDiscriminator, discriminator_losses,
                                        generator_losses, render_latents)
from vidsynth.models.mocogan_hd import losses as losses_module
from vidsynth.models.mocogan_hd import official_keys as keys
from vidsynth.models.mocogan_hd.losses import StepDraws, ra_lsgan_loss, video_gradient_penalty
from vidsynth.models.stylegan2 import StyleGAN2Generator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
B, T, S = 2, 4, 32                         # the fixture script's BATCH, FRAMES, SIZE
STYLE, H_DIM, N_PCA = 16, 16, 8
RTOL = 1e-4


def load(setting: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"official_mocogan_hd_{setting}_domain.npz") as f:
        return {k: f[k] for k in f.files}


def prefixed(fx: dict, prefix: str) -> dict:
    return {k[len(prefix):]: torch.from_numpy(v.copy()) for k, v in fx.items() if k.startswith(prefix)}


def close(ours, official, what: str, scale: float = 1.0) -> float:
    """Max abs difference, checked against ``RTOL * max(scale, max |official|)``."""
    ours = torch.as_tensor(ours).detach().double()
    official = torch.as_tensor(np.asarray(official)).double()
    assert ours.shape == official.shape, f"{what}: shape {tuple(ours.shape)} != {tuple(official.shape)}"
    diff = (ours - official).abs().max().item()
    bound = RTOL * max(scale, official.abs().max().item())
    assert diff <= bound, f"{what}: max |ours - official| = {diff:.3g} > {bound:.3g}"
    return diff


class Nets:
    """Our networks with the official weights of one fixture file."""

    def __init__(self, fx: dict, cross: bool):
        self.G_I = StyleGAN2Generator(resolution=S, style_dim=STYLE, n_mlp=2, channel_max=16)
        self.G_I.load_state_dict(keys.stylegan2_from_official(prefixed(fx, "G.")))
        self.G_I.eval().requires_grad_(False)
        self.G_M = MotionGenerator(latent_dim=STYLE, hidden_dim=H_DIM, n_pca=N_PCA, motion_scale=0.2, mi_hidden=STYLE)
        self.G_M.load_state_dict(keys.motion_from_official(prefixed(fx, "R."), fx["pca_comp"], fx["pca_stdev"], N_PCA))
        mode = "cross_domain" if cross else "in_domain"
        self.D_V = VideoDiscriminator(mode, T, S, num_scales=2, base_channels=2, n_layers=3)
        self.D_V.load_state_dict(keys.patchgan_from_official(prefixed(fx, "D3d."), 2))
        if cross:
            self.D_I = ContrastiveImageDiscriminator(S, channels=4, proj_dim=8, queue_size=8)
            state = prefixed(fx, "Dimg.")
            # the official EMA copy starts with modelD's parameters (copied) but its own spectral-norm u, v
            state.update({k.replace("modelD.", "modelD_ema.", 1): v for k, v in state.items()
                          if k.startswith("modelD.") and not k.endswith(("weight_u", "weight_v"))})
            self.D_I.load_state_dict(keys.contrastive_from_official(state))
        else:
            self.D_I = PairImageDiscriminator(S, num_scales=2, base_channels=2, n_layers=3)
            self.D_I.load_state_dict(keys.patchgan_from_official(prefixed(fx, "Dimg."), 2))
        self.mode = mode

    def real(self, fx, name="in.real_u8") -> torch.Tensor:
        """``[B, 3, T, S, S]`` from the official ``[B, T, 3, S, S]`` uint8 input."""
        return (torch.from_numpy(fx[name]).float() / 127.5 - 1).permute(0, 2, 1, 3, 4)


def step_draws(fx: dict, kind: str, cross: bool, G_I: StyleGAN2Generator) -> StepDraws:
    """The official step's recorded draws as ours. ``randint`` holds Python ``random.randint`` results
    in call order; ``flip_video`` reverses time when it draws 0."""
    r = [int(v) for v in fx[f"{kind}step.randint"]]
    if kind == "G":                                   # G_step: frame_id, flip(real), flip(fake)
        t, rev_real, rev_fake = r[0], r[1] == 0, r[2] == 0
    else:                                             # D_step: flip(fake), flip(real), frame id(s)
        rev_fake, rev_real, t = r[0] == 0, r[1] == 0, r[-1]
    maps = [torch.from_numpy(fx[f"{kind}step.map.{i}"]) for i in range(G_I.num_layers)]
    alpha = torch.from_numpy(fx[f"{kind}step.gp_alpha"]) if kind == "D" else None
    return StepDraws(w1=G_I.mapping(torch.from_numpy(fx[f"{kind}step.z"])),
                     motion_noise=torch.from_numpy(fx[f"{kind}step.e"]).transpose(0, 1),   # [T-1, B, D] -> [B, T-1, D]
                     video_noise=maps, reverse_real=rev_real, reverse_fake=rev_fake, t=t, gp_alpha=alpha)


def official_quirk_contrastive(view1, view2, queue, temperature=0.07):
    """The official NT-Xent as written (``get_cntr_loss_cross_domain``): the self-similarity logit is
    multiplied by 0 instead of removed, so every softmax denominator holds an extra exp(0) = 1. We
    remove it (``two_view_contrastive_loss``); this reproduces the official number to check the rest."""
    n = view1.shape[0]
    z = F.normalize(torch.cat([view1, view2]), dim=1)
    logits = z @ torch.cat([z, F.normalize(queue, dim=1)]).T / temperature
    logits[:, :2 * n] = logits[:, :2 * n] * (1 - torch.eye(2 * n))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, target)


# --------------------------------------------------------------------------------------- networks
def test_generator_video_with_per_video_noise_matches_official():
    fx = load("in")
    nets = Nets(fx, cross=False)
    motion = nets.G_M(nets.G_I.mapping(torch.from_numpy(fx["in.z"])), T,
                      noise=torch.from_numpy(fx["in.e"]).transpose(0, 1))
    maps = [torch.from_numpy(fx[f"in.map.{i}"]) for i in range(nets.G_I.num_layers)]   # [B, 1, H, W]: per video
    video = render_latents(nets.G_I, motion.latents, noise_mode="per_video", video_noise=maps, clamp=False)
    close(video.transpose(1, 2).reshape(B * T, 3, S, S), fx["out.video_noise"], "G frames, per-video noise")
    plain = render_latents(nets.G_I, motion.latents[:1], noise_mode="none", clamp=False)
    close(plain.transpose(1, 2).reshape(T, 3, S, S), fx["out.video_plain"], "G frames, no noise")
    rec = nets.G_M.predict_noise(motion).reshape(B * (T - 1), STYLE)
    close(rec, fx["out.rand_rec"], "mutual-information head")
    close(nets.G_M.mutual_information_loss(motion), fx["out.l_mutual"], "mutual-information loss")


def check_patchgan_and_ra_lsgan(fx, d_real: list, d_fake: list, official: str, loss: str, what: str) -> None:
    """Both scales of a multiscale PatchGAN on reals and fakes (``out.{official}_{real,fake}.{s}``) and its
    RaLSGAN terms (``loss.{loss}_real``, ``_fake``, ``_G``; G's is the mean of both directions)."""
    for s in range(2):
        close(d_real[s], fx[f"out.{official}_real.{s}"], f"{what} scale {s} (real)")
        close(d_fake[s], fx[f"out.{official}_fake.{s}"], f"{what} scale {s} (fake)")
    close(ra_lsgan_loss(d_real, d_fake, True), fx[f"loss.{loss}_real"], f"RaLSGAN {what} real")
    close(ra_lsgan_loss(d_fake, d_real, False), fx[f"loss.{loss}_fake"], f"RaLSGAN {what} fake")
    g = 0.5 * (ra_lsgan_loss(d_fake, d_real, True) + ra_lsgan_loss(d_real, d_fake, False))
    close(g, fx[f"loss.{loss}_G"], f"RaLSGAN G ({loss})")


@pytest.mark.parametrize("setting", ["in", "cross"])
def test_video_discriminator_and_losses_match_official(setting):
    fx = load(setting)
    nets = Nets(fx, cross=setting == "cross")
    real, fake = nets.real(fx), nets.real(fx, "in.fake_u8")
    check_patchgan_and_ra_lsgan(fx, nets.D_V(real), nets.D_V(fake), "D3d", "video", "D_V")
    gp = video_gradient_penalty(nets.D_V, real, fake, alpha=torch.from_numpy(fx["in.gp_alpha"]))
    close(LossWeights().gradient_penalty * gp, fx["loss.video_gp"], "WGAN-GP")


def test_pair_image_discriminator_matches_official():
    fx = load("in")
    nets = Nets(fx, cross=False)
    real, fake, t = nets.real(fx), nets.real(fx, "in.fake_u8"), int(fx["in.t"])
    check_patchgan_and_ra_lsgan(fx, nets.D_I(real[:, :, 0], real[:, :, t]), nets.D_I(fake[:, :, 0], fake[:, :, t]),
                                "Dimg", "image", "D_I (pairs)")


def test_contrastive_image_discriminator_and_losses_match_official():
    fx = load("cross")
    nets = Nets(fx, cross=True)
    nets.D_I.eval()                                     # the probes ran in eval mode (stored spectral-norm u, v)
    views = {k: torch.from_numpy(fx[f"in.view_{k}_u8"]).float() / 127.5 - 1 for k in ("a1", "a2", "b1", "b2")}
    res = {k: nets.D_I(v) for k, v in views.items()}
    for k in views:
        close(res[k][0], fx[f"out.logit_{k}"], f"BigGAN D logit {k}")
        close(res[k][1], fx[f"out.proj_{k}"], f"projection head {k}")
        close(nets.D_I.keys(views[k]), fx[f"out.proj_ema_{k}"], f"EMA projection {k}")
    real_loss, fake_loss = losses_module.hinge_discriminator_loss(res["a1"][0], res["b1"][0])
    close(real_loss, fx["loss.image_real"], "hinge D real")
    close(fake_loss, fx["loss.image_fake"], "hinge D fake")
    close(losses_module.hinge_generator_loss(res["b1"][0]), fx["loss.image_G"], "hinge G")
    close(losses_module.feature_matching_loss(res["b1"][1], res["a1"][1]), fx["loss.feature_match"], "feature matching")

    # InfoNCE: ours removes the self-similarity logit; the official keeps it as exp(0) = 1 in every
    # denominator. Its form reproduces the official number; ours differs from it by exactly
    # mean_i log(1 + 1 / S_i), S_i = our denominator of row i.
    banks = (nets.D_I.bank_first.queue, nets.D_I.bank_later.queue)
    pairs = (("a1", "a2"), ("b1", "b2"))
    quirk = sum(official_quirk_contrastive(res[a][1], res[b][1], q) for (a, b), q in zip(pairs, banks))
    close(quirk, fx["loss.contrastive"], "contrastive (official form)")
    ours = nets.D_I.contrastive_loss(res["a1"][1], res["a2"][1], res["b1"][1], res["b2"][1])
    gap = 0.0
    for (a, b), q in zip(pairs, banks):
        z = F.normalize(torch.cat([res[a][1], res[b][1]]), dim=1)
        logits = z @ torch.cat([z, F.normalize(q, dim=1)]).T / 0.07
        logits = logits.masked_fill(torch.eye(2 * B, logits.shape[1], dtype=torch.bool), float("-inf"))
        gap = gap + torch.log1p(torch.exp(-torch.logsumexp(logits, dim=1))).mean()
    close(ours + gap, fx["loss.contrastive"], "contrastive (ours + the exp(0) term)")
    assert gap.item() > 0             # the official loss is never below ours (extra positive denominator term)


# --------------------------------------------------------------------------------- training steps
def _grad_norms(module) -> dict[str, torch.Tensor]:
    return {k: p.grad.norm() for k, p in module.named_parameters() if p.grad is not None}


def _official_grad(fx, prefix: str, ours: dict, to_official: dict) -> float:
    """Each parameter's gradient norm to 1e-4 relative; norms below 1% of the module's largest (e.g.
    conv biases before an InstanceNorm, whose gradient is 0 up to rounding) to 1e-6 of that largest."""
    worst = 0.0
    official = {k[len(prefix):]: v for k, v in fx.items() if k.startswith(prefix)}
    assert len(official) == len(ours), f"{prefix}: {sorted(official)} vs {sorted(ours)}"
    scale = 1e-2 * max(float(v) for v in official.values())
    for name, value in ours.items():
        worst = max(worst, close(value, official[to_official[name]], f"grad norm {prefix}{to_official[name]}", scale))
    return worst


def _motion_names(fx, prefix) -> dict:
    return {keys.motion_key(name): name for name in (k[len(prefix):] for k in fx if k.startswith(prefix))}


@pytest.mark.parametrize("setting", ["in", "cross"])
def test_generator_step_gradients_match_official(setting, monkeypatch):
    fx = load(setting)
    cross = setting == "cross"
    nets = Nets(fx, cross)
    if cross:   # the fixture replaced the official warp() by the identity (its draws cannot be replayed)
        monkeypatch.setattr(losses_module, "contrastive_augment", lambda x, generator=None: x)
    draws = step_draws(fx, "G", cross, nets.G_I)
    nets.D_V.requires_grad_(False)
    losses = generator_losses(nets.G_M, nets.G_I, nets.D_V, nets.D_I, nets.real(fx), nets.mode, draws=draws)
    losses["total"].backward()
    stats = fx["Gstep.stats"]   # official G_step returns (G_loss_2d, G_loss_3d[, l_match], l_mutual)
    close(losses["image_gan"], stats[0], "G step image GAN term")
    close(losses["video_gan"], stats[1], "G step video GAN term")
    close(losses["mutual_info"], stats[-1], "G step mutual information")
    if cross:
        close(losses["feature_match"], stats[2], "G step feature matching")
    # official G_loss = G_loss_3d + G_loss_2d (+ w_match * l_match) + l_mutual, all weights 1 here
    close(losses["total"], sum(float(v) for v in stats), "G step total loss")
    _official_grad(fx, "Gstep.grad.R.", _grad_norms(nets.G_M), _motion_names(fx, "Gstep.grad.R."))


@pytest.mark.parametrize("setting", ["in", "cross"])
def test_discriminator_step_gradients_match_official(setting, monkeypatch):
    fx = load(setting)
    cross = setting == "cross"
    nets = Nets(fx, cross)
    if cross:
        monkeypatch.setattr(losses_module, "contrastive_augment", lambda x, generator=None: x)
        # the official InfoNCE (exp(0) self term) so that D_I's gradients can match; the difference
        # itself is pinned in test_contrastive_image_discriminator_and_losses_match_official
        monkeypatch.setattr("vidsynth.models.mocogan_hd.contrastive.two_view_contrastive_loss",
                            official_quirk_contrastive)
    draws = step_draws(fx, "D", cross, nets.G_I)
    nets.G_M.requires_grad_(False)
    losses = discriminator_losses(nets.G_M, nets.G_I, nets.D_V, nets.D_I, nets.real(fx), nets.mode, draws=draws)
    losses["total"].backward()
    stats = fx["Dstep.stats"]   # official D_step returns (D_real, D_fake, D_real_3d, D_fake_3d[, cntr])
    close(losses["image_real"], stats[0], "D step image real term")
    close(losses["image_fake"], stats[1], "D step image fake term")
    close(losses["video_real"], stats[2], "D step video real term")
    close(losses["video_fake"], stats[3], "D step video fake term")
    if cross:
        close(losses["contrastive"], stats[4], "D step contrastive term")
    d3d = {}
    for name in (k[len("Dstep.grad.D3d."):] for k in fx if k.startswith("Dstep.grad.D3d.")):
        d3d[next(iter(keys.patchgan_from_official({name: torch.zeros(1)}, 2)))] = name
    _official_grad(fx, "Dstep.grad.D3d.", _grad_norms(nets.D_V), d3d)
    dimg = {}
    for name in (k[len("Dstep.grad.Dimg."):] for k in fx if k.startswith("Dstep.grad.Dimg.")):
        ours = (next(iter(keys.biggan_from_official({name: torch.zeros(1)}))) if cross
                else next(iter(keys.patchgan_from_official({name: torch.zeros(1)}, 2))))
        dimg[("discriminator." if cross else "") + ours] = name
    _official_grad(fx, "Dstep.grad.Dimg.", _grad_norms(nets.D_I), dimg)
