"""PatchGAN layer stack shared by MoCoGAN-HD's video D (3D) and in-domain image D (2D).

pix2pixHD-style ``NLayerDiscriminator`` with the official settings: kernel 4, padding 2,
``n_layers`` stride-2 convs (64, 128 +IN, 256 +IN for n_layers = 3), then a stride-1 conv to
512 +IN and a stride-1 conv to 1 logit per patch; LeakyReLU 0.2; conv weights N(0, 0.02).
In 3D the strides apply to time as well as space (the official code uses scalar strides).
"""
from __future__ import annotations

from torch import nn


def patchgan_layers(in_channels: int, dims: int, base_channels: int = 64, n_layers: int = 3,
                    max_channels: int = 512) -> nn.Sequential:
    """A ``dims``-D (2 or 3) PatchGAN: ``[N, in_channels, (T,) H, W]`` -> patch logits ``[N, 1, ...]``."""
    conv = {2: nn.Conv2d, 3: nn.Conv3d}[dims]
    # affine=False as in the official code; it also tracks running stats, which only matter in eval
    # mode, where a D is never used; we leave them out so D behaves the same in train and eval.
    norm = {2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}[dims]
    k, p = 4, 2
    layers: list[nn.Module] = [conv(in_channels, base_channels, k, stride=2, padding=p), nn.LeakyReLU(0.2)]
    ch = base_channels
    for _ in range(1, n_layers):
        nxt = min(ch * 2, max_channels)
        layers += [conv(ch, nxt, k, stride=2, padding=p), norm(nxt), nn.LeakyReLU(0.2)]
        ch = nxt
    nxt = min(ch * 2, max_channels)
    layers += [conv(ch, nxt, k, stride=1, padding=p), norm(nxt), nn.LeakyReLU(0.2)]
    layers += [conv(nxt, 1, k, stride=1, padding=p)]
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    return net


def multiscale_logits(scales: nn.ModuleList, downsample: nn.Module, x):
    """Patch logits of every scale: scale k sees ``x`` downsampled k times (pix2pixHD's multi-scale D)."""
    outputs = []
    for i, net in enumerate(scales):
        outputs.append(net(x))
        if i + 1 < len(scales):
            x = downsample(x)
    return outputs
