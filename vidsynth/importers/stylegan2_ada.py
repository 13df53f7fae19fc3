"""Import StyleGAN2-ADA (and StyleGAN3's config-F ``stylegan2``) generator pickles as image generators.

``network-snapshot-*.pkl`` / ``*.pkl`` from NVlabs/stylegan2-ada-pytorch (or stylegan3 trained with
``--cfg=stylegan2``) holds ``G_ema``, a ``torch_utils.persistence`` object, read without running any
code (``safe_pickle``). Its parameters are the same equalized-lr tensors as rosinality's layout under
other names and shapes (``stylegan2_ada_key``), so the result is a ``StyleGAN2Generator`` usable as
MoCoGAN-HD's image generator. Every key and shape is checked; StyleGAN3 (``alias-free``) generators
have other keys (``synthesis.L0_36_512...``) and are refused by name.
"""
from __future__ import annotations

import math
import os
import re

import torch

from vidsynth.errors import CheckpointError
from vidsynth.importers.checks import load_renamed, log2_int, require_finite
from vidsynth.importers.safe_pickle import flatten_state_dict, init_kwargs, read_network_pickle
from vidsynth.models.stylegan2 import StyleGAN2Generator, stylegan2_channels


def stylegan2_ada_key(key: str) -> str | None:
    """StyleGAN2-ADA ``G`` key -> ``StyleGAN2Generator`` key (None: a constant filter, checked not loaded).

    b4: const -> input.input, conv1 -> conv1, torgb -> to_rgb1; block b{r} (k = log2(r) - 3): conv0 ->
    convs.{2k} (upsampling), conv1 -> convs.{2k+1}, torgb -> to_rgbs.{k}. In a layer: weight ->
    conv.weight, affine -> conv.modulation, bias -> activate.bias (ToRGB: bias), noise_strength ->
    noise.weight; noise_const -> noises.noise_{i} (i = 0 at 4 px, then two per block).
    """
    if key.endswith("resample_filter"):
        return None
    if m := re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", key):
        return f"style.{int(m[1]) + 1}.{m[2]}"
    if key in ("mapping.embed.weight", "mapping.embed.bias"):
        return key[len("mapping."):]
    if key == "mapping.w_avg":
        return "w_avg"
    if key == "synthesis.b4.const":
        return "input.input"
    m = re.fullmatch(r"synthesis\.b(\d+)\.(conv0|conv1|torgb)\.(.+)", key)
    if not m:
        raise KeyError(key)
    r, layer, rest = int(m[1]), m[2], m[3]
    k = log2_int(r) - 3
    if layer == "torgb":
        prefix = "to_rgb1" if r == 4 else f"to_rgbs.{k}"
        return {"weight": f"{prefix}.conv.weight", "bias": f"{prefix}.bias",
                "affine.weight": f"{prefix}.conv.modulation.weight",
                "affine.bias": f"{prefix}.conv.modulation.bias"}[rest]
    if r == 4:
        if layer != "conv1":
            raise KeyError(key)
        prefix, noise = "conv1", 0
    else:
        index = 2 * k + (layer == "conv1")
        prefix, noise = f"convs.{index}", index + 1
    return {"weight": f"{prefix}.conv.weight", "bias": f"{prefix}.activate.bias",
            "affine.weight": f"{prefix}.conv.modulation.weight", "affine.bias": f"{prefix}.conv.modulation.bias",
            "noise_strength": f"{prefix}.noise.weight", "noise_const": f"noises.noise_{noise}"}[rest]


def _ada_layout(name: str, value: torch.Tensor, shape: tuple) -> torch.Tensor:
    """Same values, other layout: [o,i,k,k] -> [1,o,i,k,k], [3] -> [1,3,1,1], [] -> [1], [C,4,4] -> [1,C,4,4]."""
    if tuple(value.shape) != shape and value.numel() == math.prod(shape) \
            and tuple(s for s in shape if s != 1) == tuple(s for s in value.shape if s != 1):
        return value.reshape(shape)
    return value


def infer_config(state: dict[str, torch.Tensor], kwargs: dict, source: str) -> dict:
    """``StyleGAN2Generator`` kwargs from the ADA G state (shapes) and its init kwargs."""
    if any(k.startswith("synthesis.L") or k.startswith("synthesis.input.") for k in state):
        raise CheckpointError(f"{source}: a StyleGAN3 (alias-free) generator; only StyleGAN2 / StyleGAN3 "
                              "--cfg=stylegan2 generators can be imported")
    blocks = sorted({int(m[1]) for k in state if (m := re.match(r"synthesis\.b(\d+)\.", k))})
    fcs = [k for k in state if re.fullmatch(r"mapping\.fc\d+\.weight", k)]
    if not blocks or not fcs or "synthesis.b4.const" not in state:
        raise CheckpointError(f"{source}: no 'synthesis.b4.const' / 'mapping.fc*' keys; is this a StyleGAN2-ADA "
                              "generator?")
    if kwargs.get("img_channels", 3) != 3:
        raise CheckpointError(f"{source}: {kwargs['img_channels']} image channels; only RGB generators are supported")
    resolution = blocks[-1]
    channels = {r: state[f"synthesis.b{r}.conv1.weight"].shape[0] for r in blocks}
    cmax = max(channels.values())
    multiplier = 1
    if resolution >= 64:
        multiplier = max(1, channels[64] // 256)
    c_dim = state["mapping.embed.weight"].shape[1] if "mapping.embed.weight" in state else 0
    lr = (kwargs.get("mapping_kwargs") or {}).get("lr_multiplier", 0.01)
    config = dict(resolution=resolution, style_dim=state["mapping.w_avg"].shape[0], n_mlp=len(fcs),
                  channel_multiplier=multiplier, lr_mlp=float(lr), c_dim=c_dim, channel_max=cmax)
    table = {r: stylegan2_channels(r, multiplier, cmax) for r in blocks}
    if table != channels:
        raise CheckpointError(f"{source}: channels per resolution {channels} do not follow the StyleGAN2 config-E/F "
                              f"table ({table}); this generator cannot be represented")
    z_dim = state["mapping.fc0.weight"].shape[1] - (state["mapping.embed.weight"].shape[0] if c_dim else 0)
    if z_dim != config["style_dim"]:
        raise CheckpointError(f"{source}: z_dim {z_dim} differs from w_dim {config['style_dim']}; not supported")
    return config


def import_stylegan2_ada(path: str | os.PathLike, log=print, snapshot=None) -> tuple[StyleGAN2Generator, dict]:
    """Read ``G_ema`` of an ADA pickle -> ``(StyleGAN2Generator in eval mode, its kwargs)``."""
    source = str(path)
    snapshot = read_network_pickle(path) if snapshot is None else snapshot
    net = snapshot.get("G_ema") if isinstance(snapshot, dict) else None
    if net is None:
        raise CheckpointError(f"{source}: no 'G_ema' network in the pickle")
    official = flatten_state_dict(net)
    require_finite(official, source)
    kwargs = infer_config(official, init_kwargs(net), source)
    log(f"config: {kwargs}")
    model = StyleGAN2Generator(**kwargs)
    ours, filters = load_renamed(official, model, stylegan2_ada_key, source, layout=_ada_layout,
                                 target=f"StyleGAN2Generator({kwargs})")
    model.load_state_dict(ours, strict=True)
    log(f"loaded {len(ours)} tensors, {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(filters)} resample filters checked")
    return model.eval(), kwargs
