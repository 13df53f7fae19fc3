"""MoCoGAN-HD training: only the motion generator G_M learns; the image generator G_I is frozen.

Setup (once): load G_I (a stylegan2 run folder or an exported model, ``cfg.image_generator``), fit
the PCA of its latent space (``cfg.pca_samples`` latents, seeded by the run seed) into G_M's buffers
-- lazily at the first step, so a resumed run takes the PCA from its checkpoint instead of refitting.

Per step, on one batch of real clips (``frames`` frames every ``stride``-th frame; official: 16
every 2nd of 32 consecutive), as the official ``GD_step``:
- ``g_steps`` G_M updates (official ``--G_step 5``), each with fresh content codes and motion noise:
  video GAN + image GAN + mutual information (+ feature matching cross-domain); fake videos get
  one image-noise set per video (``noise``, official) and are not clamped (official),
- one update of D_V and D_I together (``discriminator_losses``); cross-domain D_I then updates
  its EMA copy. In-domain D_I compares (x_1, x_t) pairs with real ones; cross-domain D_I is the
  contrastive D on generated frames only.
Adam lr 1e-4, betas (0.5, 0.999); the cross-domain D_I uses betas (0, 0.999), eps 1e-6.

All randomness of a step comes from a generator seeded by ``(seed, step, rank)`` and the data keys
are a pure function of the step, so a resumed run replays the straight run exactly. Multi-process
runs average gradients with ``DistContext.sync_grads`` and all-gather the memory-bank keys
(each rank draws its own latents, so results depend on the world size).
"""
from __future__ import annotations

import hashlib

import torch

from vidsynth.config import MoCoGANHDConfig, validate_mocogan_hd
from vidsynth.errors import CheckpointError, ConfigError
from vidsynth.export import load_image_generator
from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, LossWeights, MemoryBank, MotionGenerator,
                                        PairImageDiscriminator, VideoDiscriminator, discriminator_losses,
                                        generator_losses)
from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
from vidsynth.nn.precision import compile_generator, to_channels_last
from vidsynth.training.distributed import DistContext
from vidsynth.training.micro_batch import BufferMean, micro_batches, micro_rank
from vidsynth.training.precision import MixedPrecision
from vidsynth.utils.heap import retain_heap
from vidsynth.utils.seeding import seed_stream

SAMPLE_SEED_OFFSET = 12345   # snapshot grids: fixed content codes and motions from seed + this


def motion_kwargs(cfg: MoCoGANHDConfig, latent_dim: int) -> dict:
    """``MotionGenerator`` arguments; ``n_pca`` is clamped to the latent size of small image generators.
    ``residual`` only when it is not the paper's, so models exported before it existed keep their stored kwargs."""
    return dict(latent_dim=latent_dim, hidden_dim=cfg.hidden_dim, n_pca=min(cfg.n_pca, latent_dim),
                noise_dim=latent_dim, motion_scale=cfg.motion_scale, mi_hidden=cfg.mi_hidden,
                **({} if cfg.motion_residual == "previous" else {"residual": cfg.motion_residual}))


