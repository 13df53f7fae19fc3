"""Adaptive discriminator augmentation (ADA; Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data"), for the image-generator trainer.

Every image D sees, real or fake, goes through the same pipeline; each transform is applied to each
image independently with probability ``p`` (so at p < ~0.8 D still sees enough un-augmented images
for G not to learn the augmentations, the paper's "non-leaking" condition). ``p`` is tuned by the
overfitting heuristic ``r_t = E[sign(D(real))]``: every ``interval`` steps,
``p += sign(r_t - target) * (batch * interval) / (speed_kimg * 1000)``, clamped to [0, 1]; with ADA's
defaults (target 0.6, interval 4, speed 500 kimg) p can rise from 0 to 1 in 500k images.

The pipeline uses the augmentations vidsynth already has (``vidsynth.nn.diffaugment``,
``vidsynth.models.mocogan_hd.augment``) plus two of ADA's geometric ones:

    xflip      mirror left-right                                    (mocogan_hd.augment.random_flip)
    rotate90   rotate by k * 90 degrees, k uniform in {0, 1, 2, 3}  (square images)
    xint       integer translation up to 1/8 of the size, zero fill (diffaugment.translation)
    scale      isotropic scaling by 2^N(0, 0.2), reflection padding (ADA's ``scale_std``)
    color      brightness, saturation, contrast                     (diffaugment.color)
    cutout     zero a square of half the size                       (diffaugment.cutout)

Everything is differentiable, so G's loss and R1 on un-augmented reals backpropagate through it.
``p`` and the running ``r_t`` sums are the module's state (saved with checkpoints: resume is exact).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from vidsynth.config import ADA_MODES, ADA_PIPELINE
from vidsynth.models.mocogan_hd.augment import random_flip
from vidsynth.nn.diffaugment import color, cutout, translation

PIPELINE = ADA_PIPELINE     # augmentations in application order (config.py owns the names)
MODES = ADA_MODES


def _chosen(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """Per-image Bernoulli(p) mask ``[N, 1, 1, 1]``."""
    device = generator.device if generator is not None else x.device
    return (torch.rand(x.shape[0], generator=generator, device=device) < p).to(x.device).view(-1, 1, 1, 1)


def rotate90(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Rotate each square image by a uniform multiple of 90 degrees."""
    device = generator.device if generator is not None else x.device
    k = torch.randint(0, 4, (x.shape[0],), generator=generator, device=device).to(x.device).view(-1, 1, 1, 1)
    out = x
    for turns in (1, 2, 3):
        out = torch.where(k == turns, torch.rot90(x, turns, dims=(2, 3)), out)
    return out


def isotropic_scale(x: torch.Tensor, std: float = 0.2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zoom each image by ``2 ** N(0, std)`` about its centre (bilinear, reflection padding)."""
    device = generator.device if generator is not None else x.device
    s = torch.exp2(torch.randn(x.shape[0], generator=generator, device=device) * std).to(x.device, x.dtype)
    zero = torch.zeros_like(s)
    theta = torch.stack([torch.stack([1 / s, zero, zero], 1), torch.stack([zero, 1 / s, zero], 1)], 1)  # [N, 2, 3]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def ada_augment(x: torch.Tensor, p: float, pipeline: tuple[str, ...] = PIPELINE,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply each transform of ``pipeline`` to each image of ``x [N, 3, H, W]`` with probability ``p``.
    ``p = 0`` returns ``x`` untouched without drawing any random number."""
    if p <= 0:
        return x
    for name in pipeline:
        if name == "xflip":
            x = random_flip(x, p / 2, generator)   # P(flip) = p * 1/2: ADA's xflip flips half the chosen images
            continue
        mask = _chosen(x, p, generator)
        if name == "rotate90":
            y = rotate90(x, generator)
        elif name == "xint":
            y = translation(x, 0.125, generator)
        elif name == "scale":
            y = isotropic_scale(x, 0.2, generator)
        elif name == "color":
            y = color(x, 1, generator)
        elif name == "cutout":
            y = cutout(x, 0.5, generator)
        else:
            raise ValueError(f"unknown ADA augmentation {name!r}; choose from {', '.join(PIPELINE)}")
        x = torch.where(mask, y, x)
    return x


class AdaptiveAugment:
    """The augmentation probability ``p`` and its controller.

    Args:
        mode: ``ada`` (p adapted), ``fixed`` (p stays at ``p``), ``noaug`` (identity).
        p: initial (``ada``) or constant (``fixed``) probability.
        target: target value of ``r_t`` (0.6).
        interval: adjust p every this many steps (4).
        speed_kimg: thousand images for p to move by 1 (500).
        batch: global batch size (images per step).
        pipeline: the transforms, a subset of ``PIPELINE`` in that order.
    """

    def __init__(self, mode: str = "ada", p: float = 0.0, target: float = 0.6, interval: int = 4,
                 speed_kimg: float = 500.0, batch: int = 32, pipeline: tuple[str, ...] = PIPELINE):
        if mode not in MODES:
            raise ValueError(f"augment must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode, self.p, self.target, self.interval = mode, float(p), target, interval
        self.speed_kimg, self.batch, self.pipeline = speed_kimg, batch, tuple(pipeline)
        self.sign_sum, self.count = 0.0, 0        # running sum of sign(D(real)) and number of logits

    @property
    def active(self) -> bool:
        return self.mode != "noaug"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return ada_augment(x, self.p, self.pipeline, generator) if self.active else x

    def accumulate(self, real_logits: torch.Tensor) -> None:
        """Add this step's D logits on (augmented) reals to the ``r_t`` estimate."""
        self.sign_sum += float(torch.sign(real_logits.detach()).sum())
        self.count += real_logits.numel()

    def update(self, step: int, all_reduce=None) -> float | None:
        """After step ``step`` (0-based): every ``interval`` steps move p toward ``r_t = target``; returns
        ``r_t`` when it adjusted. ``all_reduce`` sums ``[sign_sum, count]`` over ranks (multi-process)."""
        if self.mode != "ada" or (step + 1) % self.interval != 0:
            return None
        stats = torch.tensor([self.sign_sum, float(self.count)], dtype=torch.float64)
        if all_reduce is not None:
            stats = all_reduce(stats)
        self.sign_sum, self.count = 0.0, 0
        if stats[1] == 0:
            return None
        r_t = float(stats[0] / stats[1])
        sign = (r_t > self.target) - (r_t < self.target)             # np.sign, as ADA: no move at the target
        adjust = sign * (self.batch * self.interval) / (self.speed_kimg * 1000)
        self.p = min(max(self.p + adjust, 0.0), 1.0)
        return r_t

    def state_dict(self) -> dict:
        return {"p": self.p, "sign_sum": self.sign_sum, "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.sign_sum, self.count = float(state["p"]), float(state["sign_sum"]), int(state["count"])
