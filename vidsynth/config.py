"""Training configurations: one flat dataclass per method, named presets, and typed overrides.

A run's resolved config is written to ``config.json`` in its run folder, and any field can be
overridden from the command line with ``--set field=value`` (checked against the field's type).
"""
from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass

from vidsynth.errors import ConfigError
from vidsynth.utils.workers import default_num_workers

# Names the configs are validated against. Config owns them (it imports nothing above itself); the
# modules that implement each name import its table from here.
DIFFAUGMENT_POLICIES = frozenset({"color", "translation", "cutout"})   # nn/diffaugment.py (DiffAugment, Zhao 2020)
ADA_PIPELINE = ("xflip", "rotate90", "xint", "scale", "color", "cutout")  # training/ada.py, in application order
ADA_MODES = ("ada", "fixed", "noaug")                                 # training/ada.py: adaptive p, fixed p, off
VIDEO_NOISE_MODES = ("per_video", "const", "none")                    # models/mocogan_hd/video_noise.py
MOTION_RESIDUALS = ("previous", "first")                               # models/mocogan_hd/motion_generator.py
PRECISIONS = ("fp32", "bf16", "fp16")                                 # nn/precision.py: autocast number format


@dataclass
class DIGANConfig:
    """DIGAN: defaults are the official 128 px configuration (paper App. A, official code)."""

    method: str = "digan"
    # --- generator (INR-GAN + motion) ---
    resolution: int = 128             # frame height (and width, when aspect is 1:1)
    aspect: str = "1:1"               # width:height, e.g. 16:9 -> 128 x 224 frames (digan_frame_size)
    input_resolution: int = 32        # coordinate grid of the first blocks; later blocks upsample x2
    z_dim: int = 512
    w_dim: int = 512
    motion_dim: int = 512             # size of the motion code z_M
    mapping_layers: int = 2
    g_channel_base: int = 32768       # channels per block: min(base // res, max)
    g_channel_max: int = 512
    emb_size: int = 128               # Fourier features per embedding (sin and cos each)
    fourier_scale: float = math.sqrt(10)   # sigma_x = sigma_y
    sigma_t: float = 0.25             # 0.5 for 128-frame training (paper §4.2)
    fmm_rank: int = 10
    extra_layers_from: int = 128      # one extra FMM layer in blocks of this resolution and above
    # --- discriminators ---
    d_channel_base: int = 32768
    d_channel_max: int = 512
    mbstd_group: int = 4
    d_num_fp16_res: int = 4           # --precision fp16|bf16: the Ds' top N resolutions in that format, the rest fp32
    d_conv_clamp: float = 256.0       # the Ds' conv activations clamped to +-this * gain, in every format (0: off)
    d_recon_weight: float = 0.0       # > 0: the image D also rebuilds real frames from its map of d_recon_from
    d_recon_from: int = 8             #   rows, this times the squared error added to its loss (FastGAN; not DIGAN)
    # --- data ---
    frames: int = 16                  # frames per training clip (they span t in [0, 1])
    stride: int = 1                   # take every stride-th frame of the source video
    clip_sampling: str = "per_video"  # per_video: each video equally likely; per_clip: each clip window (official)
    xflip: bool = True
    conditional: bool = False         # class-conditional (labels from sub-folders or labels.json)
    labels: str = "auto"              # with conditional: auto (labels.json), folders, or a labels JSON path
    # --- optimisation ---
    batch: int = 64                   # global batch size (split across processes)
    batch_gpu: int = 0                # samples per forward/backward pass on each process, gradients summed over the
    #                                   passes (StyleGAN2-ADA's --batch-gpu, on CPU too): less memory, same step; 0: all
    lr: float = 0.0025
    beta1: float = 0.0
    beta2: float = 0.99
    r1_gamma: float = 1.0
    r1_interval: int = 16             # lazy R1
    g_reg_interval: int = 4           # the official code scales G's Adam as if it had a lazy reg phase
    ema_kimg: float = 20.0            # EMA half-life of the generator weights
    ema_rampup: float = 0.05
    diffaugment: str = "color,translation"

    # --- hardware (nn/precision.py; docs/performance.md "GPU and multi-node"): off = exact fp32 eager ---
    precision: str = "fp32"           # autocast format of the forward passes: fp32, bf16, fp16 (loss-scaled)
    channels_last: bool = False       # 4-D weights in NHWC layout
    compile: bool = False             # torch.compile the generator (fixed shapes)


