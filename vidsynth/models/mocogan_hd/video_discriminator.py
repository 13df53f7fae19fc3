"""MoCoGAN-HD video discriminator D_V (appendix A.2.1, Tab. 6): a 2-scale 3D PatchGAN.

Input: a video ``[B, 3, T, H, W]`` in [-1, 1], resized spatially to ``input_size`` (128 in the
paper; the official trainer average-pools generated frames down to ``--video_frame_size 128``).

* in-domain: every later frame is concatenated on channels with the first frame, giving
  ``[B, 6, T-1, S, S]``: D judges each step's change relative to the content frame.
* cross-domain: the raw clip ``[B, 3, T, S, S]`` (pairing with the first frame would let D spot the
  domain gap between the image dataset and the video dataset).

Scale 1 sees the input at ``S``; scale 2 sees it after a 3x3x3 average pool with stride (1, 2, 2)
(stride 2 in time too when the clip is longer than 16 frames, as in the official code), i.e. S/2.
The official multiscale D builds both scales with 64 base channels.
"""
from __future__ import annotations

import torch
from torch import nn

from vidsynth.models.mocogan_hd.patchgan import multiscale_logits, patchgan_layers
from vidsynth.nn.video_ops import resize_frames

MODES = ("in_domain", "cross_domain")


def pair_with_first_frame(video: torch.Tensor) -> torch.Tensor:
    """``[B, C, T, H, W]`` -> ``[B, 2C, T-1, H, W]``: channels (x_1, x_t) for t = 2..T."""
    first = video[:, :, :1].expand(-1, -1, video.shape[2] - 1, -1, -1)
    return torch.cat([first, video[:, :, 1:]], dim=1)


class VideoDiscriminator(nn.Module):
    """Multi-scale 3D PatchGAN. ``forward(video) -> [logits_scale1, logits_scale2]``, each ``[B, 1, t, h, w]``.

    Args:
        mode: ``"in_domain"`` (6-channel first-frame pairs) or ``"cross_domain"`` (raw 3-channel clip).
        num_frames: training clip length T (only decides whether scale 2 also halves time, T > 16).
        input_size: spatial size the clip is resized to before scale 1 (128 official; small in tests).
        num_scales: number of PatchGANs (2 official, ``--num_D``).
        base_channels, n_layers: PatchGAN width and depth (64, 3 official).
    """

    def __init__(self, mode: str = "in_domain", num_frames: int = 16, input_size: int = 128, num_scales: int = 2,
                 base_channels: int = 64, n_layers: int = 3, image_channels: int = 3):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode, self.num_frames, self.input_size, self.num_scales = mode, num_frames, input_size, num_scales
        in_channels = image_channels * (2 if mode == "in_domain" else 1)
        self.scales = nn.ModuleList(
            patchgan_layers(in_channels, 3, base_channels, n_layers) for _ in range(num_scales))
        stride = (2, 2, 2) if num_frames > 16 else (1, 2, 2)
        self.downsample = nn.AvgPool3d(3, stride=stride, padding=1, count_include_pad=False)

    def prepare(self, video: torch.Tensor) -> torch.Tensor:
        """Video ``[B, 3, T, H, W]`` -> the tensor scale 1 sees (resized; paired in-domain)."""
        x = resize_frames(video, self.input_size)
        return pair_with_first_frame(x) if self.mode == "in_domain" else x

    def forward_prepared(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Patch logits of every scale for an already prepared input (used by the gradient penalty)."""
        return multiscale_logits(self.scales, self.downsample, x)

    def forward(self, video: torch.Tensor, reverse_time: bool = False) -> list[torch.Tensor]:
        """``reverse_time`` flips the prepared sequence in time (the official trainer does so for a
        whole batch with probability 1/2, independently for real and fake)."""
        x = self.prepare(video)
        if reverse_time:
            x = x.flip(2)
        return self.forward_prepared(x)
