"""Image-generator training for MoCoGAN-HD: StyleGAN2 (W space) or BigGAN-style (Z space) on frames.

Each real sample is one image ``[3, R, R]``: a random frame of a random video, or an image of an
image folder (``vidsynth/data/images.py``). Per step (StyleGAN2, Karras et al. 2020; rosinality's
and StyleGAN2-ADA's trainers):
- G: non-saturating loss ``softplus(-D(aug(G(z))))``; with probability ``style_mixing`` two
  latents are mixed at a random layer (StyleGAN2 only). Every ``g_reg_interval`` steps, plus
  ``pl_weight * interval * path-length penalty`` on a batch shrunk by ``pl_batch_shrink``
  (``path_length.py``): a smooth W space, which MoCoGAN-HD's equal steps in W rely on.
- D: ``softplus(D(aug(fake))) + softplus(-D(aug(real)))`` and lazy R1 (``gamma / 2 * |grad D(real)|^2``
  every ``r1_interval`` steps, scaled by the interval) on the un-augmented reals (through the
  augmentation); gamma from ADA's rule ``0.0002 R^2 / batch`` unless set.
- aug: ADA (``ada.py``, p adapted from E[sign D(real)] toward 0.6) or DiffAugment (``diffaugment``).
- EMA of G with half-life ``ema_kimg``; the EMA generator is what is sampled and exported.
The lazy regularisers are folded into the regular step's loss on their steps (one backward, one Adam
step), with Adam's lr and betas scaled by interval / (interval + 1) as StyleGAN2.

Same contract as ``DIGANTrainer``: ``step``/``state_dict``/``load_state_dict``/``export``/``sample``,
all randomness of a step from a generator seeded by ``(seed, step, rank)`` (per-layer noise maps
included), so a resumed run replays the straight run exactly. Multi-process runs average gradients
with ``DistContext.sync_grads`` (each rank draws its own latents: results depend on the world size).
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.config import StyleGAN2Config, r1_gamma, validate_stylegan2
from vidsynth.training.ada import AdaptiveAugment
from vidsynth.training.base import GANTrainerState, lazy_regularized_adam
from vidsynth.training.distributed import DistContext
from vidsynth.training.ema import update_ema
from vidsynth.training.path_length import PathLengthRegularizer
from vidsynth.training.precision import MixedPrecision
from vidsynth.utils.seeding import seed_stream
from vidsynth.errors import ConfigError
from vidsynth.models.biggan import BigGANGenerator
from vidsynth.models.resnet_discriminator import ResNetDiscriminator
from vidsynth.models.stylegan2 import StyleGAN2Generator
from vidsynth.nn.diffaugment import diff_augment
from vidsynth.nn.precision import compile_generator, to_channels_last

FAMILIES = ("stylegan2", "biggan")


def build_image_generator(cfg: StyleGAN2Config) -> nn.Module:
    """The untrained generator of ``cfg.family`` (both have ``init_kwargs`` for export)."""
    if cfg.family == "stylegan2":
        return StyleGAN2Generator(resolution=cfg.resolution, style_dim=cfg.z_dim, n_mlp=cfg.n_mlp,
                                  channel_multiplier=cfg.channel_multiplier, channel_max=cfg.g_channel_max)
    if cfg.family == "biggan":
        return BigGANGenerator(resolution=cfg.resolution, z_dim=cfg.z_dim, width=cfg.biggan_width)
    raise ConfigError(f"family must be one of {', '.join(FAMILIES)}, got {cfg.family!r}")


def style_mixed_images(G: StyleGAN2Generator, z: torch.Tensor, z_mix: torch.Tensor, cutoff: int | None,
                       noise: list[torch.Tensor], update_w_avg: bool = False,
                       return_ws: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """StyleGAN2 images ``[N, 3, R, R]`` from ``z, z_mix [N, z_dim]``: layers >= ``cutoff`` take
    ``mapping(z_mix)`` (None = no mixing); ``noise`` are the per-layer noise maps. With ``return_ws``
    also the per-layer latents ``[N, num_ws, D]`` (path-length regularisation differentiates by them)."""
    w = G.mapping(z, update_w_avg=update_w_avg)                           # [N, D]
    ws = w.unsqueeze(1).repeat(1, G.num_ws, 1)                            # [N, num_ws, D]
    if cutoff is not None:
        ws[:, cutoff:] = G.mapping(z_mix).unsqueeze(1)
    images = G.synthesis(ws, noise=noise)                                 # [N, 3, R, R]
    return (images, ws) if return_ws else images


class StyleGAN2Trainer(GANTrainerState):
    """Owns G, G_ema, D and their optimizers; ``step`` runs one G and one D update."""

    method = "stylegan2"

    def __init__(self, cfg: StyleGAN2Config, device: torch.device, c_dim: int = 0, seed: int = 0,
                 dist: DistContext | None = None):
        if c_dim:
            raise ConfigError("the image-generator trainer is unconditional; use conditional=false")
        if cfg.frames != 1:
            raise ConfigError(f"the image-generator trainer sees single frames: frames must be 1, got {cfg.frames}")
        validate_stylegan2(cfg)
        self.dist = dist or DistContext()
        self.cfg, self.device, self.seed, self.rank = cfg, device, seed, self.dist.rank
        self.r1_gamma = r1_gamma(cfg)
        self.ada = AdaptiveAugment(cfg.augment, cfg.augment_p, cfg.ada_target, cfg.ada_interval, cfg.ada_kimg,
                                   cfg.batch, tuple(p for p in cfg.ada_pipeline.split(",") if p))
        self.path_length = PathLengthRegularizer(cfg.pl_decay)
        torch.manual_seed(seed)  # identical initial weights on every rank
        self.G = build_image_generator(cfg).to(device)
        self.D = ResNetDiscriminator(cfg.resolution, 3, cfg.d_channel_base, cfg.d_channel_max,
                                     cfg.mbstd_group).to(device)
        if cfg.channels_last:
            to_channels_last(self.G, self.D)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        if cfg.compile:                  # after the copy: G_ema (snapshots, export) stays a plain module
            compile_generator(self.G)
        self.amp = MixedPrecision(cfg.precision, device)
        # Lazy regularisation folded into Adam's lr and betas, as in StyleGAN2.
        self.opt_G = lazy_regularized_adam(self.G.parameters(), cfg.lr, cfg.beta1, cfg.beta2, cfg.g_reg_interval)
        self.opt_D = lazy_regularized_adam(self.D.parameters(), cfg.lr, cfg.beta1, cfg.beta2, cfg.r1_interval)

    # ------------------------------------------------------------------ helpers
    def step_generator(self, step: int) -> torch.Generator:
        return seed_stream(self.seed, step, self.rank, device=self.device)

    def _augment(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """What D sees: ADA's pipeline at the current p, or DiffAugment (mutually exclusive)."""
        x = diff_augment(x, self.cfg.diffaugment, generator=g) if self.cfg.diffaugment else x
        return self.ada(x, g)

    def _all_reduce_sum(self, x: torch.Tensor) -> torch.Tensor:
        return self.dist.all_gather(x.to(self.device)[None]).sum(0).cpu() if self.dist.active else x

    def _all_reduce_mean(self, x: torch.Tensor) -> torch.Tensor:
        return self.dist.all_gather(x[None]).mean(0) if self.dist.active else x

    def _fake(self, n: int, g: torch.Generator, update_w_avg: bool = False, return_ws: bool = False):
        """``n`` generated images ``[n, 3, R, R]`` (and their ``ws`` with ``return_ws``); all draws from ``g``."""
        cfg, dev = self.cfg, self.device
        z = torch.randn(n, cfg.z_dim, generator=g, device=dev)
        if not isinstance(self.G, StyleGAN2Generator):
            return self.G(z)
        mix = torch.rand((), generator=g, device=dev).item() < cfg.style_mixing
        z_mix = torch.randn(n, cfg.z_dim, generator=g, device=dev)      # drawn always: same stream either way
        cutoff = int(torch.randint(1, self.G.num_ws, (), generator=g, device=dev)) if mix else None
        noise = [torch.randn(n, 1, *m.shape[2:], generator=g, device=dev) for m in self.G.make_noise(1, "const")]
        return style_mixed_images(self.G, z, z_mix, cutoff, noise, update_w_avg, return_ws)

    # ------------------------------------------------------------------ one step
    def step(self, step: int, clips: torch.Tensor, labels: torch.Tensor, cur_nimg: int) -> dict[str, float]:
        """One G update and one D update; ``clips`` uint8 ``[B, 3, 1, R, R]`` (this rank's share)."""
        cfg, g = self.cfg, self.step_generator(step)
        real = clips.to(self.device, non_blocking=True)[:, :, 0].float() / 127.5 - 1   # [B, 3, R, R]
        n = real.shape[0]
        stats = {}

        # --- G: make D call fakes real (non-saturating) ---
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        with self.amp.autocast():
            loss_g = F.softplus(-self.D(self._augment(self._fake(n, g, update_w_avg=True), g))).mean()
        stats["loss/G"] = loss_g.item()
        do_pl = (cfg.pl_weight > 0 and cfg.g_reg_interval > 0 and step % cfg.g_reg_interval == 0
                 and isinstance(self.G, StyleGAN2Generator))
        if do_pl:   # lazy path-length regularisation on a shrunk batch, scaled by the interval
            with self.amp.autocast(regularizer=True):
                images, ws = self._fake(max(1, n // cfg.pl_batch_shrink), g, return_ws=True)
                pl, _ = self.path_length.penalty(images, ws, g, self._all_reduce_mean)
            loss_g = loss_g + pl * (cfg.pl_weight * cfg.g_reg_interval)
            stats["loss/PL"], stats["PL/mean"] = pl.item(), self.path_length.mean
        self.apply(loss_g, self.G, self.opt_G)

        # --- D: fakes low, reals high, lazy R1 on reals ---
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        do_r1 = self.r1_gamma > 0 and cfg.r1_interval > 0 and step % cfg.r1_interval == 0
        real.requires_grad_(do_r1)
        with self.amp.autocast():
            with torch.no_grad():
                fake = self._fake(n, g)
            logits_fake = self.D(self._augment(fake, g))
        with self.amp.autocast(regularizer=do_r1):        # R1 is taken through this pass
            logits_real = self.D(self._augment(real, g))
        loss_d = F.softplus(logits_fake.float()).mean() + F.softplus(-logits_real.float()).mean()
        self.ada.accumulate(logits_real.float())
        stats["loss/D"] = loss_d.item()
        stats["D/real"], stats["D/fake"] = logits_real.mean().item(), logits_fake.mean().item()
        if do_r1:
            grad, = torch.autograd.grad(logits_real.float().sum(), real, create_graph=True)
            r1 = grad.float().square().sum([1, 2, 3]).mean()
            loss_d = loss_d + r1 * (self.r1_gamma / 2) * cfg.r1_interval
            stats["loss/R1"] = r1.item()
        self.apply(loss_d, self.D, self.opt_D)
        self.D.requires_grad_(False)
        self.dist.average_buffers(self.G)   # w_avg / BatchNorm statistics of the global batch
        r_t = self.ada.update(step, self._all_reduce_sum)
        if r_t is not None:
            stats["ADA/r_t"] = r_t
        if self.ada.active:
            stats["ADA/p"] = self.ada.p

        self.update_ema(cur_nimg)
        return stats

    def update_ema(self, cur_nimg: int) -> None:
        update_ema(self.G_ema, self.G, self.cfg.batch, self.cfg.ema_kimg, self.cfg.ema_rampup, cur_nimg)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """G, D, G_ema, optimizers, plus ADA's p (and its running r_t sums) and the mean path length."""
        return {**super().state_dict(), "ada": self.ada.state_dict(), "path_length": self.path_length.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if "ada" in state:              # checkpoints written before ADA start at the configured p
            self.ada.load_state_dict(state["ada"])
        if "path_length" in state:
            self.path_length.load_state_dict(state["path_length"])

    def export(self) -> tuple[nn.Module, dict]:
        """The EMA generator and its constructor kwargs (loadable as a MoCoGAN-HD image generator)."""
        return self.G_ema, dict(self.G_ema.init_kwargs)

    def sample(self, z: torch.Tensor, z_motion: torch.Tensor, num_frames: int, c=None) -> torch.Tensor:
        """Snapshot images from G_ema as one-frame videos ``[n, 3, 1, R, R]`` in [-1, 1] on CPU
        (``z_motion`` and ``num_frames`` are ignored; StyleGAN2 uses its constant noise maps)."""
        with torch.no_grad():
            z = z.to(self.device)
            if isinstance(self.G_ema, StyleGAN2Generator):
                images = self.G_ema(z, noise_mode="const")
            else:
                images = self.G_ema(z)
        return images.clamp(-1, 1).unsqueeze(2).cpu()
