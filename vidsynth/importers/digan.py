"""Import official DIGAN snapshots (``network-snapshot-*.pkl`` from sihyun-yu/digan).

The file is a StyleGAN2-ADA network pickle: ``{'G', 'D', 'G_ema', 'augment_pipe',
'training_set_kwargs'}`` whose networks are ``torch_utils.persistence`` objects. It is read with
``safe_pickle.read_network_pickle`` (nothing from the file runs). Our networks equal the official ones
under a pure key rename (``vidsynth.models.digan.official_keys``, the map the golden-fixture tests use):
the configuration is inferred from tensor shapes (and ``sigma_t`` / ``fourier_scale`` / minibatch-std
group from the saved init kwargs), every key and shape is checked strictly (``checks.load_renamed``), and
G_ema becomes a ``DIGANGenerator``, D (both Ds; class-conditional ones with their 8-layer label mapping)
a ``DIGANDiscriminator``.
"""
from __future__ import annotations

import math
import os
import re

import torch

from vidsynth.errors import CheckpointError
from vidsynth.importers.checks import channels_rule, load_renamed, require_finite
from vidsynth.importers.safe_pickle import PersistentObject, flatten_state_dict, init_kwargs, read_network_pickle
from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator
from vidsynth.models.digan.official_keys import official_digan_key, to_our_layout

def _load(official: dict[str, torch.Tensor], model: torch.nn.Module, resolution: int, source: str) -> dict:
    """``official`` renamed by the one DIGAN key map and checked strictly against ``model``."""
    return load_renamed(official, model, lambda key: official_digan_key(key, resolution), source,
                        layout=lambda name, value, shape: to_our_layout(name, value))[0]


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
    """``DIGANDiscriminator`` kwargs from the official D state (shapes) and init kwargs.

    A class-conditional D (``imageD.mapping.embed``: ``[cmap_dim, c_dim]``) maps labels as StyleGAN2-ADA
    does, an 8-layer ``MappingNetwork`` with learning-rate multiplier 0.01: vidsynth's ``LabelMapping``.
    """
    channels = {resolution: state[f"imageD.b{resolution}.fromrgb.weight"].shape[0]}
    for key, value in state.items():
        if m := re.fullmatch(r"imageD\.b(\d+)\.conv1\.weight", key):
            channels[int(m[1]) // 2] = value.shape[0]
    base, cmax = channels_rule(channels, kwargs.get("channel_base"))
    epilogue = kwargs.get("epilogue_kwargs") or {}
    if epilogue.get("mbstd_num_channels", 1) != 1 or kwargs.get("architecture", "resnet") != "resnet":
        raise CheckpointError(f"{source}: D is not the ResNet D with one minibatch-std channel vidsynth implements")
    c_dim = state["imageD.mapping.embed.weight"].shape[1] if "imageD.mapping.embed.weight" in state else 0
    if c_dim:
        layers = len([k for k in state if re.fullmatch(r"imageD\.mapping\.fc\d+\.weight", k)])
        lr = (kwargs.get("mapping_kwargs") or {}).get("lr_multiplier", 0.01)
        if layers != 8 or lr != 0.01:
            raise CheckpointError(f"{source}: the conditional D maps labels with {layers} layers at learning-rate "
                                  f"multiplier {lr}; vidsynth's D has StyleGAN2-ADA's 8 layers at 0.01")
    return dict(resolution=resolution, c_dim=c_dim, channel_base=base, channel_max=cmax,
                mbstd_group_size=int(epilogue.get("mbstd_group_size", 4) or 4))


def _network(snapshot, name: str, source: str) -> PersistentObject:
    net = snapshot.get(name) if isinstance(snapshot, dict) else None
    if net is None:
        raise CheckpointError(f"{source}: no '{name}' network in the pickle (keys: {sorted(snapshot) if isinstance(snapshot, dict) else type(snapshot).__name__})")
    return net


def import_digan(path: str | os.PathLike, log=print, snapshot=None):
    """Read an official DIGAN snapshot -> ``(G_ema, g_kwargs, D or None, d_kwargs or None, notes)``.

    ``D`` (both discriminators, class-conditional ones with their label mapping) is None only when the
    pickle holds none.
    """
    source = str(path)
    snapshot = read_network_pickle(path) if snapshot is None else snapshot
    g_net = _network(snapshot, "G_ema", source)
    g_state = flatten_state_dict(g_net)
    require_finite(g_state, f"{source} (G_ema)")
    g_kwargs = infer_generator_config(g_state, init_kwargs(g_net), source)
    log(f"config: {g_kwargs}")
    G = DIGANGenerator(**g_kwargs)
    G.load_state_dict(_load(g_state, G, g_kwargs["resolution"], f"{source} (G_ema)"), strict=True)
    log(f"G_ema: {len(g_state)} tensors, {sum(p.numel() for p in G.parameters()):,} parameters")
    D = d_kwargs = None
    notes = []
    if isinstance(snapshot, dict) and snapshot.get("D") is not None:
        d_net = snapshot["D"]
        d_state = flatten_state_dict(d_net)
        require_finite(d_state, f"{source} (D)")
        d_kwargs = infer_discriminator_config(d_state, init_kwargs(d_net), g_kwargs["resolution"], source)
        if d_kwargs["c_dim"] != g_kwargs["c_dim"]:
            raise CheckpointError(f"{source}: G has {g_kwargs['c_dim']} classes but D {d_kwargs['c_dim']}; "
                                  "G_ema and D of one snapshot must agree")
        D = DIGANDiscriminator(**d_kwargs)
        D.load_state_dict(_load(d_state, D, g_kwargs["resolution"], f"{source} (D)"), strict=True)
        log(f"D: {len(d_state)} tensors, {sum(p.numel() for p in D.parameters()):,} parameters")
    else:
        notes.append("no D in the pickle: generator only")
    for n in notes:
        log(n)
    return G.eval(), g_kwargs, D, d_kwargs, notes