@dataclass
class StyleGAN2Config:
    """An image generator for MoCoGAN-HD, trained on single frames (or images).

    Defaults follow rosinality's / StyleGAN2-ADA's training at 256 px: non-saturating loss, lazy R1
    every 16 steps with ADA's gamma rule (``r1_gamma < 0``: 0.0002 * resolution^2 / batch), path-length
    regularisation (weight 2, every ``g_reg_interval`` = 4 steps, batch / 2), style mixing 0.9, G EMA
    half-life 10 kimg, and ADA (``augment=ada``: p tuned so that E[sign D(real)] = 0.6). See
    docs/stylegan2.md. ``family=biggan`` swaps in the Z-space ``BigGANGenerator`` with the same D and
    losses (no W space: path-length regularisation is skipped).
    """

    method: str = "stylegan2"
    family: str = "stylegan2"         # "stylegan2" (W space) or "biggan" (Z space)
    # --- generator ---
    resolution: int = 256
    z_dim: int = 512                  # StyleGAN2 style_dim (z and w) / BigGAN z_dim
    n_mlp: int = 8                    # mapping layers (StyleGAN2)
    channel_multiplier: int = 2       # StyleGAN2 config F
    g_channel_max: int = 512          # cap on StyleGAN2 channels (small for tiny CPU models)
    biggan_width: int = 64            # BigGAN ``ch`` (family=biggan)
    # --- discriminator (StyleGAN2 ResNet D) ---
    d_channel_base: int = 32768
    d_channel_max: int = 512
    mbstd_group: int = 4
    # --- data: one random frame of a random video (or one image) per sample ---
    frames: int = 1                   # always 1 (kept for the generic loop)
    stride: int = 1
    xflip: bool = True
    conditional: bool = False         # not supported for the image trainer
    # --- optimisation ---
    batch: int = 32
    lr: float = 0.002
    beta1: float = 0.0
    beta2: float = 0.99
    r1_gamma: float = -1.0            # < 0: ADA's rule 0.0002 * resolution^2 / batch (0.41 at 256 px, batch 32)
    r1_interval: int = 16
    g_reg_interval: int = 4           # lazy path-length regularisation every this many steps (Adam scaled)
    pl_weight: float = 2.0            # path-length regularisation weight (0 = off; StyleGAN2 family only)
    pl_batch_shrink: int = 2          # path-length batch = batch // this
    pl_decay: float = 0.01            # EMA decay of the mean path length
    style_mixing: float = 0.9         # probability of mixing two w's (StyleGAN2 only)
    ema_kimg: float = 10.0
    ema_rampup: float = 0.0
    augment: str = "ada"              # ada (adaptive p), fixed (p = augment_p), noaug
    augment_p: float = 0.0            # initial (ada) or constant (fixed) augmentation probability
    ada_target: float = 0.6           # target of the overfitting heuristic r_t = E[sign(D(real))]
    ada_interval: int = 4             # adjust p every this many steps
    ada_kimg: float = 500.0           # p can move by 1 in this many thousand images
    ada_pipeline: str = "xflip,rotate90,xint,scale,color,cutout"
    diffaugment: str = ""             # DiffAugment instead of ADA (set augment=noaug), e.g. "color,translation"

    # --- hardware (nn/precision.py; docs/performance.md "GPU and multi-node"): off = exact fp32 eager ---
    precision: str = "fp32"           # autocast format of the forward passes: fp32, bf16, fp16 (loss-scaled)
    channels_last: bool = False       # 4-D weights in NHWC layout
    compile: bool = False             # torch.compile the generator (fixed shapes)


