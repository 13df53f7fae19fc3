"""The named configurations ``vidsynth bench`` measures, one *subject* per method.

A subject builds its networks and offers the same handful of operations for both methods, so
every measurement file works on either: ``latents`` / ``generate`` (a batch of videos),
``generate_per_frame`` and ``generate_chunked`` (same frames, other rendering orders),
``count_generator`` (MACs on the meta device), ``discriminate`` (what the method's Ds do with a
clip), ``discriminators`` and ``train_steps`` (one G and one D update, per kind of step).

Configurations (``SUBJECTS``):

* ``digan-test`` / ``digan-tiny`` / ``digan-paper128``: the presets of ``vidsynth.config``;
  paper128 is the paper's 16 x 128 x 128 setup.
* ``mocogan-hd-test`` / ``mocogan-hd-tiny``: small StyleGAN2 + LSTM for tests and quick looks.
* ``mocogan-hd-ucf128``: MoCoGAN-HD's UCF-101 setup as compared in DIGAN's appendix I: StyleGAN2
  at 256 px with channel multiplier 2 (config F) driven by the LSTM motion generator (hidden 384,
  384 PCA directions), 16 frames, each frame average-pooled to 128 px (what the official trainer
  feeds its discriminators and what the paper's 128 px comparison means).
"""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import torch
from torch import nn

from vidsynth.config import method_config
from vidsynth.nn.video_ops import resize_frames
# Imported here, not lazily: modules that build tensors at import time (vidsynth.nn.resample's
# filter taps) must not be first imported inside ``count_generator``'s ``torch.device("meta")`` block.
from vidsynth.models import digan as _digan, mocogan_hd as _mocogan_hd, stylegan2 as _stylegan2  # noqa: F401
from vidsynth.training import digan as _digan_training  # noqa: F401


class Subject:
    """Common interface; see the module docstring. ``frames`` is the clip length of the config."""

    name = ""
    method = ""
    description = ""
    frames = 16
    resolution = 128           # output (and discriminator) resolution
    paper_scale = False        # heavy on a CPU: ``--quick`` measures it with fewer repeats / frames
    # The machine rate (``peak.PEAK_KEYS``) each measurement's arithmetic is compared with.
    peak_kind: dict = {"generation": "conv3x3", "discriminator": "conv3x3"}   # training: by op (MACCounter.by_kind)
    executed: dict = {}        # ``count_generator`` keywords that count what the implementation executes

    def __init__(self):
        self._built: dict = {}

    def executed_on(self, device) -> dict:
        """``count_generator`` keywords that count what the implementation executes on ``device``
        (``flops.MACCounter`` on a real call gives the same number: ``tests/bench/test_flops.py``)."""
        return dict(self.executed)

    def summary(self) -> dict:
        return {"config": self.name, "method": self.method, "description": self.description,
                "frames": self.frames, "resolution": self.resolution, "paper_scale": self.paper_scale}


