"""Import official DIGAN snapshots (``network-snapshot-*.pkl`` from sihyun-yu/digan).

The file is a StyleGAN2-ADA network pickle: ``{'G', 'D', 'G_ema', 'augment_pipe',
'training_set_kwargs'}`` whose networks are ``torch_utils.persistence`` objects. It is read with
``safe_pickle.read_network_pickle`` (nothing from the file runs). Our networks equal the official ones
under a pure key rename (``official_digan_key``): the configuration is inferred from tensor shapes
(and ``sigma_t`` / ``fourier_scale`` / minibatch-std group from the saved init kwargs), every key and
shape is checked strictly, and G_ema becomes a ``DIGANGenerator``, D a ``DIGANDiscriminator``.
"""
from __future__ import annotations

import math
import os
import re

import torch

from vidsynth.errors import CheckpointError
from vidsynth.importers.checks import channels_rule, log2_int, require_filter, require_finite
from vidsynth.importers.rosinality import KeyReport
from vidsynth.importers.safe_pickle import PersistentObject, flatten_state_dict, init_kwargs, read_network_pickle
from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator

# Official CoordFuser sub-module names -> ours (SpaceTimeEmbedding).
_EMBEDDING_NAMES = {"xyaffine": "xyaffine", "affine": "motion_affine", "motion_mlp": "f_motion"}


def official_digan_key(key: str, resolution: int, input_resolution: int) -> str | None:
    """The official<->ours DIGAN key map: official ``G``/``D`` state-dict key -> our key.

    Returns ``None`` for the constant ``resample_filter`` buffers (checked, not loaded) and raises
    ``KeyError`` for a key with no counterpart. Generator keys start with ``mapping.``/``synthesis.``,
    discriminator keys with ``videoD.`` (our ``motion_d``) / ``imageD.`` (our ``image_d``).
    Block index of ``synthesis.b{r}`` = log2(r) - 2 (b4 is blocks.0).
    """
    if key.endswith("resample_filter"):
        return None
    if m := re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", key):
        return f"mapping.layers.{m[1]}.{m[2]}"
    if re.fullmatch(r"mapping\.(embed\.weight|embed\.bias|w_avg)", key):
        return key
    if m := re.fullmatch(r"synthesis\.b(\d+)\.(.+)", key):
        i, rest = log2_int(int(m[1])) - 2, m[2]
        if e := re.fullmatch(r"(?:input\.input\.)?coord_fuser\.(xyaffine|affine|motion_mlp)\.(.+)", rest):
            return f"blocks.{i}.embedding.{_EMBEDDING_NAMES[e[1]]}.{e[2]}"
        if c := re.fullmatch(r"(conv0|conv1|extra_convs\.(\d+))\.(.+)", rest):
            if int(m[1]) == 4:                      # b4 has only conv1 (its first and only layer)
                layer = {"conv1": 0}.get(c[1])
            else:
                layer = {"conv0": 0, "conv1": 1}.get(c[1], 2 + int(c[2]) if c[2] else None)
            if layer is not None:
                return f"blocks.{i}.layers.{layer}.{c[3]}"
        if t := re.fullmatch(r"torgb\.(.+)", rest):
            return f"blocks.{i}.torgb.{t[1]}"
    if m := re.fullmatch(r"(videoD|imageD)\.b(\d+)\.(.+)", key):
        d = {"videoD": "motion_d", "imageD": "image_d"}[m[1]]
        r, rest = int(m[2]), m[3]
        if r == 4 and re.fullmatch(r"(conv|fc|out)\.(weight|bias)", rest):
            return f"{d}.{rest}"
        if r == resolution and rest.startswith("fromrgb."):
            return f"{d}.{rest}"
        if re.fullmatch(r"(conv0|conv1|skip)\.(weight|bias)", rest):
            return f"{d}.blocks.{log2_int(resolution) - log2_int(r)}.{rest}"
    raise KeyError(key)


