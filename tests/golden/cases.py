"""Golden cases: every model family at a tiny seeded configuration and every loss term of each method
on fixed inputs, each reduced to a few named numbers (as diffusers pins an ``expected_slice``).

A case is a function returning ``{name: float}``; its pinned values live in ``expected.py``
(regenerate with ``python scripts/print_golden_values.py``, see docs/testing.md). Cases build their
modules after ``torch.manual_seed`` and draw inputs from their own generators, so they do not depend
on test order. Outputs are summarised by ``summary``: values at evenly spaced positions of the
flattened output (so every part of it is sampled), plus its mean and mean absolute value.
"""
from __future__ import annotations

import torch

from vidsynth.config import method_config

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def summary(t: torch.Tensor, n: int = 6) -> dict[str, float]:
    flat = t.detach().double().flatten()
    idx = torch.linspace(0, flat.numel() - 1, n).round().long().unique()
    out = {f"[{int(i)}]": float(flat[i]) for i in idx}
    out.update(mean=float(flat.mean()), abs_mean=float(flat.abs().mean()))
    return out


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def video(b, t, r, seed=0):
    """A fixed float video batch ``[b, 3, t, r, r]`` in [-1, 1]."""
    return torch.rand(b, 3, t, r, r, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def uint8_clips(b, t, r, seed=0):
    return torch.randint(0, 256, (b, 3, t, r, r), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


# ------------------------------------------------------------------------------------------- DIGAN
def _digan_d():
    from vidsynth.models.digan import DIGANDiscriminator

    cfg = method_config("digan", "test")
    torch.manual_seed(0)
    return DIGANDiscriminator(cfg.resolution, 0, cfg.d_channel_base, cfg.d_channel_max, cfg.mbstd_group).eval()


def _digan_pair():
    from vidsynth.models.digan import motion_input

    return motion_input(randn(4, 3, 16, 16, seed=1).tanh(), randn(4, 3, 16, 16, seed=2).tanh(),
                        torch.tensor([0.1, 0.3, 0.6, 1.0]))


@case
def digan_generator():
    from vidsynth.models.digan import DIGANGenerator
    from vidsynth.training.digan import generator_kwargs

    torch.manual_seed(0)
    G = DIGANGenerator(**generator_kwargs(method_config("digan", "test"))).eval()
    with torch.no_grad():
        return summary(G(randn(2, 16, seed=1), randn(2, 16, seed=2), torch.tensor([0.0, 0.5, 1.3])))


@case
def digan_motion_discriminator():
    with torch.no_grad():
        motion, _ = _digan_d()(_digan_pair())
    return summary(motion, 4)


@case
def digan_image_discriminator():
    with torch.no_grad():
        _, image = _digan_d()(_digan_pair())
    return summary(image, 8)


@case
def digan_loss_terms():
    """DIGAN's loss functions on fixed fake and real pairs: each G term, each D term (motion/image x
    fake/real) and the per-D R1 penalties, by name (sign and value)."""
    from vidsynth.models.digan import motion_input
    from vidsynth.training.digan import discriminator_loss, generator_loss, r1_penalties

    D, fake = _digan_d(), _digan_pair()
    real = motion_input(randn(4, 3, 16, 16, seed=3).tanh(), randn(4, 3, 16, 16, seed=4).tanh(),
                        torch.tensor([0.2, 0.2, 0.5, 0.9]))
    out = {k: float(v.detach()) for k, v in generator_loss(D, fake).items()}
    terms, _ = discriminator_loss(D, fake, real)
    out.update({k: float(v.detach()) for k, v in terms.items()})
    r1_motion, r1_image = r1_penalties(D, real)
    out.update({"R1/motion": float(r1_motion.mean().detach()), "R1/image": float(r1_image.mean().detach())})
    return out


@case
def digan_step_losses():
    """Two DIGANTrainer steps on fixed clips, every logged term of each: step 0 (G update, D update with
    R1) and step 1, whose numbers show the effect of step 0's updates (R1 included)."""
    from vidsynth.training.digan import DIGANTrainer

    trainer = DIGANTrainer(method_config("digan", "test"), torch.device("cpu"), seed=0)
    return _two_steps(trainer, uint8_clips(4, 4, 16))


def _two_steps(trainer, clips) -> dict[str, float]:
    labels = torch.full((clips.shape[0],), -1)
    out = {}
    for step in (0, 1):
        out.update({f"step{step} {k}": v for k, v in trainer.step(step, clips, labels, step * len(clips)).items()})
    return out


# ------------------------------------------------------------------------------ StyleGAN2 / BigGAN
@case
def stylegan2_generator():
    from vidsynth.training.stylegan2 import build_image_generator

    torch.manual_seed(0)
    G = build_image_generator(method_config("stylegan2", "test")).eval()
    with torch.no_grad():
        return summary(G(randn(2, 16, seed=1), noise_mode="const"))


@case
def stylegan2_discriminator():
    from vidsynth.models.resnet_discriminator import ResNetDiscriminator

    cfg = method_config("stylegan2", "test")
    torch.manual_seed(0)
    D = ResNetDiscriminator(cfg.resolution, 3, cfg.d_channel_base, cfg.d_channel_max, cfg.mbstd_group).eval()
    with torch.no_grad():
        return summary(D(randn(4, 3, 16, 16, seed=1).tanh()), 4)


@case
def stylegan2_step_losses():
    """Two StyleGAN2Trainer steps on fixed images (R1 at step 0): every logged term of each. R1 gamma 10
    (the test preset's 0.1 is too weak to move Adam's first, sign-like step): step 1's numbers show R1."""
    from vidsynth.training.stylegan2 import StyleGAN2Trainer

    trainer = StyleGAN2Trainer(method_config("stylegan2", "test", {"r1_gamma": 10.0}), torch.device("cpu"), seed=0)
    return _two_steps(trainer, uint8_clips(4, 1, 16))


@case
def biggan_generator():
    from vidsynth.models.biggan import BigGANGenerator

    torch.manual_seed(0)
    G = BigGANGenerator(32, z_dim=20, width=4).eval()
    with torch.no_grad():
        return summary(G(randn(2, 20, seed=1)))


@case
def biggan_discriminator():
    from vidsynth.models.mocogan_hd import BigGANDiscriminator

    torch.manual_seed(0)
    D = BigGANDiscriminator(resolution=16, channels=2, proj_dim=8)   # train mode: one power iteration per call
    with torch.no_grad():
        logits, proj = D(randn(3, 3, 16, 16, seed=1).tanh())
    return {**{f"logit{k}": v for k, v in summary(logits, 3).items()},
            **{f"proj{k}": v for k, v in summary(proj, 4).items()}}


# ------------------------------------------------------------------------------------- MoCoGAN-HD
def _motion_generator():
    from vidsynth.models.mocogan_hd import MotionGenerator

    torch.manual_seed(0)
    return MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=6, mi_hidden=12, motion_scale=0.5)


@case
def motion_generator():
    g = _motion_generator()
    with torch.no_grad():
        out = g(randn(2, 16, seed=1), 4, noise=randn(2, 3, 16, seed=2))
        mutual_info = float(g.mutual_information_loss(out))
    return {**{f"latents{k}": v for k, v in summary(out.latents).items()},
            **{f"hidden{k}": v for k, v in summary(out.hidden, 3).items()}, "mutual_info": mutual_info}


@case
def video_discriminator_in_domain():
    from vidsynth.models.mocogan_hd import VideoDiscriminator

    torch.manual_seed(0)
    d = VideoDiscriminator(mode="in_domain", num_frames=4, input_size=16, base_channels=4)
    with torch.no_grad():
        s1, s2 = d(video(2, 4, 32, seed=1))
    return {**{f"s1{k}": v for k, v in summary(s1).items()}, **{f"s2{k}": v for k, v in summary(s2, 3).items()}}


@case
def video_discriminator_cross_domain():
    from vidsynth.models.mocogan_hd import VideoDiscriminator

    torch.manual_seed(0)
    d = VideoDiscriminator(mode="cross_domain", num_frames=4, input_size=16, base_channels=4)
    with torch.no_grad():
        s1, s2 = d(video(2, 4, 16, seed=1))
    return {**{f"s1{k}": v for k, v in summary(s1).items()}, **{f"s2{k}": v for k, v in summary(s2, 3).items()}}


@case
def pair_image_discriminator():
    from vidsynth.models.mocogan_hd import PairImageDiscriminator

    torch.manual_seed(0)
    d = PairImageDiscriminator(input_size=16, base_channels=4)
    with torch.no_grad():
        s1, s2 = d(randn(2, 3, 16, 16, seed=1).tanh(), randn(2, 3, 16, 16, seed=2).tanh())
    return {**{f"s1{k}": v for k, v in summary(s1).items()}, **{f"s2{k}": v for k, v in summary(s2, 3).items()}}


@case
def contrastive_discriminator():
    """Logits, projection, EMA keys and the contrastive loss against a bank holding 4 keys."""
    from vidsynth.models.mocogan_hd import ContrastiveImageDiscriminator

    torch.manual_seed(0)
    d = ContrastiveImageDiscriminator(resolution=16, channels=2, proj_dim=8, queue_size=16)
    x = randn(4, 3, 16, 16, seed=1).tanh()
    with torch.no_grad():
        logits, proj = d(x)
        d.enqueue(d.keys(x[:2]), d.keys(x[2:]))
        loss = d.contrastive_loss(proj[:2], d(x[:2].flip(-1))[1], proj[2:], d(x[2:].flip(-1))[1])
    return {**{f"logit{k}": v for k, v in summary(logits, 4).items()},
            **{f"proj{k}": v for k, v in summary(proj, 4).items()}, "contrastive_loss": float(loss)}


def _mocogan_losses(kind: str, mode: str) -> dict[str, float]:
    from tests.mocogan.conftest import DummyImageGenerator
    from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, PairImageDiscriminator,
                                            VideoDiscriminator, discriminator_losses, generator_losses)

    gi = DummyImageGenerator().eval().requires_grad_(False)
    g = _motion_generator()
    vd = VideoDiscriminator(mode=mode, num_frames=4, input_size=16, base_channels=4)
    if mode == "in_domain":
        idisc = PairImageDiscriminator(input_size=16, base_channels=4)
    else:
        idisc = ContrastiveImageDiscriminator(resolution=16, channels=2, proj_dim=8, queue_size=16)
        idisc.enqueue(randn(4, 8, seed=5), randn(4, 8, seed=6))       # a non-empty bank
    real = video(2, 4, 16, seed=1)
    fn = generator_losses if kind == "G" else discriminator_losses
    losses = fn(g, gi, vd, idisc, real, mode=mode, generator=torch.Generator().manual_seed(0))
    return {k: float(v.detach()) for k, v in losses.items()}


@case
def mocogan_generator_losses_in_domain():
    return _mocogan_losses("G", "in_domain")


@case
def mocogan_discriminator_losses_in_domain():
    return _mocogan_losses("D", "in_domain")


@case
def mocogan_generator_losses_cross_domain():
    return _mocogan_losses("G", "cross_domain")


@case
def mocogan_discriminator_losses_cross_domain():
    return _mocogan_losses("D", "cross_domain")