# ----------------------------------------------------------------------------------------- DIGAN
class DIGANSubject(Subject):
    method = "digan"
    # The INR generator is per-pixel matrix products (modulated 1x1 convs): sgemm. Its Ds are 3x3 convs,
    # 96% of a paper128 training step's MACs (training steps are compared op by op: MACCounter.by_kind).
    peak_kind = {"generation": "sgemm", "discriminator": "conv3x3"}
    executed = {"as_published": False}

    def __init__(self, name: str, preset: str, description: str, paper_scale: bool = False):
        super().__init__()
        self.name, self.preset, self.description, self.paper_scale = name, preset, description, paper_scale
        self.cfg = method_config("digan", preset)
        self.frames, self.resolution = self.cfg.frames, self.cfg.resolution

    def _generator(self, device) -> nn.Module:
        from vidsynth.models.digan import DIGANGenerator
        from vidsynth.training.digan import generator_kwargs

        return DIGANGenerator(**generator_kwargs(self.cfg)).to(device).eval()

    def build(self, device) -> dict:
        key = str(device)
        if key not in self._built:
            from vidsynth.models.digan import DIGANDiscriminator

            torch.manual_seed(0)
            c = self.cfg
            with torch.inference_mode(False):   # cached for every measure: never inference tensors (backward needs them)
                self._built = {key: {"G": self._generator(device).requires_grad_(False),
                                     "D": DIGANDiscriminator(c.resolution, 0, c.d_channel_base, c.d_channel_max,
                                                             c.mbstd_group).to(device).eval().requires_grad_(False)}}
        return self._built[key]

    def latents(self, batch: int, device, seed: int = 0) -> tuple:
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(batch, self.cfg.z_dim, generator=g)
        zm = torch.randn(batch, self.cfg.motion_dim, generator=g)
        return z.to(device), zm.to(device)

    def times(self, frames: int, device) -> torch.Tensor:
        from vidsynth.models.digan import DIGANGenerator

        return DIGANGenerator.frame_times(frames, self.cfg.frames, device=device)

    def generate(self, latents: tuple, frames: int, G: nn.Module | None = None) -> torch.Tensor:
        """All ``frames`` in one batched pass (what DIGANGenerator does): ``[B, 3, T, R, R]``."""
        z, zm = latents
        G = G if G is not None else self.build(z.device)["G"]
        return G(z, zm, self.times(frames, z.device))

    def generate_chunked(self, latents: tuple, frames: int, chunk: int) -> torch.Tensor:
        """``chunk`` frames per pass (the mapping runs once); frames are independent given w, so the
        result equals ``generate``, while the working memory no longer grows with ``frames``."""
        z, zm = latents
        G = self.build(z.device)["G"]
        w = G.mapping(z, None)
        times = self.times(frames, z.device)
        return torch.cat([G.synthesize(w, zm, times[i:i + chunk]) for i in range(0, frames, chunk)], dim=2)

    def stream_chunks(self, latents: tuple, frames: int, chunk: int):
        """Yield ``[B, 3, <=chunk, R, R]`` pieces of ``generate``'s video in order, one pass each (what a
        video writer consumes): nothing but the current chunk is held, whatever the length."""
        z, zm = latents
        G = self.build(z.device)["G"]
        w = G.mapping(z, None)
        times = self.times(frames, z.device)
        for i in range(0, frames, chunk):
            yield G.synthesize(w, zm, times[i:i + chunk])

    def generate_per_frame(self, latents: tuple, frames: int) -> torch.Tensor:
        """One pass per frame (the baseline that batched time rendering is compared against)."""
        return self.generate_chunked(latents, frames, 1)

    def count_generator(self, frames: int | None = None, batch: int = 1, as_published: bool = True) -> dict:
        """MACs per video. ``as_published``: the architecture as the paper and official code compute it
        (upsample, concatenate, multiply); False: what vidsynth executes (the exactly equivalent
        commuted first layer of upsampling blocks, see ``FMMLayer.forward_upsampled``)."""
        from vidsynth.bench.flops import count_macs
        from vidsynth.models.digan.generator import SynthesisBlock

        frames = frames or self.frames
        previous = SynthesisBlock.commute_upsample
        SynthesisBlock.commute_upsample = not as_published
        try:
            with torch.device("meta"):
                G = self._generator("meta").requires_grad_(False)
                lat = self.latents_meta(batch)
                return count_macs(lambda: self.generate(lat, frames, G))
        finally:
            SynthesisBlock.commute_upsample = previous

    def latents_meta(self, batch: int) -> tuple:
        return torch.empty(batch, self.cfg.z_dim, device="meta"), torch.empty(batch, self.cfg.motion_dim, device="meta")

    def discriminators(self, device, clip_frames: int | None = None) -> nn.Module:
        """What ``discriminate`` takes: the DIGANDiscriminator (image D + motion D; any clip length)."""
        return self.build(device)["D"]

    def discriminate(self, video: torch.Tensor, D: nn.Module | None = None) -> list[torch.Tensor]:
        """DIGAN's Ds look at two frames of a clip: motion D on (first, last, dt) and image D on both."""
        from vidsynth.models.digan import motion_input

        D = D if D is not None else self.build(video.device)["D"]
        dt = torch.ones(video.shape[0], device=video.device)
        return list(D(motion_input(video[:, :, 0], video[:, :, -1], dt)))

    def train_steps(self, batch: int, device, batch_gpu: int = 0) -> dict:
        """``{"r1": step, "no_r1": step}``: callables running one ``DIGANTrainer.step`` (one G and one D
        update) at a step index that runs the lazy R1 phase (a multiple of ``r1_interval``) or not;
        ``batch_gpu``: in micro-batches of that many samples (``training/micro_batch.py``)."""
        from vidsynth.training.digan import DIGANTrainer

        per_pass = batch_gpu or batch
        cfg = dataclasses.replace(self.cfg, batch=batch, batch_gpu=batch_gpu,
                                  mbstd_group=min(self.cfg.mbstd_group, per_pass))
        trainer = DIGANTrainer(cfg, torch.device(device))
        clips = torch.randint(0, 256, (batch, 3, cfg.frames, cfg.resolution, cfg.resolution), dtype=torch.uint8)
        labels = torch.zeros(batch, dtype=torch.long)
        interval = max(cfg.r1_interval, 2)
        state = {"round": 0}

        def step_at(offset: int):
            def step():
                index = state["round"] * interval + offset
                trainer.step(index, clips, labels, index * batch)
                state["round"] += 1
            return step
        return {"r1": step_at(0), "no_r1": step_at(1)}


