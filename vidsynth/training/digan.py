"""DIGAN training step: losses of the paper and the official code.

Per step (global batch split across processes):
- G: a fake video per sample, rendered only at two times t1 < t2 (t1 ~ Beta(2, 1), t2 ~ Beta(1, 2),
  sorted) -- the INR never renders the frames D does not look at. Non-saturating loss on the
  motion D (frames + dt plane) and on the image D (both frames).
- D: the same for real pairs (frame indices floor(u * T) with the same Beta draws, dt measured in
  clip time, frame i at t = i / (T - 1)).
- Lazy R1 (gamma 1) on both Ds as its own phase every ``r1_interval`` (16) steps: a separate
  backward and Adam step on ``interval * gamma/2 * (mean_B R1_motion + mean_2B R1_image)``, as the
  official ``Dreg`` phase (17 D steps per 16 iterations). The motion D's gradient is taken with
  respect to the un-augmented pair (through DiffAugment), the image D's per image over the 2B
  augmented frames it saw (official ``loss.py`` ``accumulate_gradients``).
- DiffAugment (colour, translation) with one parameter draw per pair, so both frames move together.
- EMA of G with half-life ``ema_kimg``.
- Optional, not in DIGAN (``d_recon_weight > 0``): the image D also rebuilds the real frames from its feature map
  (FastGAN's self-supervised D), the weighted squared error added to D's main loss.

The loss terms are module-level functions (``generator_loss``, ``discriminator_loss``,
``r1_penalties``) so that tests can compare them with numbers from the official code
(``tests/digan/test_official_fixtures.py``).

All randomness of a step comes from a generator seeded by ``(seed, step)`` and drawn for the global
batch (each process takes its slice); with the data keys also a pure function of the step, resuming
from a checkpoint replays exactly the same run, and N processes compute what one would.
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
import torch.nn.functional as F

from vidsynth.config import DIGANConfig, digan_frame_size
from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator, frame_labels, motion_input, pair_frames
from vidsynth.nn.diffaugment import diff_augment
from vidsynth.nn.precision import compile_generator, to_channels_last
from vidsynth.training.base import GANTrainerState, lazy_regularized_adam
from vidsynth.training.distributed import DistContext
from vidsynth.training.ema import update_ema
from vidsynth.training.micro_batch import BufferMean, micro_batches, micro_rank
from vidsynth.training.precision import MixedPrecision
from vidsynth.utils.heap import retain_heap
from vidsynth.utils.seeding import seed_stream


class StepRandom:
    """All random draws of one training step, made for the GLOBAL batch and sliced to this rank.

    Seeded by (seed, step): one process and N processes draw the same numbers, and a resumed run
    draws what the uninterrupted run drew.
    """

    def __init__(self, seed: int, step: int, device, local: int, rank: int, world_size: int):
        self.g = seed_stream(seed, step, device=device)
        self.device, self.total = device, local * world_size
        self.part = (rank * local, self.total)          # for DiffAugment
        self.mine = slice(rank * local, (rank + 1) * local)

    def randn(self, dim: int) -> torch.Tensor:
        return torch.randn(self.total, dim, generator=self.g, device=self.device)[self.mine]

    def rand(self) -> torch.Tensor:
        return torch.rand(self.total, generator=self.g, device=self.device)[self.mine]

    def beta21(self) -> torch.Tensor:
        """Beta(2, 1) by inverse CDF (F(x) = x^2), so it can use an explicit generator."""
        return self.rand().sqrt()

    def beta12(self) -> torch.Tensor:
        """Beta(1, 2) by inverse CDF (F(x) = 1 - (1 - x)^2)."""
        return 1 - self.rand().sqrt()

    def pair_times(self) -> torch.Tensor:
        """``[n, 2]`` sorted times in [0, 1]: the paper's Beta(2,1) / Beta(1,2) pair."""
        return torch.stack([self.beta21(), self.beta12()], dim=1).sort(dim=1).values


def augment_pair(pair: torch.Tensor, policy: str, generator: torch.Generator | None = None,
                 part: tuple[int, int] | None = None) -> torch.Tensor:
    """DiffAugment of motion inputs ``[B, 7, H, W]``: one parameter draw per pair, applied to both frames; the dt
    plane is left as it is (official ``run_D``). Draws in the official order (brightness, saturation, contrast,
    then translation x, y; ``B`` values each), so a generator seeded like torch's global one augments identically."""
    if not policy:
        return pair
    frames = diff_augment(pair[:, :6], policy, rgb_groups=2, generator=generator, part=part)
    return torch.cat([frames, pair[:, 6:]], dim=1)