@dataclass
class MoCoGANHDConfig:
    """MoCoGAN-HD motion generator training (official in-domain / cross-domain recipes).

    ``image_generator``: a stylegan2 run folder (its ``model/``) or an exported model folder
    (``vidsynth convert``); it stays frozen. ``resolution`` is the size real clips are loaded at and
    the discriminators' input size (128 official); generated frames are resized to it.
    """

    method: str = "mocogan-hd"
    image_generator: str = ""         # run folder or exported model folder (required)
    cross_domain: bool = False        # contrastive image D on generated frames only (no paired reals)
    noise: str = "per_video"          # image generator's noise maps: per_video (official), const, none
    # --- motion generator (paper A.1) ---
    hidden_dim: int = 384
    n_pca: int = 384                  # clamped to the image generator's latent size
    motion_scale: float = 0.2         # lambda of Eq. 2 (official --w_residual default, every script)
    # What the residual of Eq. 2 is added to: "previous" w_{t-1} (the paper and official code: a cumulative walk)
    # or "first" w_1 (a departure: the walk stays within lambda * std of the content code; docs/performance.md,
    # "One motion for every video").
    motion_residual: str = "previous"
    mi_hidden: int = 512
    pca_samples: int = 1_000_000      # latents sampled for the PCA
    pca_batch: int = 4000
    # --- discriminators ---
    d_base_channels: int = 64         # PatchGAN width (D_V and in-domain D_I)
    d_num_scales: int = 2
    d_layers: int = 3
    contrastive_channels: int = 96    # BigGAN D width of the cross-domain D_I
    proj_dim: int = 256
    queue_size: int = 4096
    moco_momentum: float = 0.999
    temperature: float = 0.07
    # --- data: 16 frames every 2nd frame of 32 consecutive (official --n_frames_G 16 --time_step 2) ---
    resolution: int = 128
    frames: int = 16
    stride: int = 2
    clip_sampling: str = "per_video"  # official: a random start in a random video (data/video_dataset.py)
    xflip: bool = False
    conditional: bool = False
    # G_M unrolls train_unroll x frames per step and both Ds judge a random frames-long window of it (1: the
    # official first window). > 1 trains motion past the training length to stay on G_I's manifold (issue 15)
    train_unroll: int = 1
    # --- optimisation ---
    batch: int = 16
    batch_gpu: int = 0                # samples per forward/backward pass on each process (StyleGAN2-ADA's --batch-gpu);
    #                                   piece i draws as an extra process would, so results depend on it; 0: all
    lr: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    g_steps: int = 5                  # G updates per D update, on the same real batch (--G_step)
    w_video_gan: float = 1.0
    w_image_gan: float = 1.0
    w_mutual_info: float = 1.0
    w_feature_match: float = 1.0      # cross-domain only (--w_match; FFHQ-VoxCeleb scripts use 5)
    w_contrastive: float = 2.0
    w_gradient_penalty: float = 10.0

    # --- hardware (nn/precision.py; docs/performance.md "GPU and multi-node"): off = exact fp32 eager ---
    precision: str = "fp32"           # autocast format of the forward passes: fp32, bf16, fp16 (loss-scaled)
    channels_last: bool = False       # 4-D weights in NHWC layout
    compile: bool = False             # torch.compile the generator (fixed shapes)


@dataclass
class LoopConfig:
    """Options of the generic training loop (all methods)."""

    data: str = "builtin:shapes"
    split: str = ""                   # a split file: train only on the videos it lists ("" = all; data/split.py)
    kimg: float = 1000.0              # stop after this many thousand real videos shown to D
    minutes: float = 0.0              # or after this many minutes (0 = no time limit)
    seed: int = 0
    snapshot_kimg: float = 50.0       # write samples, exported model and a checkpoint this often
    snapshot_minutes: float = 0.0     # ... or this often in wall-clock minutes (0 = off)
    keep_checkpoints: int = 3         # resume checkpoints kept (newest first); 0 = keep all
    keep_models: int = 0              # model-<kimg>/ folders kept (newest first); 0 = keep all
    sample_videos: int = 16           # videos in each sample grid
    sample_frames: int = 16
    num_workers: int = dataclasses.field(default_factory=default_num_workers)  # loader processes: half the cores, 1..8
    device: str = "auto"
    fps: float = 8.0                  # of sample videos; 29.97 is written as 30000/1001 (vidsynth/video/frame_rate.py)
    metrics: str = ""                 # e.g. "fvd256_16f,kvd256_16f": computed at snapshots (off by default)
    metrics_kimg: float = 0.0         # ... every this many kimg (0 = at every snapshot when metrics is set)
    best_by: str = ""                 # one of metrics: model-best/ is the snapshot with its best value
    log: str = "auto"                 # extra log sinks: auto, none, tensorboard, wandb (training/log_sinks.py)


