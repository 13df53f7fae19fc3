"""Parameter names of the official DIGAN code (sihyun-yu/digan, ``src/training/networks.py``) <-> ours.

The networks are the same functions with the same parameters (see docs/digan_fidelity.md), so an
official state dict loads into ``DIGANGenerator`` / ``DIGANDiscriminator`` by renaming keys and
squeezing the 1x1 kernels of the generator's per-pixel layers (official ``[out, in, 1, 1]``, ours
``[out, in]``). The one map of the project: used by the golden-fixture tests
(``tests/digan/test_official_fixtures.py``, through ``official_to_ours``) and by the snapshot importer
(``vidsynth.importers.digan``, key by key through ``official_digan_key`` and ``to_our_layout``).

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
out`` -> ``conv / fc / out``, label mapping of a class-conditional D ``mapping.embed / fc{j}`` ->
``mapping.embed / layers.{j}``.

The official constant buffers (``resample_filter``: the [1, 3, 3, 1] blur) have no counterpart; ours
are built in (the importer checks their values). Every other key maps to exactly one of ours or raises
``KeyError``.
"""
from __future__ import annotations

import math
import re

import torch

# Official CoordFuser sub-module names -> ours (SpaceTimeEmbedding).
EMBEDDING_NAMES = {"xyaffine": "xyaffine", "affine": "motion_affine", "motion_mlp": "f_motion"}
D_NAMES = {"videoD": "motion_d", "imageD": "image_d"}
_D_PREFIXES = tuple(f"{d}." for d in D_NAMES.values())


def _log2(value: int) -> int:
    return int(round(math.log2(value)))


def _mapping_key(rest: str) -> str | None:
    """The part after ``mapping.`` of G's mapping or of a D's label mapping -> ours (None: no such key)."""
    if m := re.fullmatch(r"fc(\d+)\.(weight|bias)", rest):
        return f"layers.{m[1]}.{m[2]}"
    if re.fullmatch(r"embed\.(weight|bias)|w_avg", rest):
        return rest
    return None


def _synthesis_key(res: int, rest: str) -> str | None:
    """``synthesis.b{res}.{rest}`` -> ours (None: no such key). Block index = log2(res) - 2 (b4 is blocks.0)."""
    i = _log2(res) - 2
    if e := re.fullmatch(r"(?:input\.input\.)?coord_fuser\.(xyaffine|affine|motion_mlp)\.(.+)", rest):
        return f"blocks.{i}.embedding.{EMBEDDING_NAMES[e[1]]}.{e[2]}"
    if c := re.fullmatch(r"(conv0|conv1|extra_convs\.(\d+))\.(.+)", rest):
        if res == 4:                                # b4 has only conv1 (its first and only layer)
            layer = {"conv1": 0}.get(c[1])
        else:
            layer = {"conv0": 0, "conv1": 1}.get(c[1], 2 + int(c[2]) if c[2] else None)
        return None if layer is None else f"blocks.{i}.layers.{layer}.{c[3]}"
    if t := re.fullmatch(r"torgb\.(.+)", rest):
        return f"blocks.{i}.torgb.{t[1]}"
    return None


def _discriminator_key(d: str, rest: str, resolution: int) -> str | None:
    """``{videoD,imageD}.{rest}`` of a D at ``resolution`` -> ours under prefix ``d`` (None: no such key)."""
    if rest.startswith("mapping."):
        name = _mapping_key(rest[len("mapping."):])
        return None if name is None else f"{d}.mapping.{name}"
    if not (b := re.fullmatch(r"b(\d+)\.(.+)", rest)):
        return None
    res, tail = int(b[1]), b[2]
    if res == 4 and re.fullmatch(r"(conv|fc|out)\.(weight|bias)", tail):
        return f"{d}.{tail}"                                            # epilogue
    if res == resolution and tail.startswith("fromrgb."):
        return f"{d}.{tail}"
    if re.fullmatch(r"(conv0|conv1|skip)\.(weight|bias)", tail):
        return f"{d}.blocks.{_log2(resolution) - _log2(res)}.{tail}"
    return None


def official_digan_key(key: str, resolution: int) -> str | None:
    """Official ``G``/``D`` state-dict key -> our key, for networks at output ``resolution``.

    Returns ``None`` for the constant ``resample_filter`` buffers (no counterpart) and raises
    ``KeyError`` for a key with none. Generator keys start with ``mapping.``/``synthesis.``,
    discriminator keys with ``videoD.`` (our ``motion_d``) / ``imageD.`` (our ``image_d``).
    """
    if key.endswith("resample_filter"):
        return None
    name = None
    if key.startswith("mapping."):
        name = _mapping_key(key[len("mapping."):])
        name = None if name is None else f"mapping.{name}"
    elif m := re.fullmatch(r"synthesis\.b(\d+)\.(.+)", key):
        name = _synthesis_key(int(m[1]), m[2])
    elif m := re.fullmatch(r"(videoD|imageD)\.(.+)", key):
        name = _discriminator_key(D_NAMES[m[1]], m[2], resolution)
    if name is None:
        raise KeyError(key)
    return name


def to_our_layout(name: str, value: torch.Tensor) -> torch.Tensor:
    """An official tensor in the layout of our parameter ``name``: the generator's per-pixel (1x1) layer
    weights ``[out, in, 1, 1]`` -> ``[out, in]``; the Ds keep their 1x1 convs (fromrgb, skip) 4-d."""
    if not name.startswith(_D_PREFIXES) and value.ndim == 4 and tuple(value.shape[2:]) == (1, 1):
        return value[:, :, 0, 0]
    return value


def _resolution(keys, kind: str) -> int:
    """Output resolution of an official G (last ``synthesis.b{res}``) or D (its ``b{res}.fromrgb``)."""
    pattern = r"synthesis\.b(\d+)\." if kind == "generator" else r"(?:videoD|imageD)\.b(\d+)\.fromrgb\."
    found = [int(m[1]) for k in keys if (m := re.match(pattern, k))]
    if not found:
        raise KeyError(f"no official DIGAN {kind} keys ({pattern!r}) in the state dict")
    return max(found)


def official_to_ours(state: dict, kind: str) -> dict:
    """Official ``G`` (``kind="generator"``) or ``D`` (``kind="discriminator"``) state dict -> ours.

    Values are returned as tensors in our layout; the constant filters are dropped; ``KeyError`` on a
    key with no counterpart or of the other kind. (The importer checks more: shapes, filters, coverage.)"""
    if kind not in ("generator", "discriminator"):
        raise ValueError(f"kind must be 'generator' or 'discriminator', got {kind!r}")
    resolution = _resolution(state, kind)
    out = {}
    for key, value in state.items():
        name = official_digan_key(key, resolution)
        if name is None:
            continue
        if name.startswith(_D_PREFIXES) != (kind == "discriminator"):
            raise KeyError(f"{key}: not an official DIGAN {kind} key")
        out[name] = to_our_layout(name, torch.as_tensor(value))
    return out