# ------------------------------------------------------------------------------------ MoCoGAN-HD
class PooledMoCoGANHD(nn.Module):
    """MoCoGAN-HD's full video generator for benchmarking: z -> w_1 (StyleGAN2 mapping) -> LSTM
    trajectory w_1..w_T -> every frame through StyleGAN2 -> area-pooled to ``out_size``."""

    def __init__(self, image_generator: nn.Module, motion_generator: nn.Module, out_size: int):
        super().__init__()
        self.image_generator, self.motion_generator, self.out_size = image_generator, motion_generator, out_size

    def forward(self, z: torch.Tensor, frames: int, noise: torch.Tensor | None = None,
                chunk: int | None = None) -> torch.Tensor:
        from vidsynth.models.mocogan_hd import render_latents

        w1 = self.image_generator.mapping(z)
        latents = self.motion_generator(w1, frames, noise=noise).latents           # [B, T, D]
        video = render_latents(self.image_generator, latents, batch_size=chunk)    # [B, 3, T, R, R]
        return resize_frames(video, self.out_size)                                 # area pooling

    def stream(self, z: torch.Tensor, frames: int, noise: torch.Tensor | None = None, chunk: int = 8):
        """Yield the video of ``forward`` in pieces of ``chunk`` frames ``[B, 3, <=chunk, out, out]``: the
        LSTM trajectory ([B, T, 512], small) is computed once, the noise maps are drawn once per video."""
        from vidsynth.models.mocogan_hd import render_latents
        from vidsynth.models.mocogan_hd.video_noise import draw_video_noise, has_noise_inputs

        G_I = self.image_generator
        latents = self.motion_generator(G_I.mapping(z), frames, noise=noise).latents  # [B, T, D]
        maps = draw_video_noise(G_I, z.shape[0], None) if has_noise_inputs(G_I) else None
        for i in range(0, frames, chunk):
            yield resize_frames(render_latents(G_I, latents[:, i:i + chunk], video_noise=maps), self.out_size)