PRESETS: dict[str, dict[str, dict[str, typing.Any]]] = {
    "digan": {
        # The official 128 px configuration (paper: UCF-101, Sky, TaiChi, Kinetics-food at 128 px): sihyun-yu/digan
        # configs/main.yml (cfg auto, 8 GPUs, diffaugment color,translation, mirror) + configs/digan.yml (r1_gamma 1)
        # + src/train.py 'auto' spec at 128 px (batch 64, mbstd 4, lr 0.0025, ema 20 kimg, ramp 0.05, map 2,
        # 25,000 kimg: see PRESET_LOOP). Checked field by field in tests/digan/test_presets.py. clip_sampling
        # per_clip here and in the dataset recipes: the official loaders draw uniformly over clips.
        "paper128": {"clip_sampling": "per_clip"},
        # Per-dataset recipes of the official code (src/training/dataset.py picks them by path name; src/train.py).
        # UCF-101: every 16-frame window of every video (torchvision VideoClips, frames_between_clips=1; the
        # official loader takes trainlist01 + testlist01, i.e. all 13,320 videos), unconditional.
        "ucf101": {"clip_sampling": "per_clip"},
        # Sky time-lapse: the train split, non-overlapping 16-frame chunks of frame folders.
        "sky": {"clip_sampling": "per_clip"},
        # TaiChi-HD: 64-frame chunks split into 4 clips of every 4th frame: 16 frames at stride 4.
        "taichi": {"stride": 4, "clip_sampling": "per_clip"},
        # Kinetics-food: the train split, non-overlapping 16-frame chunks of frame folders.
        "kinetics-food": {"clip_sampling": "per_clip"},
        # 128-frame long-video training (paper §4.2): sigma_t 0.5.
        "paper128-long": {"frames": 128, "sigma_t": 0.5, "clip_sampling": "per_clip"},
        # Small enough to learn something in minutes on a laptop CPU. Departures from the paper, chosen by
        # short runs on builtin:scene: sigma_t 1.0 (0.25 barely moves within a few hundred steps on data whose
        # content drifts several pixels per frame), no DiffAugment (procedural data never repeats), lr 0.008 (below).
        # EMA ramp-up 0.05 (the paper's; issue 15): without it the 1-kimg half-life keeps half of the initial
        # weights in the EMA generator at 1 kimg; measured FVD 0.93x at 1 kimg and 0.84x at 2 kimg
        # (docs/performance.md, "Learning curves (issue 15): DIGAN tiny").
        # Every block on the 32 px grid (input_resolution 32, no nearest-neighbour 16 -> 32 up-block) and 64
        # channels: the 16 px input grid drew 2x2-pixel grain that training never removed, and the FVD curve
        # stalled above static (623 at 20 kimg, 693 at 28); at 4 / 8 kimg this FVD is 0.53x / 0.57x that
        # preset's, and a step is cheaper (docs/performance.md, "Learning curves (issue 15): DIGAN tiny").
        # lr 0.008 (the official 0.0025 scaled up for a 1.3M-parameter G; measured on builtin:scene, fvd64_16f,
        # static 506.7): at 4 / 8 / 12 kimg lr 0.003 gave 1272 / 768 / 531, 0.005 1111 / 631 / 476, 0.008
        # 973 / 514 / 330 (then 341 / 255 at 16 / 20), 0.012 856 / 498 / 579 (unstable); docs/performance.md,
        # "The learning rate, and the demo that beats static (round 4)".
        "tiny": dict(resolution=32, input_resolution=32, z_dim=128, w_dim=128, motion_dim=128, emb_size=32,
                     g_channel_base=2048, g_channel_max=64, d_channel_base=512, d_channel_max=64,
                     extra_layers_from=128, batch=16, lr=0.008, r1_gamma=0.05, ema_kimg=1.0, ema_rampup=0.05,
                     sigma_t=1.0, diffaugment=""),
        # For unit tests: a few layers, 16 px.
        "test": dict(resolution=16, input_resolution=8, z_dim=16, w_dim=16, motion_dim=16, emb_size=8,
                     g_channel_base=128, g_channel_max=16, d_channel_base=128, d_channel_max=16,
                     frames=4, batch=4, r1_gamma=0.1, ema_kimg=0.01, mbstd_group=2),
    },
    "stylegan2": {
        # Official-ish 256 px StyleGAN2 config F (MoCoGAN-HD's image generators).
        "paper256": {},
        # 32 px, narrow: learns coarse images in minutes on a CPU. Batch 8 (issue 15): on builtin:shapes its
        # per-frame FID at 2/4/6/8 kimg was 12.1/7.9/3.9/3.5 against 16.7/10.9/8.4/4.2 with batch 16 (16 images,
        # bootstrap std <= 1.1), also better at equal training time (8 kimg: 343 s, 3.5; batch 16 needs ~12 kimg,
        # ~450 s, for 3.4) (docs/performance.md, "Learning curves (issue 15): MoCoGAN-HD tiny").
        "tiny": dict(resolution=32, z_dim=128, n_mlp=4, g_channel_max=64, biggan_width=32, d_channel_base=1024,
                     d_channel_max=64, batch=8, r1_gamma=0.1, style_mixing=0.0, ema_kimg=1.0,
                     diffaugment="translation", augment="noaug", pl_weight=0.0),
        # Unit tests: 16 px, a few channels.
        "test": dict(resolution=16, z_dim=16, n_mlp=2, g_channel_max=16, biggan_width=8, d_channel_base=128,
                     d_channel_max=16, mbstd_group=2, batch=4, r1_gamma=0.1, r1_interval=2, ema_kimg=0.01,
                     g_reg_interval=2, ada_interval=1, ada_kimg=0.1),
    },
    "mocogan-hd": {
        # Official in-domain / cross-domain settings (128 px discriminators, 1e6-sample PCA).
        "paper": {},
        # For the tiny image generators (32 px): small Ds, small PCA, short clips.
        # lambda (motion_scale) 0.2, the official --w_residual default: measured on builtin:shapes with a 24-kimg
        # stylegan2 tiny image generator, 1 kimg of motion training: lambda 0.5 FVD 3837 and per-frame FID x1.85
        # over the 8 trained frames, x6.2 unrolled 3x (off the image manifold: the saturated colours);
        # lambda 0.2 FVD 2780, x1.43 / x1.59 (on it); at 3 kimg lambda 0.2 reaches FVD 1648 against 1554 for the
        # image generator's frames held still (docs/performance.md, "Learning curves (issue 15): MoCoGAN-HD tiny").
        # train_unroll 3 (not in the paper: the Ds judge an 8-frame window of a 24-step unroll; a step costs the
        # same): on one 24-kimg image generator, 12 kimg of motion training, seeds 0 / 1 / 2, the per-frame FID of
        # frames 9-24 (past the trained length) over frame 0's was x2.79 / x2.73 / x2.69 with 1 and x1.35 / x1.94 /
        # x1.22 with 3; frames 1-8 x0.72-0.83 either way (docs/performance.md, "Motion that stays on the
        # manifold when unrolled 3x"). With the windows on tiles 0 / 8 / 16 (round 9), seeds 1 / 2: x1.14 / x0.88;
        # on real64 (one seed) x1.12 against x0.95, both within the margin. train_unroll 4 lowered the worst
        # frame on both sets but raised real64's mean (x1.19), so 3 stays ("Every unrolled frame judged equally often").
        # motion_residual "first" (round 10, a departure from Eq. 2): every cumulative tiny walk collapsed to one
        # straight line for all videos (cosine 0.997 between videos). Added to w_1, the residual did not collapse
        # (0.05-0.09), kept every frame of a 3x unroll within the margin (shapes seeds 0 / 1, real64), and gave FVD
        # 1558.4 against 1935.9 (shapes, 9 kimg) and 541.1 against 698.4 (real64, 20 kimg) ("One motion for every
        # video").
        "tiny": dict(resolution=32, hidden_dim=128, n_pca=64, mi_hidden=128, pca_samples=20_000, pca_batch=2000,
                     motion_scale=0.2, train_unroll=3, motion_residual="first",
                     d_base_channels=16, d_num_scales=1, contrastive_channels=16, proj_dim=64, queue_size=256,
                     frames=8, stride=2, batch=4, lr=2e-4, g_steps=1),
        # Unit tests.
        "test": dict(resolution=16, hidden_dim=16, n_pca=8, mi_hidden=16, pca_samples=256, pca_batch=128,
                     d_base_channels=4, d_num_scales=1, contrastive_channels=4, proj_dim=8, queue_size=16,
                     frames=4, stride=2, batch=2, g_steps=2),
    },
}

