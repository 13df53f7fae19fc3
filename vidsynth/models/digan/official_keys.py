"""Parameter names of the official DIGAN code (sihyun-yu/digan, ``src/training/networks.py``) <-> ours.

The networks are the same functions with the same parameters (see docs/digan_fidelity.md), so an
official state dict loads into ``DIGANGenerator`` / ``DIGANDiscriminator`` by renaming keys and
squeezing the 1x1 kernels of the generator's per-pixel layers (official ``[out, in, 1, 1]``, ours
``[out, in]``). Used by the golden-fixture tests (``tests/digan/test_official_fixtures.py``) and meant
for a checkpoint importer.

Generator (``G`` / ``G_ema``; official block ``b{res}``, ours ``blocks.{log2(res) - 2}``):

=====================================================  =============================================
official                                               ours
=====================================================  =============================================
``mapping.fc{j}.*``, ``mapping.embed.*``, ``w_avg``    ``mapping.layers.{j}.*``, ``mapping.embed.*``
``synthesis.b4.input.input.coord_fuser.*``             ``blocks.0.embedding.*``
``synthesis.b{res}.coord_fuser.*``                     ``blocks.{i}.embedding.*``
``...coord_fuser.xyaffine / affine / motion_mlp.{j}``  ``xyaffine / motion_affine / f_motion.{j}``
``synthesis.b4.conv1``                                 ``blocks.0.layers.0``
``synthesis.b{res}.conv0 / conv1 / extra_convs.{k}``   ``blocks.{i}.layers.0 / 1 / 2+k``
``synthesis.b{res}.torgb``                             ``blocks.{i}.torgb``
=====================================================  =============================================

Discriminators (``D``; official ``videoD`` is our motion D, ``imageD`` our image D; block ``b{res}``
of a D at resolution R is our ``blocks.{log2(R) - log2(res)}``): ``b{R}.fromrgb`` -> ``fromrgb``,
``b{res}.conv0 / conv1 / skip`` -> ``blocks.{i}.conv0 / conv1 / skip``, epilogue ``b4.conv / fc /
out`` -> ``conv / fc / out``, label mapping ``mapping.embed / fc{j}`` -> ``mapping.embed /
layers.{j}``.

The official constant buffers (``resample_filter``: the [1, 3, 3, 1] blur) have no counterpart; ours
are built in. Everything else must map one to one: ``official_to_ours`` raises ``KeyError`` on a key
it does not know.
"""
from __future__ import annotations

import math
import re

import torch

_CONSTANT = re.compile(r"(^|\.)resample_filter$")
_EMBEDDING = {"xyaffine": "xyaffine", "affine": "motion_affine", "motion_mlp": "f_motion"}


def _generator_key(key: str) -> str:
    if key.startswith("mapping."):
        return re.sub(r"^mapping\.fc(\d+)\.", r"mapping.layers.\1.", key)
    m = re.match(r"^synthesis\.b(\d+)\.(.+)$", key)
    if not m:
        raise KeyError(f"unknown official DIGAN generator key {key!r}")
    block = int(math.log2(int(m.group(1)))) - 2
    rest = m.group(2)
    e = re.match(r"^(?:input\.input\.)?coord_fuser\.(xyaffine|affine|motion_mlp)\.(.+)$", rest)
    if e:
        return f"blocks.{block}.embedding.{_EMBEDDING[e.group(1)]}.{e.group(2)}"
    layer = re.match(r"^(conv0|conv1|extra_convs\.(\d+))\.(.+)$", rest)
    if layer:
        first_block = block == 0          # b4 has only conv1 (from the embedding): our layers.0
        index = 0 if first_block else {"conv0": 0, "conv1": 1}.get(layer.group(1))
        if layer.group(2) is not None:
            index = (1 if first_block else 2) + int(layer.group(2))
        return f"blocks.{block}.layers.{index}.{layer.group(3)}"
    if rest.startswith("torgb."):
        return f"blocks.{block}.{rest}"
    raise KeyError(f"unknown official DIGAN generator key {key!r}")


def _discriminator_key(key: str, resolution: int) -> str:
    m = re.match(r"^(videoD|imageD)\.(.+)$", key)
    if not m:
        raise KeyError(f"unknown official DIGAN discriminator key {key!r}")
    prefix = "motion_d" if m.group(1) == "videoD" else "image_d"
    rest = m.group(2)
    if rest.startswith("mapping."):
        return f"{prefix}." + re.sub(r"^mapping\.fc(\d+)\.", r"mapping.layers.\1.", rest)
    b = re.match(r"^b(\d+)\.(.+)$", rest)
    if not b:
        raise KeyError(f"unknown official DIGAN discriminator key {key!r}")
    res, tail = int(b.group(1)), b.group(2)
    if res == 4:
        return f"{prefix}.{tail}"                                   # epilogue: conv, fc, out
    if tail.startswith("fromrgb."):
        return f"{prefix}.{tail}"
    return f"{prefix}.blocks.{int(math.log2(resolution)) - int(math.log2(res))}.{tail}"


def _d_resolution(keys) -> int:
    found = [int(m.group(1)) for k in keys if (m := re.match(r"^(?:videoD|imageD)\.b(\d+)\.fromrgb\.", k))]
    if not found:
        raise KeyError("no 'videoD.b{res}.fromrgb' / 'imageD.b{res}.fromrgb' key: not an official DIGAN D state dict")
    return max(found)


def official_to_ours(state: dict, kind: str) -> dict:
    """Official ``G`` (``kind="generator"``) or ``D`` (``kind="discriminator"``) state dict -> ours.

    Values are returned as tensors; the generator's 1x1 layer weights are squeezed to ``[out, in]``."""
    out = {}
    resolution = _d_resolution(state) if kind == "discriminator" else None
    for key, value in state.items():
        if _CONSTANT.search(key):
            continue
        value = torch.as_tensor(value)
        if kind == "generator":
            ours = _generator_key(key)
            if ours.endswith(".weight") and value.ndim == 4:        # per-pixel layers: [out, in, 1, 1] -> [out, in]
                value = value.flatten(1)
        elif kind == "discriminator":
            ours = _discriminator_key(key, resolution)
        else:
            raise ValueError(f"kind must be 'generator' or 'discriminator', got {kind!r}")
        out[ours] = value
    return out
