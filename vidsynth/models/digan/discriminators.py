"""DIGAN's two discriminators (paper §3.2), by name.

- :class:`ImageDiscriminator`: StyleGAN2 ResNet D on single frames (3 channels).
- :class:`MotionDiscriminator`: the same 2D architecture on a triplet (frame t1, frame t2, a
  constant plane of dt = t2 - t1): 7 channels, built by :func:`motion_input`. Judging two frames
  and their gap, instead of a whole clip with 3D convs, is what makes DIGAN cheap to train on long
  videos.

:class:`DIGANDiscriminator` holds one of each as ``image_d`` / ``motion_d`` (the state-dict keys of
checkpoints, exports and the official key map).
"""
from __future__ import annotations

import torch
from torch import nn

from vidsynth.models.resnet_discriminator import ResNetDiscriminator
from vidsynth.nn.feature_decoder import FeatureDecoder


def pair_frames(pair: torch.Tensor) -> torch.Tensor:
    """Motion input ``[B, 7, H, W]`` -> the image D's frames ``[2B, 3, H, W]``, interleaved per video
    (frame t1 of video 0, frame t2 of video 0, frame t1 of video 1, ...), as the official code
    (``networks.py`` OurDiscriminator: ``(b t)`` order). With StyleGAN2's strided minibatch-std groups
    (``x.reshape(G, -1, ...)``) this puts ``G`` different videos in every group, never both frames of one."""
    b, _, h, w = pair.shape
    return pair[:, :6].reshape(b * 2, 3, h, w)


def frame_labels(c: torch.Tensor | None) -> torch.Tensor | None:
    """Labels ``[B, c_dim]`` of the pairs -> labels ``[2B, c_dim]`` of ``pair_frames`` (each repeated, same order)."""
    return None if c is None else c.repeat_interleave(2, dim=0)


def motion_input(frame1: torch.Tensor, frame2: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """``[B, 3, H, W]`` x2 and ``dt [B]`` -> the motion D's 7-channel input ``[B, 7, H, W]``."""
    plane = dt.view(-1, 1, 1, 1).to(frame1.dtype).expand(-1, 1, *frame1.shape[2:])
    return torch.cat([frame1, frame2, plane], dim=1)


class ImageDiscriminator(ResNetDiscriminator):
    """DIGAN's image D: the StyleGAN2 ResNet D on frames ``[N, 3, H, W]`` (-> logits ``[N, 1]``)."""

    def __init__(self, resolution: int = 128, **kwargs):
        super().__init__(resolution, 3, **kwargs)


class MotionDiscriminator(ResNetDiscriminator):
    """DIGAN's motion D: the StyleGAN2 ResNet D on :func:`motion_input` triplets ``[B, 7, H, W]`` (-> ``[B, 1]``)."""

    motion_input = staticmethod(motion_input)     # its input builder: (frame t1, frame t2, dt) -> [B, 7, H, W]

    def __init__(self, resolution: int = 128, **kwargs):
        super().__init__(resolution, 7, **kwargs)


class DIGANDiscriminator(nn.Module):
    """Holds the image D and the motion D; ``forward`` scores a batch of frame pairs with both.
    ``width``: frames ``resolution x width`` (default square; see ``ResNetDiscriminator``).

    ``num_fp16_res`` / ``conv_clamp``: StyleGAN2-ADA's mixed precision, defaults as the official DIGAN
    (``src/train.py``: 4 and 256 for both Ds). Both take effect only after
    ``set_reduced_precision(D, "fp16" | "bf16")`` (the trainer's ``--precision``); otherwise the D is all
    fp32 and unclamped, as the official ``--fp32`` (``ResNetDiscriminator``)."""

    def __init__(self, resolution: int = 128, c_dim: int = 0, channel_base: int = 32768, channel_max: int = 512,
                 mbstd_group_size: int = 4, width: int | None = None, num_fp16_res: int = 4,
                 conv_clamp: float | None = 256.0, recon_from: int = 0):
        super().__init__()
        kwargs = dict(channel_base=channel_base, channel_max=channel_max, mbstd_group_size=mbstd_group_size,
                      c_dim=c_dim, width=width, num_fp16_res=num_fp16_res, conv_clamp=conv_clamp)
        self.image_d = ImageDiscriminator(resolution, **kwargs)
        self.motion_d = MotionDiscriminator(resolution, **kwargs)
        self.c_dim = c_dim
        self.recon_from = recon_from
        if recon_from:   # a departure from DIGAN (FastGAN's self-supervised D): the image D's map decoded to frames
            if recon_from < 4 or recon_from >= resolution or recon_from & (recon_from - 1):
                raise ValueError(f"recon_from must be a power of two from 4 to {resolution // 2}, got {recon_from}")
            self.image_decoder = FeatureDecoder(min(channel_base // recon_from, channel_max), recon_from, resolution)

    def reconstruct(self, frames: torch.Tensor, c: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames ``[N, 3, H, W]`` -> (image logits ``[N, 1]``, the frames decoded from the image D's
        ``recon_from``-row feature map ``[N, 3, H, W]``); only with ``recon_from > 0``."""
        logits, features = self.image_d(frames, c, features_at=self.recon_from)
        return logits, self.image_decoder(features)

    def forward(self, pair: torch.Tensor, c: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``pair [B, 7, H, W]`` (motion input) -> (motion logits ``[B, 1]``, image logits ``[2B, 1]``);
        image logits are in ``pair_frames`` order."""
        return self.motion_d(pair, c), self.image_d(pair_frames(pair), frame_labels(c))