# Training-loop options implied by a preset (``vidsynth train`` applies them under --kimg etc.; not on --resume).
# The official DIGAN runs train 25,000 kimg (src/train.py cfg_specs['auto'], kimg=25000); LoopConfig's 1,000 is
# the generic default for everything else.
PRESET_LOOP: dict[str, dict[str, dict[str, typing.Any]]] = {
    "digan": {name: {"kimg": 25000.0} for name in ("paper128", "ucf101", "sky", "taichi", "kinetics-food",
                                                    "paper128-long")},
}


def preset_loop_defaults(method: str, preset: str) -> dict[str, typing.Any]:
    """The ``LoopConfig`` fields ``preset`` of ``method`` sets (e.g. ``{"kimg": 25000.0}`` for DIGAN paper128)."""
    return dict(PRESET_LOOP.get(method, {}).get(preset, {}))


def loop_config(method: str, preset: str, overrides: dict | None = None) -> LoopConfig:
    """``LoopConfig`` with the preset's loop defaults, then ``overrides`` (Python API twin of ``vidsynth train``)."""
    return apply_overrides(LoopConfig(), {**preset_loop_defaults(method, preset), **(overrides or {})})


METHOD_CONFIGS: dict[str, type] = {"digan": DIGANConfig, "stylegan2": StyleGAN2Config, "mocogan-hd": MoCoGANHDConfig}

# The preset used when --preset is not given.
DEFAULT_PRESETS = {"digan": "paper128", "stylegan2": "paper256", "mocogan-hd": "paper"}