def generator_loss(D: DIGANDiscriminator, fake: torch.Tensor, c=None) -> dict[str, torch.Tensor]:
    """Non-saturating G loss on (augmented) fake pairs ``[B, 7, H, W]``: ``softplus(-logit)`` averaged per D,
    the two means added (official ``Gmain``: ``loss_Gmain.mean() + loss_Gimg_main.mean()``)."""
    motion, image = D(fake, c)
    return {"G/motion": F.softplus(-motion).mean(), "G/image": F.softplus(-image).mean()}


def discriminator_loss(D: DIGANDiscriminator, fake: torch.Tensor, real: torch.Tensor, c=None,
                       recon_weight: float = 0.0) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """D's main loss on (augmented) fake and real pairs: ``softplus(fake) + softplus(-real)`` for each D, each
    term a mean over its batch (B pairs for the motion D, 2B frames for the image D; official ``Dmain``).
    With ``recon_weight > 0`` (and a D built with ``recon_from``) a fifth term, not in DIGAN: ``recon_weight``
    times the mean squared error between the 2B real frames and the frames the image D's decoder rebuilds from
    its feature map (FastGAN's self-supervised D, ``vidsynth/nn/feature_decoder.py``).
    Returns (the loss terms, the four logit tensors)."""
    f_motion, f_image = D(fake, c)
    if recon_weight > 0:
        frames = pair_frames(real)                                        # [2B, 3, H, W]
        r_motion = D.motion_d(real, c)
        r_image, rebuilt = D.reconstruct(frames, frame_labels(c))
    else:
        r_motion, r_image = D(real, c)
    terms = {"D/motion_fake": F.softplus(f_motion).mean(), "D/motion_real": F.softplus(-r_motion).mean(),
             "D/image_fake": F.softplus(f_image).mean(), "D/image_real": F.softplus(-r_image).mean()}
    if recon_weight > 0:
        terms["D/image_recon"] = recon_weight * (rebuilt - frames).square().mean()
    logits = {"motion_fake": f_motion, "motion_real": r_motion, "image_fake": f_image, "image_real": r_image}
    return terms, logits


def r1_penalties(D: DIGANDiscriminator, real: torch.Tensor, c=None,
                 augment: Callable[[torch.Tensor], torch.Tensor] = lambda x: x) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample R1 penalties ``||grad D||^2`` on real pairs ``[B, 7, H, W]`` (graph kept for the backward).

    - motion D: gradient with respect to the un-augmented pair (through ``augment``), dt plane included: ``[B]``.
    - image D: gradient with respect to the augmented frames it was given, per image: ``[2B]``.
    Both exactly as the official ``loss.py`` (``r1_grads`` w.r.t. ``real_img_tmp``, ``r1_img_grads`` w.r.t.
    ``temp_imgs``). The R1 loss is ``gamma / 2 * (motion.mean() + image.mean())``.
    """
    real = real.detach().requires_grad_(True)
    aug = augment(real)
    frames = pair_frames(aug)                                            # [2B, 3, H, W], in the graph of aug
    motion = D.motion_d(aug, c)
    image = D.image_d(frames, frame_labels(c))
    grad_m, = torch.autograd.grad(motion.sum(), real, create_graph=True)
    grad_i, = torch.autograd.grad(image.sum(), frames, create_graph=True)
    return grad_m.square().sum([1, 2, 3]), grad_i.square().sum([1, 2, 3])


def lazy_r1_loss(D: DIGANDiscriminator, real: torch.Tensor, c, augment: Callable[[torch.Tensor], torch.Tensor],
                 gamma: float, interval: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss of the lazy R1 phase: ``interval * gamma / 2 * (mean_B R1_motion + mean_2B R1_image)``
    (official ``Dreg``: ``r1_gamma / 2`` per sample, each D's mean, times the gain ``interval``).
    Returns (the loss to backpropagate, the unscaled sum of the two means for logging)."""
    r1_motion, r1_image = r1_penalties(D, real, c, augment)
    r1 = r1_motion.mean() + r1_image.mean()
    return r1 * (gamma / 2) * interval, r1


