"""Contrastive image discriminator for cross-domain MoCoGAN-HD (Sec. 3.2, appendix A.2.2).

The image D also learns, MoCo-style, to tell *which image* it sees under heavy augmentation:
two augmentations of the same frame are a positive pair, other frames in the batch and a memory
bank (queue) of 4096 projections from an EMA copy of D (momentum 0.999) are negatives, with an
InfoNCE loss at temperature 0.07. The generator then gets a feature-matching loss: the projection
of frame t should point the same way as frame 1's (same content through time).

The official code keeps two banks: one for (augmented) first frames, which come straight from the
pretrained image generator and play the "real" role, and one for later frames x_t ("fake").
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from vidsynth.models.mocogan_hd.image_discriminator import BigGANDiscriminator


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def infonce_loss(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """MoCo InfoNCE: query ``q [N, d]``, its positive key ``k [N, d]``, negatives ``queue [Q, d]``.
    All are L2-normalised; ``-log softmax`` of the positive among (positive, Q negatives), averaged."""
    q, k, queue = F.normalize(q, dim=1), F.normalize(k, dim=1), F.normalize(queue.detach(), dim=1)
    positive = (q * k).sum(1, keepdim=True)                          # [N, 1]
    negative = q @ queue.T                                           # [N, Q]
    logits = torch.cat([positive, negative], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long, device=q.device))


def two_view_contrastive_loss(view1: torch.Tensor, view2: torch.Tensor, queue: torch.Tensor,
                              temperature: float = 0.07) -> torch.Tensor:
    """The official D-side loss: NT-Xent over the 2N projections of two augmented views, with the
    bank as extra negatives. Row i's positive is its other view; every other in-batch projection
    and every queue entry is a negative; averaged over both directions.

    (The official code multiplies the self-similarity logit by 0 instead of removing it, which leaves
    a constant exp(0) in every denominator; we remove it, the standard NT-Xent form.)
    """
    n = view1.shape[0]
    z = F.normalize(torch.cat([view1, view2]), dim=1)                       # [2N, d]
    keys = torch.cat([z, F.normalize(queue.detach(), dim=1)])               # [2N + Q, d]
    logits = z @ keys.T / temperature                                        # [2N, 2N + Q]
    self_mask = torch.zeros_like(logits, dtype=torch.bool)
    self_mask[:, : 2 * n].fill_diagonal_(True)
    logits = logits.masked_fill(self_mask, float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


def feature_matching_loss(proj_frame: torch.Tensor, proj_first: torch.Tensor) -> torch.Tensor:
    """``-mean cos(F(x_t), F(x_1))``: the generator keeps frame t's content on frame 1's (cross-domain)."""
    return -F.cosine_similarity(proj_frame, proj_first, dim=1).mean()


class MemoryBank(nn.Module):
    """FIFO queue of ``size`` keys ``[size, dim]`` (a ring buffer: the oldest keys are overwritten).

    ``gather`` runs on the keys before they are stored; with DDP pass an all-gather so every rank
    enqueues the whole global batch (as the official code does), otherwise it is the identity.
    """

    def __init__(self, size: int = 4096, dim: int = 256, gather: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.gather = gather or _identity
        self.register_buffer("queue", F.normalize(torch.randn(size, dim, generator=generator), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @property
    def size(self) -> int:
        return self.queue.shape[0]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        keys = self.gather(keys.detach()).to(self.queue)
        keys = keys[-self.size:]                         # a batch larger than the bank keeps its newest
        n = keys.shape[0]
        idx = (self.ptr + torch.arange(n, device=self.queue.device)) % self.size
        self.queue[idx] = keys
        self.ptr.copy_((self.ptr + n) % self.size)

    def ordered(self) -> torch.Tensor:
        """The keys from oldest to newest (for inspection and tests)."""
        return torch.roll(self.queue, -int(self.ptr), dims=0)


class ContrastiveImageDiscriminator(nn.Module):
    """Cross-domain image D: an online :class:`BigGANDiscriminator`, its EMA copy (keys for the banks)
    and two memory banks (``bank_first`` for frame-1 keys, ``bank_later`` for frame-t keys).

    Args (official defaults): resolution 128 (``--video_frame_size``), channels 96 (BigGAN D_ch),
    proj_dim 256 (``--l_len``), queue_size 4096 (``--q_len``), momentum 0.999 (``--moco_m``),
    temperature 0.07 (``--moco_t``), gather: all-gather hook for distributed training.
    """

    def __init__(self, resolution: int = 128, channels: int = 96, proj_dim: int = 256, queue_size: int = 4096,
                 momentum: float = 0.999, temperature: float = 0.07,
                 gather: Callable[[torch.Tensor], torch.Tensor] | None = None):
        super().__init__()
        self.momentum, self.temperature = momentum, temperature
        self.discriminator = BigGANDiscriminator(resolution, channels, proj_dim)
        self.discriminator_ema = copy.deepcopy(self.discriminator).requires_grad_(False)
        self.bank_first = MemoryBank(queue_size, proj_dim, gather)
        self.bank_later = MemoryBank(queue_size, proj_dim, gather)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Online D: ``x [N, 3, H, W]`` -> ``(logits [N, 1], projection [N, proj_dim])``."""
        return self.discriminator(x)

    @torch.no_grad()
    def keys(self, x: torch.Tensor) -> torch.Tensor:
        """Projections from the EMA copy (no gradient): what goes into the banks."""
        return self.discriminator_ema.project(x)

    @torch.no_grad()
    def update_ema(self) -> None:
        """``p_ema <- m * p_ema + (1 - m) * p`` for every parameter."""
        for p, p_ema in zip(self.discriminator.parameters(), self.discriminator_ema.parameters()):
            p_ema.lerp_(p.detach(), 1.0 - self.momentum)

    @torch.no_grad()
    def enqueue(self, first_keys: torch.Tensor, later_keys: torch.Tensor) -> None:
        self.bank_first.enqueue(first_keys)
        self.bank_later.enqueue(later_keys)

    def contrastive_loss(self, first_view1: torch.Tensor, first_view2: torch.Tensor,
                         later_view1: torch.Tensor, later_view2: torch.Tensor) -> torch.Tensor:
        """Sum of the two-view losses of first frames and of later frames, each against its own bank."""
        t = self.temperature
        return (two_view_contrastive_loss(first_view1, first_view2, self.bank_first.queue, t)
                + two_view_contrastive_loss(later_view1, later_view2, self.bank_later.queue, t))