def _convert(name: str, value: typing.Any, annotation: typing.Any) -> typing.Any:
    """Convert a string (from the CLI) or JSON value to the field's type, or raise ConfigError."""
    type_name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    kind = {"int": int, "float": float, "bool": bool, "str": str}.get(type_name)
    if kind is None:
        return value
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if kind is int and isinstance(value, str):
            return int(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{name}' expects {kind.__name__}, got {value!r}") from None


def apply_overrides(cfg, overrides: dict[str, typing.Any]):
    """Return a copy of dataclass ``cfg`` with ``overrides`` applied; unknown keys are an error."""
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    changes = {}
    for key, value in overrides.items():
        key = key.replace("-", "_")
        if key not in fields:
            close = [k for k in fields if key in k or k in key]
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ConfigError(f"unknown option '{key}' for {type(cfg).__name__}.{hint} "
                              f"Valid options: {', '.join(sorted(fields))}")
        changes[key] = _convert(key, value, fields[key].type)
    return dataclasses.replace(cfg, **changes)


def parse_set_options(items: typing.Iterable[str]) -> dict[str, str]:
    """``["lr=0.002", "xflip=false"]`` -> ``{"lr": "0.002", "xflip": "false"}``."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got '{item}'")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def method_config(method: str, preset: str = "paper128", overrides: dict | None = None):
    """The resolved config of ``method``: defaults, then the preset, then the overrides."""
    if method not in METHOD_CONFIGS:
        raise ConfigError(f"unknown method '{method}'; choose from {', '.join(METHOD_CONFIGS)}")
    presets = PRESETS.get(method, {})
    if preset not in presets:
        raise ConfigError(f"unknown preset '{preset}' for {method}; choose from {', '.join(presets)}")
    cfg = apply_overrides(METHOD_CONFIGS[method](), presets[preset])
    return apply_overrides(cfg, overrides or {})


def validate_digan(cfg: DIGANConfig) -> None:
    """Reject impossible DIGAN settings with a message that says what to change."""
    for name in ("resolution", "input_resolution"):
        r = getattr(cfg, name)
        if r < 4 or r & (r - 1):
            raise ConfigError(f"{name} must be a power of two >= 4 (e.g. 32, 64, 128, 256), got {r}")
    if cfg.input_resolution > cfg.resolution:
        raise ConfigError(f"input_resolution ({cfg.input_resolution}) must not exceed resolution ({cfg.resolution})")
    for name in ("g_channel_base", "d_channel_base"):  # channels per block are base // resolution
        if getattr(cfg, name) < cfg.resolution:
            raise ConfigError(f"{name} ({getattr(cfg, name)}) must be >= resolution ({cfg.resolution}): blocks at "
                              f"{cfg.resolution} px get {name} // {cfg.resolution} = 0 channels. Raise it with "
                              f"--set {name}=N or use a preset made for {cfg.resolution} px")
    if cfg.frames < 2:
        raise ConfigError(f"frames must be >= 2 (DIGAN's motion D compares two frames), got {cfg.frames}")
    digan_frame_size(cfg)
    if cfg.batch < 1 or cfg.stride < 1:
        raise ConfigError("batch and stride must be >= 1")
    _check_batch_gpu(cfg)
    if cfg.clip_sampling not in ("per_video", "per_clip"):
        raise ConfigError(f"clip_sampling must be per_video or per_clip, got {cfg.clip_sampling!r}")
    for name in ("z_dim", "w_dim", "motion_dim", "emb_size", "fmm_rank", "g_channel_max", "d_channel_max",
                 "g_channel_base", "d_channel_base", "mbstd_group"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    # NaN or negative numbers would only show up later as a NaN loss, minutes into a run.
    _check_range(cfg, "lr", low=0, low_open=True)
    _check_range(cfg, "d_num_fp16_res", low=0)
    _check_range(cfg, "d_conv_clamp", low=0)
    _check_range(cfg, "d_recon_weight", low=0)
    r = cfg.d_recon_from
    if cfg.d_recon_weight > 0 and (r < 4 or r >= cfg.resolution or r & (r - 1)):
        raise ConfigError(f"d_recon_from must be a power of two from 4 to {cfg.resolution // 2} (the image D's "
                          f"feature map it rebuilds frames from), got {r}")
    for name in ("beta1", "beta2"):
        _check_range(cfg, name, low=0, high=1)
    for name in ("r1_gamma", "ema_kimg", "ema_rampup", "sigma_t", "fourier_scale"):
        _check_range(cfg, name, low=0)
    for name in ("r1_interval", "g_reg_interval", "mapping_layers"):
        _check_range(cfg, name, low=0)
    _check_diffaugment(cfg)


def digan_frame_size(cfg: DIGANConfig) -> tuple[int, int]:
    """``(height, width)`` of DIGAN's frames: height ``resolution``; width ``resolution * W / H`` for
    ``aspect = "W:H"``, rounded to the nearest multiple of ``resolution / 4`` (the discriminator halves
    both sides down to 4 rows, so the width must halve as often): 16:9 at 128 gives 224 (7:4)."""
    text = str(cfg.aspect).replace("x", ":").replace("/", ":")
    try:
        a, b = (float(v) for v in text.split(":"))
        if not (a > 0 and b > 0 and math.isfinite(a / b)):
            raise ValueError
    except ValueError:
        raise ConfigError(f"aspect must be width:height with positive numbers, e.g. 16:9 or 4:3, got "
                          f"{cfg.aspect!r}") from None
    step = max(cfg.resolution // 4, 1)
    return cfg.resolution, max(1, round(cfg.resolution * a / b / step)) * step


def parse_resolution(text) -> tuple[int, str | None]:
    """``"128"`` -> ``(128, None)``; ``"128x224"`` (HEIGHTxWIDTH) -> ``(128, "224:128")``, the aspect field."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
        if len(values) not in (1, 2) or min(values) < 1:
            raise ValueError
    except ValueError:
        raise ConfigError(f"resolution must be R or HEIGHTxWIDTH (e.g. 128 or 128x224), got {text!r}") from None
    if len(values) == 1 or values[0] == values[1]:
        return values[0], None
    return values[0], f"{values[1]}:{values[0]}"


def validate_stylegan2(cfg: StyleGAN2Config) -> None:
    """Reject impossible image-generator (StyleGAN2 / BigGAN) settings before a run folder exists, with a
    message that says what to change."""
    if cfg.family not in ("stylegan2", "biggan"):
        raise ConfigError(f"family must be stylegan2 or biggan, got {cfg.family!r}")
    low, high = (8, 1024) if cfg.family == "stylegan2" else (32, 256)
    r = cfg.resolution
    if r < low or r > high or r & (r - 1):
        raise ConfigError(f"resolution must be a power of two in [{low}, {high}] for family {cfg.family}, got {r}")
    if cfg.frames != 1:
        raise ConfigError(f"the image-generator trainer sees single frames: frames must be 1, got {cfg.frames}")
    for name in ("batch", "stride", "z_dim", "n_mlp", "channel_multiplier", "g_channel_max", "biggan_width",
                 "d_channel_max", "mbstd_group", "pl_batch_shrink", "ada_interval"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.d_channel_base < r:
        raise ConfigError(f"d_channel_base ({cfg.d_channel_base}) must be >= resolution ({r})")
    _check_common(cfg, signed_r1=True)
    for name in ("style_mixing", "augment_p", "ada_target", "pl_decay"):
        _check_range(cfg, name, low=0, high=1)
    _check_range(cfg, "pl_weight", low=0)
    _check_range(cfg, "ada_kimg", low=0, low_open=True)
    _check_range(cfg, "r1_gamma")                  # any finite number; negative = ADA's rule (r1_gamma())
    if cfg.augment not in ADA_MODES:
        raise ConfigError(f"augment must be one of {', '.join(ADA_MODES)}, got {cfg.augment!r}")
    unknown = sorted({p for p in cfg.ada_pipeline.split(",") if p} - set(ADA_PIPELINE))
    if unknown:
        raise ConfigError(f"ada_pipeline: unknown augmentation {', '.join(unknown)}; use a comma-separated list of "
                          f"{', '.join(ADA_PIPELINE)}")
    if cfg.diffaugment and cfg.augment != "noaug":
        raise ConfigError(f"diffaugment={cfg.diffaugment!r} and augment={cfg.augment!r} both augment D's input; "
                          "use one: --set augment=noaug (keep DiffAugment) or --set diffaugment= (keep ADA)")


def validate_mocogan_hd(cfg: MoCoGANHDConfig) -> None:
    """Reject impossible MoCoGAN-HD settings before a run folder exists (the image generator is checked
    when it is loaded)."""
    r = cfg.resolution
    if r < 16 or r & (r - 1):
        raise ConfigError(f"resolution must be a power of two >= 16, got {r}")
    if cfg.frames < 2:
        raise ConfigError(f"frames must be >= 2, got {cfg.frames}")
    for name in ("batch", "stride", "hidden_dim", "n_pca", "mi_hidden", "pca_samples", "pca_batch", "g_steps",
                 "train_unroll", "d_base_channels", "d_num_scales", "d_layers", "contrastive_channels", "proj_dim",
                 "queue_size"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    _check_common(cfg)
    _check_batch_gpu(cfg)
    for name in ("motion_scale", "w_video_gan", "w_image_gan", "w_mutual_info", "w_feature_match", "w_contrastive",
                 "w_gradient_penalty"):
        _check_range(cfg, name, low=0)
    _check_range(cfg, "moco_momentum", low=0, high=1)
    _check_range(cfg, "temperature", low=0, low_open=True)
    if cfg.motion_residual not in MOTION_RESIDUALS:
        raise ConfigError(f"motion_residual must be one of {', '.join(MOTION_RESIDUALS)} (what Eq. 2's residual is "
                          f"added to), got {cfg.motion_residual!r}")
    if cfg.noise not in VIDEO_NOISE_MODES:
        raise ConfigError(f"noise must be one of {', '.join(VIDEO_NOISE_MODES)} (the image generator's per-layer "
                          f"noise maps), got {cfg.noise!r}")


def _check_common(cfg, signed_r1: bool = False) -> None:
    """The optimisation settings every method has: lr, Adam betas, regularisation and EMA. ``signed_r1``:
    a negative ``r1_gamma`` means a rule (StyleGAN2: ``r1_gamma()``), checked by the caller."""
    _check_range(cfg, "lr", low=0, low_open=True)
    for name in ("beta1", "beta2"):
        _check_range(cfg, name, low=0, high=1)
    for name in ("r1_gamma", "ema_kimg", "ema_rampup", "r1_interval", "g_reg_interval"):
        if hasattr(cfg, name) and not (signed_r1 and name == "r1_gamma"):
            _check_range(cfg, name, low=0)
    if getattr(cfg, "diffaugment", ""):
        _check_diffaugment(cfg)


def _check_batch_gpu(cfg) -> None:
    """``batch_gpu``: 0 (the whole share at once) or a divisor of the batch (the loop checks each process's share)."""
    _check_range(cfg, "batch_gpu", low=0)
    if 0 < cfg.batch_gpu < cfg.batch and cfg.batch % cfg.batch_gpu:
        raise ConfigError(f"batch_gpu {cfg.batch_gpu} must divide the batch ({cfg.batch}): use --set batch_gpu=N "
                          "with N a divisor of the batch, or 0 for the whole batch at once")


def _check_diffaugment(cfg) -> None:
    """``cfg.diffaugment`` is a comma-separated list of ``DIFFAUGMENT_POLICIES`` (empty: none)."""
    unknown = sorted({p for p in cfg.diffaugment.split(",") if p} - DIFFAUGMENT_POLICIES)
    if unknown:
        raise ConfigError(f"diffaugment: unknown policy {', '.join(unknown)}; use a comma-separated list of "
                          f"{', '.join(sorted(DIFFAUGMENT_POLICIES))}, or an empty string for none")


def validate_method(cfg) -> None:
    """Validate a method config of any method (``DIGANConfig``, ``StyleGAN2Config``, ``MoCoGANHDConfig``)."""
    validate_precision(cfg.precision)
    {"digan": validate_digan, "stylegan2": validate_stylegan2, "mocogan-hd": validate_mocogan_hd}[cfg.method](cfg)


def validate_precision(precision: str) -> None:
    """``precision`` is one of ``PRECISIONS`` (the autocast format of ``--precision``)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")


def r1_gamma(cfg) -> float:
    """``cfg.r1_gamma``, or StyleGAN2-ADA's heuristic ``0.0002 * resolution^2 / batch`` when it is negative."""
    return cfg.r1_gamma if cfg.r1_gamma >= 0 else 0.0002 * cfg.resolution ** 2 / cfg.batch


def validate_loop(loop: LoopConfig) -> None:
    """Reject impossible training-loop options (negative counts, NaN durations)."""
    for name in ("kimg", "minutes", "snapshot_kimg", "snapshot_minutes"):
        _check_range(loop, name, low=0)
    if not 0 <= loop.seed < 2 ** 62:  # torch seeds are 64-bit; the loop adds small offsets to the seed
        raise ConfigError(f"seed must be a whole number in [0, 2^62), got {loop.seed}")
    for name in ("num_workers", "keep_checkpoints", "keep_models", "sample_videos", "sample_frames", "fps"):
        low = 0 if name in ("num_workers", "keep_checkpoints", "keep_models") else 1
        if getattr(loop, name) < low:
            raise ConfigError(f"{name} must be >= {low}, got {getattr(loop, name)}")
    _check_range(loop, "metrics_kimg", low=0)
    # Metric names are checked by the layer that owns them (metrics.callback.MetricsCallback.check, called
    # through training.loop.check_run_options): a typo fails before training, not after hours of it.


def _check_range(cfg, name: str, low=None, high=None, low_open: bool = False) -> None:
    """ConfigError unless ``cfg.name`` is a finite number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    value = getattr(cfg, name)
    ok = math.isfinite(value) and (low is None or (value > low if low_open else value >= low)) \
        and (high is None or value <= high)
    if not ok:
        bounds = f"{'>' if low_open else '>='} {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"{name} must be a finite number {bounds}, got {value}")


def save_json(path, data: dict) -> None:
    from vidsynth.utils.files import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