def generator_kwargs(cfg: DIGANConfig, c_dim: int = 0) -> dict:
    """``DIGANGenerator`` kwargs of ``cfg``; ``width`` only for non-square frames (so square exports are unchanged)."""
    height, width = digan_frame_size(cfg)
    extra = {"width": width} if width != height else {}
    return dict(resolution=cfg.resolution, input_resolution=cfg.input_resolution, z_dim=cfg.z_dim, w_dim=cfg.w_dim,
                motion_dim=cfg.motion_dim, c_dim=c_dim, mapping_layers=cfg.mapping_layers,
                channel_base=cfg.g_channel_base, channel_max=cfg.g_channel_max, emb_size=cfg.emb_size,
                fourier_scale=cfg.fourier_scale, sigma_t=cfg.sigma_t, fmm_rank=cfg.fmm_rank,
                extra_layers_from=cfg.extra_layers_from) | extra


class DIGANTrainer(GANTrainerState):
    """Owns G, G_ema, D and their optimizers; ``step`` runs one G and one D update."""

    method = "digan"

    def __init__(self, cfg: DIGANConfig, device: torch.device, c_dim: int = 0, seed: int = 0,
                 dist: DistContext | None = None):
        self.cfg, self.device, self.c_dim, self.seed = cfg, device, c_dim, seed
        self.dist = dist or DistContext()
        torch.manual_seed(seed)  # identical initial weights on every rank
        self.G = DIGANGenerator(**generator_kwargs(cfg, c_dim)).to(device)
        self.D = DIGANDiscriminator(cfg.resolution, c_dim, cfg.d_channel_base, cfg.d_channel_max,
                                    cfg.mbstd_group, width=digan_frame_size(cfg)[1], num_fp16_res=cfg.d_num_fp16_res,
                                    conv_clamp=cfg.d_conv_clamp or None,
                                    recon_from=cfg.d_recon_from if cfg.d_recon_weight > 0 else 0).to(device)
        if cfg.channels_last:
            to_channels_last(self.G, self.D)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        if cfg.compile:                  # after the copy: G_ema (snapshots, export) stays a plain module
            compile_generator(self.G)
        self.amp = MixedPrecision(cfg.precision, device, blockwise=[self.D])   # StyleGAN2-ADA's scheme: G fp32
        # Adam's lr and betas scaled by interval / (interval + 1), as the official code does for its lazy
        # phases (D: R1 every r1_interval steps; G: a Greg phase every 4 that is empty with pl_weight 0).
        self.opt_G = lazy_regularized_adam(self.G.parameters(), cfg.lr, cfg.beta1, cfg.beta2, cfg.g_reg_interval)
        self.opt_D = lazy_regularized_adam(self.D.parameters(), cfg.lr, cfg.beta1, cfg.beta2, cfg.r1_interval)

    # ------------------------------------------------------------------ helpers
    def _augment(self, pair: torch.Tensor, r: StepRandom) -> torch.Tensor:
        return augment_pair(pair, self.cfg.diffaugment, r.g, r.part)

    def _fake_draws(self, r: StepRandom) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A fake pair's random draws: z ``[n, z_dim]``, z_motion ``[n, motion_dim]``, sorted times ``[n, 2]``."""
        return r.randn(self.cfg.z_dim), r.randn(self.cfg.motion_dim), r.pair_times()

    def _fake_pair(self, c, r: StepRandom) -> torch.Tensor:
        z, zm, times = self._fake_draws(r)                                # times [n, 2]
        video = self.G(z, zm, times, c)                                   # [n, 3, 2, H, W]
        return motion_input(video[:, :, 0], video[:, :, 1], times[:, 1] - times[:, 0])

    @staticmethod
    def _real_indices(r: StepRandom, t: int) -> torch.Tensor:
        """The two clip frames of each real pair: ``floor(u * T)`` with u ~ Beta(2,1), Beta(1,2), sorted ``[n, 2]``."""
        u = torch.stack([r.beta21(), r.beta12()], dim=1)
        return (u * t).floor().long().clamp_(max=t - 1).sort(dim=1).values  # [n, 2]

    def _real_pair(self, clips: torch.Tensor, r: StepRandom, frames: torch.Tensor | None = None) -> torch.Tensor:
        """Real motion inputs ``[n, 7, H, W]``. ``clips`` holds all ``T`` frames of each clip or, with ``frames``
        (``[n, 2]``), only clip frames ``frames``: those must be the ones this step draws (checked)."""
        n = clips.shape[0]
        t = clips.shape[2] if frames is None else self.cfg.frames
        idx = self._real_indices(r, t)                                    # [n, 2] frame numbers in the clip
        at = idx                                                          # where they are in ``clips``
        if frames is not None:
            if frames.shape != idx.shape or clips.shape[2] != 2 or not torch.equal(frames.to(idx.device), idx):
                raise RuntimeError(f"the loader decoded clip frames {frames.tolist()} ({clips.shape[2]} per clip) "
                                   f"but the step draws {idx.tolist()}: DIGANTrainer.real_frames no longer replays "
                                   "the step's draws, or the loader was not given it")
            at = torch.arange(2, device=idx.device).expand(n, 2)          # the pair is clips[:, :, 0] and [:, :, 1]
        ar = torch.arange(n, device=self.device)
        f1, f2 = clips[ar, :, at[:, 0]], clips[ar, :, at[:, 1]]           # [n, 3, H, W] uint8
        to_float = lambda x: x.float() / 127.5 - 1
        dt = (idx[:, 1] - idx[:, 0]).float() / max(t - 1, 1)
        return motion_input(to_float(f1), to_float(f2), dt)

    def real_frames(self, step: int, n: int) -> torch.Tensor:
        """The clip frames step ``step`` shows its Ds, ``[n, 2]`` for this rank's ``n`` clips, known before the
        step: the training loader decodes only these (2 of ``cfg.frames`` per clip). Replays the step's draws
        up to the real pair (both fake pairs' draws and the G phase's augmentation) from the same ``(seed,
        step)`` stream, so the numbers are exactly the step's. The augmentation runs on a 1 x 1 zero pair:
        DiffAugment draws one set of parameters per sample whatever the size, so the draws are the same and
        the replay costs next to nothing (the step checks the frames it gets against its own draws)."""
        r = StepRandom(self.seed, step, self.device, n, self.dist.rank, self.dist.world_size)
        with torch.no_grad():
            self._fake_draws(r)                                                    # G phase: the fake pair
            self._augment(torch.zeros(n, 7, 1, 1, device=self.device), r)          # ... and its augmentation
            self._fake_draws(r)                                                    # D phase: the fake pair
            return self._real_indices(r, self.cfg.frames).cpu()

    def _one_hot(self, labels: torch.Tensor):
        if self.c_dim == 0:
            return None
        return F.one_hot(labels.clamp(min=0), self.c_dim).float().mul_((labels >= 0)[:, None]).to(self.device)  # -1: 0s

    # ------------------------------------------------------------------ one step
    def step(self, step: int, clips: torch.Tensor, labels: torch.Tensor, cur_nimg: int,
             frames: torch.Tensor | None = None) -> dict[str, float]:
        """One G update and one D update on ``clips`` (uint8 ``[B, 3, T, R, R]``, this rank's share), or on
        ``[B, 3, 2, R, R]`` holding only the clip frames ``frames`` (``[B, 2]``, from :meth:`real_frames`).

        Runs inside ``retain_heap``: the GB-sized activations and gradients of paper-scale steps reuse the
        process heap instead of being faulted in page by page, also from one step to the next (paper128,
        batch 4: 40.3 -> 18.9 s per step, docs/performance.md)."""
        with retain_heap():
            return self._step(step, clips, labels, cur_nimg, frames)

    def _step(self, step: int, clips: torch.Tensor, labels: torch.Tensor, cur_nimg: int,
              frames: torch.Tensor | None) -> dict[str, float]:
        cfg = self.cfg
        clips = clips.to(self.device, non_blocking=True)
        c = self._one_hot(labels)
        # micro-batches of cfg.batch_gpu (training/micro_batch.py): piece i draws as rank rank * parts + i
        # would, so its numbers are the whole share's, sliced; one piece (the default) is the plain step
        pieces = micro_batches(clips.shape[0], cfg.batch_gpu)
        parts = len(pieces)
        rs = [StepRandom(self.seed, step, self.device, p.stop - p.start,
                         *micro_rank(self.dist.rank, self.dist.world_size, i, parts)) for i, p in enumerate(pieces)]
        cs = [None if c is None else c[p] for p in pieces]
        stats = {}

        # --- G: make D call fakes real (non-saturating) ---
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        w_avg = BufferMean([self.G], parts)

        def g_loss(i: int) -> torch.Tensor:
            with self.amp.autocast():
                fake = self._augment(self._fake_pair(cs[i], rs[i]), rs[i])
                return sum(generator_loss(self.D, fake, cs[i]).values())
        loss_g = self.apply([w_avg.wrap(lambda i=i: g_loss(i)) for i in range(parts)], self.G, self.opt_G)
        stats["loss/G"] = loss_g.item()
        w_avg.finish()

        # --- D main: fakes low, reals high ---
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        w_avg, reals, logits = BufferMean([self.G], parts), [], []

        def d_loss(i: int) -> torch.Tensor:
            with self.amp.autocast():
                with torch.no_grad():
                    fake = self._fake_pair(cs[i], rs[i])
                reals.append(self._real_pair(clips[pieces[i]], rs[i], None if frames is None else frames[pieces[i]]))
                terms, out = discriminator_loss(self.D, self._augment(fake, rs[i]), self._augment(reals[i], rs[i]),
                                                cs[i], cfg.d_recon_weight)
            logits.append({k: v.detach().mean() for k, v in out.items()})
            if "D/image_recon" in terms:
                logits[-1]["image_recon"] = terms["D/image_recon"].detach() / cfg.d_recon_weight
            return sum(terms.values())
        loss_d = self.apply([w_avg.wrap(lambda i=i: d_loss(i)) for i in range(parts)], self.D, self.opt_D)
        stats["loss/D"] = loss_d.item()
        w_avg.finish()
        mean = {k: sum(piece[k] for piece in logits) / parts for k in logits[0]}
        stats["D/real_motion"], stats["D/fake_motion"] = mean["motion_real"].item(), mean["motion_fake"].item()
        stats["D/real_image"], stats["D/fake_image"] = mean["image_real"].item(), mean["image_fake"].item()
        if "image_recon" in mean:
            stats["D/image_recon"] = mean["image_recon"].item()     # squared error of the rebuilt real frames

        # --- D reg: lazy R1 as its own phase and Adam step (official Dreg), on the same reals, fresh augmentation ---
        if cfg.r1_gamma > 0 and cfg.r1_interval > 0 and step % cfg.r1_interval == 0:
            r1s = []

            def r1_loss(i: int) -> torch.Tensor:
                with self.amp.autocast(regularizer=True):
                    loss, r1 = lazy_r1_loss(self.D, reals[i], cs[i], lambda x: self._augment(x, rs[i]), cfg.r1_gamma,
                                            cfg.r1_interval)
                r1s.append(r1.detach())
                return loss
            self.apply([lambda i=i: r1_loss(i) for i in range(parts)], self.D, self.opt_D)
            stats["loss/R1"] = (sum(r1s) / parts).item()
        self.D.requires_grad_(False)

        self.update_ema(cur_nimg)
        return stats

    def update_ema(self, cur_nimg: int) -> None:
        self.dist.average_buffers(self.G)   # w_avg of the global batch on every rank
        update_ema(self.G_ema, self.G, self.cfg.batch, self.cfg.ema_kimg, self.cfg.ema_rampup, cur_nimg)

    # ------------------------------------------------------------------ state
    def export(self) -> tuple[torch.nn.Module, dict]:
        """The module to export (EMA generator) and its constructor kwargs."""
        return self.G_ema, dict(self.G_ema.init_kwargs)

    def sample(self, z: torch.Tensor, z_motion: torch.Tensor, num_frames: int, c=None) -> torch.Tensor:
        """Snapshot videos from G_ema: ``[n, 3, T, R, R]`` in [-1, 1] on CPU (frame i at i / (frames - 1))."""
        times = DIGANGenerator.frame_times(num_frames, self.cfg.frames, device=self.device)
        with torch.no_grad():
            return self.G_ema(z.to(self.device), z_motion.to(self.device), times, c).clamp(-1, 1).cpu()