def fingerprint(module: torch.nn.Module) -> str:
    """SHA-256 of a module's weights: a resumed run must drive the same image generator."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class MoCoGANHDTrainer:
    """Owns G_I (frozen), G_M, D_V, D_I and their optimizers."""

    method = "mocogan-hd"

    def __init__(self, cfg: MoCoGANHDConfig, device: torch.device, c_dim: int = 0, seed: int = 0,
                 dist: DistContext | None = None):
        validate_mocogan_hd(cfg)
        if c_dim:
            raise ConfigError("MoCoGAN-HD training is unconditional; use conditional=false")
        if not cfg.image_generator:
            raise ConfigError("MoCoGAN-HD needs a pretrained image generator: --image-generator RUN_OR_FOLDER "
                              "(a stylegan2 run, or a model from `vidsynth convert`)")
        if cfg.frames < 2:
            raise ConfigError(f"frames must be >= 2 (D_I pairs the first frame with a later one), got {cfg.frames}")
        self.dist = dist or DistContext()
        self.cfg, self.device, self.seed, self.rank = cfg, device, seed, self.dist.rank
        self.mode = "cross_domain" if cfg.cross_domain else "in_domain"
        self.weights = LossWeights(video_gan=cfg.w_video_gan, image_gan=cfg.w_image_gan,
                                   mutual_info=cfg.w_mutual_info, feature_match=cfg.w_feature_match,
                                   contrastive=cfg.w_contrastive, gradient_penalty=cfg.w_gradient_penalty)

        self.G_I, gi_config = load_image_generator(cfg.image_generator, device)     # frozen
        self.image_generator_fingerprint = fingerprint(self.G_I)
        torch.manual_seed(seed)  # identical initial weights on every rank
        self.G_M = MotionGenerator(**motion_kwargs(cfg, self.G_I.latent_dim)).to(device)
        self.D_V = VideoDiscriminator(self.mode, cfg.frames, cfg.resolution, cfg.d_num_scales,
                                      cfg.d_base_channels, cfg.d_layers).to(device)
        gather = self.dist.all_gather if self.dist.active else None
        if cfg.cross_domain:
            self.D_I = ContrastiveImageDiscriminator(cfg.resolution, cfg.contrastive_channels, cfg.proj_dim,
                                                     cfg.queue_size, cfg.moco_momentum, cfg.temperature,
                                                     gather=gather).to(device)
            self.D_I_params = list(self.D_I.discriminator.parameters())   # not the EMA copy
            d_i_betas, d_i_eps = (0.0, cfg.beta2), 1e-6
        else:
            self.D_I = PairImageDiscriminator(cfg.resolution, cfg.d_num_scales, cfg.d_base_channels,
                                              cfg.d_layers).to(device)
            self.D_I_params = list(self.D_I.parameters())
            d_i_betas, d_i_eps = (cfg.beta1, cfg.beta2), 1e-8
        betas = (cfg.beta1, cfg.beta2)
        self.opt_G = torch.optim.Adam(self.G_M.parameters(), lr=cfg.lr, betas=betas)
        self.opt_D_V = torch.optim.Adam(self.D_V.parameters(), lr=cfg.lr, betas=betas)
        self.opt_D_I = torch.optim.Adam(self.D_I_params, lr=cfg.lr, betas=d_i_betas, eps=d_i_eps)
        if cfg.channels_last:
            to_channels_last(self.G_I, self.D_V, self.D_I)
        if cfg.compile:                  # G_I's synthesis: the heavy, frozen part of every fake video
            compile_generator(self.G_I)
        self.amp = MixedPrecision(cfg.precision, device)
        # The names the generic loop checks (finite weights, per-rank checksums): the trained G and both Ds.
        self.G, self.D = self.G_M, torch.nn.ModuleList([self.D_V, self.D_I])
        # The exported module: both generators, sharing this trainer's live modules.
        self.video_generator = MoCoGANHDVideoGenerator(gi_config["class_name"], gi_config["kwargs"],
                                                       motion_kwargs(cfg, self.G_I.latent_dim), cfg.noise,
                                                       image_generator=self.G_I, motion_generator=self.G_M)

    # ------------------------------------------------------------------ helpers
    def step_generator(self, step: int, part: int = 0, parts: int = 1) -> torch.Generator:
        """The random stream of ``step`` on this rank; with micro-batches, that of piece ``part`` of ``parts``:
        the stream of rank ``rank * parts + part`` (``micro_rank``; a stream depends on the rank only)."""
        rank, _ = micro_rank(self.rank, 1, part, parts)
        return seed_stream(self.seed, step, rank, device=self.device)

    def ensure_pca(self) -> None:
        """Fit the latent PCA into G_M's buffers unless they already hold one (new run, first call)."""
        if bool(self.G_M.pca_fitted):
            return
        gen = torch.Generator(device=self.device).manual_seed(self.seed + 777)
        self.G_M.fit_pca(self.G_I, num_samples=self.cfg.pca_samples, batch_size=self.cfg.pca_batch,
                         generator=gen, progress=False)

    def _set_trainable(self, g_on: bool) -> None:
        self.G_M.requires_grad_(g_on)
        self.D_V.requires_grad_(not g_on)
        for p in self.D_I_params:
            p.requires_grad_(not g_on)

    # ------------------------------------------------------------------ one step
    def step(self, step: int, clips: torch.Tensor, labels: torch.Tensor, cur_nimg: int) -> dict[str, float]:
        """``g_steps`` G_M updates and one D update on ``clips`` (uint8 ``[B, 3, T, R, R]``, this rank's share).

        Runs inside ``retain_heap``: the backward passes' GB-sized activations and gradients reuse the
        process heap instead of being faulted in page by page, also from one step to the next."""
        with retain_heap():
            return self._step(step, clips)

    def _step(self, step: int, clips: torch.Tensor) -> dict[str, float]:
        self.ensure_pca()
        cfg = self.cfg
        real = clips.to(self.device, non_blocking=True).float() / 127.5 - 1       # [B, 3, T, R, R]
        # micro-batches of cfg.batch_gpu (training/micro_batch.py): piece i draws from the stream of rank
        # rank * parts + i, as that process of a run with parts x the processes would; one piece: the plain step
        pieces = micro_batches(real.shape[0], cfg.batch_gpu)
        parts = len(pieces)
        gens = [self.step_generator(step, i, parts) for i in range(parts)]
        kw = dict(mode=self.mode, weights=self.weights, noise_mode=cfg.noise, unroll=cfg.train_unroll)
        stats: dict[str, float] = {}

        def piece_loss(losses_of, record: list, i: int, regularizer: bool = False) -> torch.Tensor:
            with self.amp.autocast(regularizer=regularizer):
                losses = losses_of(self.G_M, self.G_I, self.D_V, self.D_I, real[pieces[i]], generator=gens[i], **kw)
            record.append({k: v.detach() for k, v in losses.items()})
            return losses["total"]

        def mean_of(record: list) -> dict[str, float]:
            return {k: (sum(piece[k] for piece in record) / parts).item() for k in record[0]}

        def backward_step(losses_of, record: list, modules, optimizers, regularizer: bool = False) -> None:
            """Every piece's loss back-propagated, then one step. D_V's and D_I's buffers (spectral norm's power
            iteration) move as on one process per piece; the memory banks take every piece's keys in turn."""
            shared = BufferMean([self.D_V, self.D_I], parts, keep=(MemoryBank,))
            self.amp.backward_step([shared.wrap(lambda i=i: piece_loss(losses_of, record, i, regularizer))
                                    for i in range(parts)], modules, optimizers, self.dist)
            shared.finish()

        self._set_trainable(True)
        for _ in range(cfg.g_steps):
            record: list = []
            backward_step(generator_losses, record, [self.G_M], [self.opt_G])
        losses = mean_of(record)
        stats.update({f"G/{k}": v for k, v in losses.items() if k != "total"})
        stats["loss/G"] = losses["total"]

        self._set_trainable(False)
        record = []                                                           # D_V's WGAN-GP: fp32 passes
        backward_step(discriminator_losses, record, [self.D_V, self.D_I], [self.opt_D_V, self.opt_D_I],
                      regularizer=cfg.w_gradient_penalty > 0)
        # the EMA copy of the cross-domain D_I has no gradients and is skipped by the gradient averaging
        if cfg.cross_domain:
            self.D_I.update_ema()
        self.D_V.requires_grad_(False)
        for p in self.D_I_params:
            p.requires_grad_(False)
        losses = mean_of(record)
        stats.update({f"D/{k}": v for k, v in losses.items() if k != "total"})
        stats["loss/D"] = losses["total"]
        return stats

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Everything but G_I (frozen; identified by its fingerprint). G_M carries the PCA buffers."""
        return {"G_M": self.G_M.state_dict(), "D_V": self.D_V.state_dict(), "D_I": self.D_I.state_dict(),
                "opt_G": self.opt_G.state_dict(), "opt_D_V": self.opt_D_V.state_dict(),
                "opt_D_I": self.opt_D_I.state_dict(), "image_generator_fingerprint": self.image_generator_fingerprint,
                **({"scaler": self.amp.state_dict()} if self.amp.scaler.is_enabled() else {})}

    def load_state_dict(self, state: dict) -> None:
        if state.get("image_generator_fingerprint") not in (None, self.image_generator_fingerprint):
            raise CheckpointError(f"the image generator at '{self.cfg.image_generator}' is not the one this run was "
                                  "trained with (weights differ); resume with the original image generator")
        self.G_M.load_state_dict(state["G_M"])
        self.D_V.load_state_dict(state["D_V"])
        self.D_I.load_state_dict(state["D_I"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D_V.load_state_dict(state["opt_D_V"])
        self.opt_D_I.load_state_dict(state["opt_D_I"])
        self.amp.load_state_dict(state.get("scaler"))

    def export(self) -> tuple[torch.nn.Module, dict]:
        """``MoCoGANHDVideoGenerator`` (G_I + G_M with its PCA): one folder samples videos."""
        self.ensure_pca()
        return self.video_generator, self.video_generator.init_kwargs

    @torch.no_grad()
    def sample(self, z: torch.Tensor, z_motion: torch.Tensor, num_frames: int, c=None) -> torch.Tensor:
        """Snapshot videos ``[n, 3, T, R, R]`` in [-1, 1] on CPU, n = ``len(z)``. Content codes and motion
        noise come from the G_I prior with a fixed seed (``z``/``z_motion`` only give the count), so
        snapshots are comparable over training."""
        self.ensure_pca()
        n = z.shape[0]
        gen = torch.Generator().manual_seed(self.seed + SAMPLE_SEED_OFFSET)
        w1 = self.G_I.sample_latents(n, generator=gen).to(self.device)
        noise = self.G_M.sample_noise(n, num_frames, gen, device="cpu").to(self.device)
        return self.video_generator(w1, num_frames, noise=noise, generator=gen, batch_size=64).cpu()