def _to_ours(official: dict[str, torch.Tensor], model: torch.nn.Module, resolution: int, input_resolution: int,
             source: str) -> dict[str, torch.Tensor]:
    """Rename and reshape ``official`` for ``model``; raise with a full report on any mismatch."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    report, ours, filters, seen = KeyReport(), {}, [], set()
    for key, value in official.items():
        try:
            name = official_digan_key(key, resolution, input_resolution)
        except KeyError:
            report.unexpected.append(key)
            continue
        if name is None:
            filters.append(key)
            continue
        if name not in expected:
            report.unexpected.append(f"{key} (-> {name})")
            continue
        if name in seen:                                    # two source keys for one target
            report.unexpected.append(f"{key} (-> {name}, already filled by another key)")
            continue
        seen.add(name)
        if value.ndim == 4 and len(expected[name]) == 2 and value.shape[2:] == (1, 1):
            value = value[:, :, 0, 0]                       # official 1x1 conv weight [o, i, 1, 1] -> [o, i]
        if tuple(value.shape) != expected[name]:
            report.mis_shaped.append((f"{key} (-> {name})", expected[name], tuple(value.shape)))
            continue
        ours[name] = value.float()
    report.missing += [k for k in expected if k not in seen]
    if not report.ok:
        raise CheckpointError(f"{source} does not match {type(model).__name__}:\n{report}")
    require_filter(official, filters, source)
    return ours


def infer_generator_config(state: dict[str, torch.Tensor], kwargs: dict, source: str) -> dict:
    """``DIGANGenerator`` kwargs from the official G_ema state (shapes) and init kwargs (cfg)."""
    cfg = kwargs.get("cfg") or {}
    coords = cfg.get("coords") or {}
    for what, ok in (("cfg.fmm.enabled / activation 'demod'", (cfg.get("fmm") or {}).get("enabled", True)
                      and (cfg.get("fmm") or {}).get("activation", "demod") == "demod"),
                     ("cfg.use_noise false", not cfg.get("use_noise", False)),
                     ("cfg.upsampling_mode 'nearest'", cfg.get("upsampling_mode", "nearest") == "nearest"),
                     ("cfg.coords.kernel_size 1", coords.get("kernel_size", 1) == 1),
                     ("img_channels 3", kwargs.get("img_channels", 3) == 3)):
        if not ok:
            raise CheckpointError(f"{source}: not the DIGAN architecture vidsynth implements (needs {what})")
    blocks = sorted({int(m[1]) for k in state if (m := re.match(r"synthesis\.b(\d+)\.", k))})
    if not blocks or "mapping.fc0.weight" not in state or "synthesis.b4.input.input.coord_fuser.xyaffine.weight" not in state:
        raise CheckpointError(f"{source}: G has no 'synthesis.b4.input.input.coord_fuser' / 'mapping.fc0' keys; "
                              "is this a DIGAN snapshot?")
    resolution = blocks[-1]
    up_blocks = [r for r in blocks if f"synthesis.b{r}.coord_fuser.xyaffine.weight" in state]
    input_resolution = min(up_blocks) // 2 if up_blocks else resolution
    fcs = sorted(int(m[1]) for k in state if (m := re.fullmatch(r"mapping\.fc(\d+)\.weight", k)))
    w_dim = state[f"mapping.fc{fcs[-1]}.weight"].shape[0]
    c_dim = state["mapping.embed.weight"].shape[1] if "mapping.embed.weight" in state else 0
    embed = state["mapping.embed.weight"].shape[0] if c_dim else 0
    z_dim = state["mapping.fc0.weight"].shape[1] - embed
    fuser = "synthesis.b4.input.input.coord_fuser."
    motion_dim = state[fuser + "affine.weight"].shape[1] - w_dim
    emb_size = state[fuser + "xyaffine.weight"].shape[0] // 3
    channels = {r: state[f"synthesis.b{r}.conv1.weight"].shape[0] for r in blocks}
    base, cmax = channels_rule(channels, (kwargs.get("synthesis_kwargs") or {}).get("channel_base"))
    c4, in4 = state["synthesis.b4.conv1.affine.weight"].shape[0], state["synthesis.b4.conv1.weight"].shape[1]
    rank = c4 // (in4 + channels[4])
    extra = [r for r in blocks if f"synthesis.b{r}.extra_convs.0.weight" in state]
    if any(f"synthesis.b{r}.extra_convs.1.weight" in state for r in blocks) or \
            (extra and extra != [r for r in blocks if r >= min(extra)]):
        raise CheckpointError(f"{source}: extra FMM layers at {extra} px; vidsynth supports one extra layer in every "
                              "block from some resolution up (the official 128/256 px setting)")
    res_cfg = (coords.get("res_configs") or {}).get(str(resolution)) or {}
    fourier_scale = res_cfg.get("fourier_scale", math.sqrt(10)) if isinstance(res_cfg, dict) else math.sqrt(10)
    return dict(resolution=resolution, input_resolution=input_resolution, z_dim=z_dim, w_dim=w_dim,
                motion_dim=motion_dim, c_dim=c_dim, mapping_layers=len(fcs), channel_base=base, channel_max=cmax,
                emb_size=emb_size, fourier_scale=float(fourier_scale),
                sigma_t=float(coords.get("motion_sigma", 0.25)), fmm_rank=rank,
                extra_layers_from=min(extra) if extra else 2 * resolution)


def infer_discriminator_config(state: dict[str, torch.Tensor], kwargs: dict, resolution: int, source: str) -> dict:
    """``DIGANDiscriminator`` kwargs from the official D state (shapes) and init kwargs."""
    channels = {resolution: state[f"imageD.b{resolution}.fromrgb.weight"].shape[0]}
    for key, value in state.items():
        if m := re.fullmatch(r"imageD\.b(\d+)\.conv1\.weight", key):
            channels[int(m[1]) // 2] = value.shape[0]
    base, cmax = channels_rule(channels, kwargs.get("channel_base"))
    epilogue = kwargs.get("epilogue_kwargs") or {}
    if epilogue.get("mbstd_num_channels", 1) != 1 or kwargs.get("architecture", "resnet") != "resnet":
        raise CheckpointError(f"{source}: D is not the ResNet D with one minibatch-std channel vidsynth implements")
    return dict(resolution=resolution, c_dim=0, channel_base=base, channel_max=cmax,
                mbstd_group_size=int(epilogue.get("mbstd_group_size", 4) or 4))


def _network(snapshot, name: str, source: str) -> PersistentObject:
    net = snapshot.get(name) if isinstance(snapshot, dict) else None
    if net is None:
        raise CheckpointError(f"{source}: no '{name}' network in the pickle (keys: {sorted(snapshot) if isinstance(snapshot, dict) else type(snapshot).__name__})")
    return net


def import_digan(path: str | os.PathLike, log=print, snapshot=None):
    """Read an official DIGAN snapshot -> ``(G_ema, g_kwargs, D or None, d_kwargs or None, notes)``.

    ``D`` is None for class-conditional snapshots: the official D maps labels with an 8-layer network,
    ours with 2, so those weights have no counterpart (fine-tuning then starts D from scratch).
    """
    source = str(path)
    snapshot = read_network_pickle(path) if snapshot is None else snapshot
    g_net = _network(snapshot, "G_ema", source)
    g_state = flatten_state_dict(g_net)
    require_finite(g_state, f"{source} (G_ema)")
    g_kwargs = infer_generator_config(g_state, init_kwargs(g_net), source)
    log(f"config: {g_kwargs}")
    G = DIGANGenerator(**g_kwargs)
    G.load_state_dict(_to_ours(g_state, G, g_kwargs["resolution"], g_kwargs["input_resolution"],
                               f"{source} (G_ema)"), strict=True)
    log(f"G_ema: {len(g_state)} tensors, {sum(p.numel() for p in G.parameters()):,} parameters")
    D = d_kwargs = None
    notes = []
    if isinstance(snapshot, dict) and snapshot.get("D") is not None:
        d_net = snapshot["D"]
        d_state = flatten_state_dict(d_net)
        require_finite(d_state, f"{source} (D)")
        if g_kwargs["c_dim"] > 0:
            notes.append("discriminators not imported: the official conditional D's label mapping (8 layers) has "
                         "no counterpart in vidsynth's D (2 layers); fine-tuning starts D from scratch")
        else:
            d_kwargs = infer_discriminator_config(d_state, init_kwargs(d_net), g_kwargs["resolution"], source)
            D = DIGANDiscriminator(**d_kwargs)
            D.load_state_dict(_to_ours(d_state, D, g_kwargs["resolution"], g_kwargs["input_resolution"],
                                       f"{source} (D)"), strict=True)
            log(f"D: {len(d_state)} tensors, {sum(p.numel() for p in D.parameters()):,} parameters")
    else:
        notes.append("no D in the pickle: generator only")
    for n in notes:
        log(n)
    return G.eval(), g_kwargs, D, d_kwargs, notes