class MoCoGANHDSubject(Subject):
    method = "mocogan-hd"
    # StyleGAN2's 3x3 modulated convs; the video D is 3D convs (conv3d).
    peak_kind = {"generation": "conv3x3", "discriminator": "conv3d"}

    def __init__(self, name: str, description: str, image_resolution: int, channel_multiplier: int,
                 out_size: int, style_dim: int = 512, n_mlp: int = 8, channel_max: int = 512, hidden_dim: int = 384,
                 n_pca: int = 384, d_channels: int = 64, frames: int = 16, paper_scale: bool = False):
        super().__init__()
        self.name, self.description, self.paper_scale = name, description, paper_scale
        self.g_kwargs = dict(resolution=image_resolution, style_dim=style_dim, n_mlp=n_mlp,
                             channel_multiplier=channel_multiplier, channel_max=channel_max)
        self.m_kwargs = dict(latent_dim=style_dim, hidden_dim=hidden_dim, n_pca=n_pca,
                             mi_hidden=min(512, 2 * style_dim))
        self.d_channels, self.frames, self.resolution = d_channels, frames, out_size
        self.style_dim = style_dim

    def _generator(self, device) -> PooledMoCoGANHD:
        from vidsynth.models.mocogan_hd import MotionGenerator
        from vidsynth.models.stylegan2 import StyleGAN2Generator

        G_I = StyleGAN2Generator(**self.g_kwargs).to(device).eval().requires_grad_(False)
        G_M = MotionGenerator(**self.m_kwargs).to(device)
        return PooledMoCoGANHD(G_I, G_M, self.resolution).eval()

    def build(self, device) -> dict:
        key = str(device)
        if key not in self._built:
            from vidsynth.models.mocogan_hd import PairImageDiscriminator, VideoDiscriminator

            torch.manual_seed(0)
            with torch.inference_mode(False):   # cached for every measure: never inference tensors (backward needs them)
                self._built = {key: {
                    "G": self._generator(device).requires_grad_(False),
                    "D_V": VideoDiscriminator("in_domain", self.frames, self.resolution,
                                              base_channels=self.d_channels).to(device).requires_grad_(False),
                    "D_I": PairImageDiscriminator(self.resolution,
                                                  base_channels=self.d_channels).to(device).requires_grad_(False)}}
        return self._built[key]

    def latents(self, batch: int, device, seed: int = 0) -> tuple:
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(batch, self.style_dim, generator=g)
        return z.to(device), seed        # motion noise is drawn per length from (seed + 1), see _noise

    def _noise(self, latents: tuple, frames: int) -> torch.Tensor:
        z, seed = latents
        g = torch.Generator().manual_seed(seed + 1)
        return torch.randn(z.shape[0], max(frames - 1, 0), self.m_kwargs["latent_dim"], generator=g).to(z.device)

    def generate(self, latents: tuple, frames: int, G: nn.Module | None = None, chunk: int | None = None):
        """All B*T frames through StyleGAN2 in one batch (``chunk`` frames per batch if given)."""
        z = latents[0]
        G = G if G is not None else self.build(z.device)["G"]
        return G(z, frames, noise=self._noise(latents, frames), chunk=chunk)

    def generate_chunked(self, latents: tuple, frames: int, chunk: int) -> torch.Tensor:
        return self.generate(latents, frames, chunk=chunk)

    def generate_per_frame(self, latents: tuple, frames: int) -> torch.Tensor:
        return self.generate(latents, frames, chunk=1)

    def stream_chunks(self, latents: tuple, frames: int, chunk: int):
        """``PooledMoCoGANHD.stream``: pieces of ``chunk`` frames, nothing else held."""
        z = latents[0]
        return self.build(z.device)["G"].stream(z, frames, noise=self._noise(latents, frames), chunk=chunk)

    def executed_on(self, device) -> dict:
        """The modulated convs run unfused on CPU, fused (grouped) elsewhere unless forced
        (``ModulatedConv2d.fused``); the unfused form adds the demodulation matmul (N x in x out MACs a
        layer, under 0.1% of the conv)."""
        from vidsynth.nn.modulated_conv import ModulatedConv2d

        fused = ModulatedConv2d.fused
        return {"fused": fused if fused is not None else torch.device(device).type != "cpu"}

    def count_generator(self, frames: int | None = None, batch: int = 1, fused: bool = True) -> dict:
        """MACs per ``batch`` videos. ``fused``: the grouped modulated conv as published (StyleGAN2, the
        official code); False: the unfused form vidsynth runs on CPU (``executed_on``)."""
        from vidsynth.bench.flops import count_macs
        from vidsynth.nn.modulated_conv import ModulatedConv2d

        frames = frames or self.frames
        previous = ModulatedConv2d.fused
        ModulatedConv2d.fused = fused
        try:
            with torch.device("meta"):
                G = self._generator("meta").requires_grad_(False)
                z = torch.empty(batch, self.style_dim)
                noise = torch.empty(batch, max(frames - 1, 0), self.m_kwargs["latent_dim"])
                return count_macs(lambda: G(z, frames, noise=noise))
        finally:
            ModulatedConv2d.fused = previous

    def discriminators(self, device, clip_frames: int | None = None) -> dict[str, nn.Module]:
        """What ``discriminate`` takes: ``{"video_d": D_V, "image_d": D_I}``. For clips longer than 16
        frames D_V's second scale also halves time (official), so it is built for ``clip_frames``."""
        built = self.build(device)
        if clip_frames and clip_frames != self.frames:
            from vidsynth.models.mocogan_hd import VideoDiscriminator

            torch.manual_seed(0)
            D_V = VideoDiscriminator("in_domain", clip_frames, self.resolution, base_channels=self.d_channels)
            return {"video_d": D_V.to(device).requires_grad_(False), "image_d": built["D_I"]}
        return {"video_d": built["D_V"], "image_d": built["D_I"]}

    def discriminate(self, video: torch.Tensor, D: dict | None = None) -> list[torch.Tensor]:
        """MoCoGAN-HD's Ds: the 2-scale 3D video D on the whole clip and the 2-scale pair image D
        on (first frame, one later frame)."""
        D = D if D is not None else self.discriminators(video.device)
        return D["video_d"](video) + D["image_d"](video[:, :, 0], video[:, :, -1])

    def train_steps(self, batch: int, device, batch_gpu: int = 0) -> dict:
        """``{"gp": step}``: a callable running one motion-generator update and one D_V + D_I update
        (in-domain losses of ``vidsynth.models.mocogan_hd.losses``; the official schedule does 5 G
        steps per D step). StyleGAN2 stays frozen but is back-propagated through for G_M. Every D
        step includes WGAN-GP on D_V, so there is no separate unregularised kind. ``batch_gpu``: in
        micro-batches of that many videos, gradients summed, as ``MoCoGANHDTrainer`` runs them."""
        from vidsynth.utils.heap import retain_heap

        parts = self.train_parts(batch, device, batch_gpu=batch_gpu)

        def step():
            with retain_heap():                 # as MoCoGANHDTrainer.step
                parts.one_step()
        return {"gp": step}

    def train_parts(self, batch: int, device, frames: int | None = None, batch_gpu: int = 0) -> SimpleNamespace:
        """What one training step is made of (``G_M``, ``G_I``, ``D_V``, ``D_I``, ``real`` [N, 3, T, H, W],
        ``gen``, ``one_step``), seeded, so that ``bench speedups`` can time variants of the same step.
        ``batch_gpu``: each update back-propagates micro-batches of that many videos in turn (one piece's
        graph at a time), then steps once."""
        from vidsynth.models.mocogan_hd import (PairImageDiscriminator, VideoDiscriminator, discriminator_losses,
                                                freeze_image_generator, generator_losses)
        from vidsynth.training.distributed import DistContext
        from vidsynth.training.micro_batch import micro_batches
        from vidsynth.training.precision import MixedPrecision

        device, frames = torch.device(device), frames or self.frames
        torch.manual_seed(0)
        G = self._generator(device)
        G_I, G_M = G.image_generator, G.motion_generator.train().requires_grad_(True)
        freeze_image_generator(G_I)
        D_V = VideoDiscriminator("in_domain", frames, self.resolution, base_channels=self.d_channels).to(device)
        D_I = PairImageDiscriminator(self.resolution, base_channels=self.d_channels).to(device)
        opt_g = torch.optim.Adam(G_M.parameters(), lr=1e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam([*D_V.parameters(), *D_I.parameters()], lr=1e-4, betas=(0.5, 0.999))
        real = torch.rand(batch, 3, frames, self.resolution, self.resolution, device=device) * 2 - 1
        gen = torch.Generator(device=device).manual_seed(0)

        pieces = micro_batches(batch, batch_gpu)
        amp, one_process = MixedPrecision("fp32", device), DistContext()

        def update(losses_of, modules, opt):
            """The trainers' backward step: each piece back-propagated in turn (1 / pieces each), one step."""
            amp.backward_step([lambda p=p: losses_of(G_M, G_I, D_V, D_I, real[p], "in_domain", generator=gen)["total"]
                               for p in pieces], modules, [opt], one_process)

        def one_step():
            D_V.requires_grad_(False), D_I.requires_grad_(False)
            update(generator_losses, [G_M], opt_g)
            D_V.requires_grad_(True), D_I.requires_grad_(True)
            update(discriminator_losses, [D_V, D_I], opt_d)
        return SimpleNamespace(G_M=G_M, G_I=G_I, D_V=D_V, D_I=D_I, real=real, gen=gen, one_step=one_step)


SUBJECTS: dict[str, Subject] = {}


def _register(subject: Subject) -> None:
    SUBJECTS[subject.name] = subject


_register(DIGANSubject("digan-test", "test", "DIGAN unit-test preset: 16 px, 4 frames"))
_register(DIGANSubject("digan-tiny", "tiny", "DIGAN tiny preset: 32 px, 16 frames"))
_register(DIGANSubject("digan-paper128", "paper128", "DIGAN paper: 16 x 128 x 128 (INR-GAN G, StyleGAN2 Ds)",
                       paper_scale=True))
_register(MoCoGANHDSubject("mocogan-hd-test", "MoCoGAN-HD unit-test size: StyleGAN2 16 px, 4 frames",
                           image_resolution=16, channel_multiplier=1, out_size=16, style_dim=16, n_mlp=2,
                           channel_max=16, hidden_dim=16, n_pca=8, d_channels=8, frames=4))
_register(MoCoGANHDSubject("mocogan-hd-tiny", "MoCoGAN-HD tiny: StyleGAN2 32 px, 16 frames",
                           image_resolution=32, channel_multiplier=1, out_size=32, style_dim=128, n_mlp=2,
                           channel_max=128, hidden_dim=64, n_pca=32, d_channels=16, frames=16))
_register(MoCoGANHDSubject("mocogan-hd-ucf128", "MoCoGAN-HD UCF-101: StyleGAN2 256 px x2 + LSTM, pooled to 128",
                           image_resolution=256, channel_multiplier=2, out_size=128, paper_scale=True))

DEFAULT_CONFIGS = ("digan-tiny", "mocogan-hd-tiny", "digan-paper128", "mocogan-hd-ucf128")


def get_subject(name: str) -> Subject:
    if name not in SUBJECTS:
        raise KeyError(f"unknown bench config '{name}'; choose from {', '.join(SUBJECTS)}")
    return SUBJECTS[name]
