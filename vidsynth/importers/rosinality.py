"""Import StyleGAN2 generators saved by rosinality's ``stylegan2-pytorch`` (the format MoCoGAN-HD loads).

A rosinality ``.pt`` file is either a training checkpoint / converted official model
(``{"g_ema": state_dict, "latent_avg": [512], "g": ..., "d": ..., "args": Namespace, ...}``) or a bare
generator state dict. Our ``StyleGAN2Generator`` uses the same parameter names, so importing is a
name-preserving load, checked strictly: every key must be present, known and of the right shape, and
the constant blur kernels rosinality stores (``convs.<even>.conv.blur.kernel``,
``to_rgbs.<i>.upsample.kernel``) must hold the [1,3,3,1] filter we compute on the fly. The official
code loads with ``strict=False`` and silently half-loads a wrong file; we name every problem instead.
"""
from __future__ import annotations

import argparse
import os
import pickle
import re
from pathlib import Path

import torch

from vidsynth.errors import CheckpointError
from vidsynth.importers.checks import KeyReport, require_finite
from vidsynth.models.stylegan2 import StyleGAN2Generator

# rosinality's up-conv blur and ToRGB skip upsampler both store outer([1,3,3,1]) / 64 * 4 (gain 4).
_TAPS = torch.tensor([1.0, 3.0, 3.0, 1.0])
BLUR_KERNEL = torch.outer(_TAPS, _TAPS) / 64 * 4


def read_checkpoint(path: str | os.PathLike) -> dict:
    """``torch.load(weights_only=True)``: tensors, plain containers and ``argparse.Namespace`` (the
    inert ``args`` entry of rosinality training checkpoints) only. Anything else is refused."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL (\S+) was not an allowed global", str(e))
        if found is None:   # corrupt, or not a pickle at all
            raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (corrupt, or not written by "
                                  f"torch.save)") from e
        raise CheckpointError(
            f"{path}: refused to load. It holds Python objects other than tensors, so reading it would run "
            f"arbitrary code. NVIDIA .pkl network pickles have their own safe reader: vidsynth convert "
            f"--from stylegan2-ada (or --from digan). First such object: {found.group(1)}") from e
    except Exception as e:  # truncated zip, not a torch file at all, ...
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: {e})") from e
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: expected a dict (state dict or checkpoint), got {type(ckpt).__name__}")
    return ckpt


def split_checkpoint(ckpt: dict, source: str = "checkpoint") -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """Return ``(generator_state_dict, latent_avg or None)``; prefers ``g_ema`` (the EMA generator) over ``g``."""
    for entry in ("g_ema", "g"):
        if entry in ckpt:
            state, latent_avg = ckpt[entry], ckpt.get("latent_avg")
            break
    else:
        if "input.input" not in ckpt:
            raise CheckpointError(f"{source}: neither a rosinality checkpoint (no 'g_ema' or 'g' entry) nor a "
                                  f"generator state dict (no 'input.input'); top-level keys: {sorted(ckpt)[:20]}")
        state, latent_avg = ckpt, None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{source}: the generator entry is not a state dict of tensors")
    if latent_avg is not None and not isinstance(latent_avg, torch.Tensor):
        raise CheckpointError(f"{source}: 'latent_avg' is not a tensor")
    return state, latent_avg


def infer_config(state: dict[str, torch.Tensor]) -> dict:
    """Guess ``resolution``, ``style_dim``, ``n_mlp``, ``channel_multiplier`` from key names and shapes.

    resolution = 4 * 2**(number of ToRGBs after the first); n_mlp = number of ``style.<i>.weight``;
    channel_multiplier = channels at 64 px / 256 (below 64 px it changes nothing; 2 is kept).
    """
    n_to_rgbs = len({m.group(1) for k in state if (m := re.match(r"to_rgbs\.(\d+)\.", k))})
    n_mlp = len([k for k in state if re.fullmatch(r"style\.\d+\.weight", k)])
    if n_to_rgbs == 0 or n_mlp == 0 or "style.1.weight" not in state:
        raise CheckpointError("cannot infer the StyleGAN2 configuration: no 'to_rgbs.*' or 'style.*' keys; "
                              "is this a rosinality StyleGAN2 generator?")
    resolution = 4 * 2 ** n_to_rgbs
    config = {"resolution": resolution, "style_dim": state["style.1.weight"].shape[0], "n_mlp": n_mlp,
              "channel_multiplier": 2}
    key64 = f"convs.{2 * (6 - 3)}.conv.weight"          # first conv of the 64 px block: [1, out, in, 3, 3]
    if resolution >= 64 and key64 in state and state[key64].ndim == 5:
        config["channel_multiplier"] = max(1, state[key64].shape[1] // 256)
    return config


def rosinality_constant_keys(model: StyleGAN2Generator) -> list[str]:
    """The blur-kernel buffers a rosinality generator of this configuration stores."""
    keys = [f"convs.{2 * i}.conv.blur.kernel" for i in range(len(model.to_rgbs))]
    return keys + [f"to_rgbs.{i}.upsample.kernel" for i in range(len(model.to_rgbs))]


def check_state_dict(state: dict[str, torch.Tensor], model: StyleGAN2Generator) -> KeyReport:
    """Compare a rosinality state dict with ``model``: names, shapes, and the constant kernels' values."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != "w_avg"}
    constants = set(rosinality_constant_keys(model))
    report = KeyReport()
    for k in list(expected) + sorted(constants):
        if k not in state:
            report.missing.append(k)
    for k, v in state.items():
        if k in constants:
            if tuple(v.shape) != tuple(BLUR_KERNEL.shape):
                report.mis_shaped.append((k, tuple(BLUR_KERNEL.shape), tuple(v.shape)))
            elif not torch.allclose(v.float(), BLUR_KERNEL, atol=1e-6):
                report.wrong_constant.append(k)
        elif k not in expected:
            report.unexpected.append(k)
        elif tuple(v.shape) != expected[k]:
            report.mis_shaped.append((k, expected[k], tuple(v.shape)))
    return report


def import_rosinality(path: str | os.PathLike, resolution: int | None = None, channel_multiplier: int | None = None,
                      n_mlp: int | None = None, log=print) -> tuple[StyleGAN2Generator, dict]:
    """Read a rosinality ``.pt`` into a ``StyleGAN2Generator`` (eval mode, float32) and its constructor kwargs.

    Options given override what is inferred from shapes. ``w_avg`` comes from the file's ``latent_avg``
    when present, else it is estimated as the mean of ``mapping(z)`` over 10,000 z (seed 0).
    Raises ``CheckpointError`` with a full key report when anything does not match.
    """
    state, latent_avg = split_checkpoint(read_checkpoint(path), source=str(path))
    require_finite(dict(state, **({"latent_avg": latent_avg} if latent_avg is not None else {})), str(path))
    kwargs = infer_config(state)
    for name, value in (("resolution", resolution), ("channel_multiplier", channel_multiplier), ("n_mlp", n_mlp)):
        if value is not None:
            kwargs[name] = value
    log(f"config: {kwargs}")
    try:
        model = StyleGAN2Generator(**kwargs)
    except (ValueError, KeyError) as e:
        raise CheckpointError(f"{path}: cannot build a StyleGAN2 generator with {kwargs}: {e}") from e
    report = check_state_dict(state, model)
    if not report.ok:
        raise CheckpointError(f"{path} does not match StyleGAN2Generator({kwargs}):\n{report}")
    constants = set(rosinality_constant_keys(model))
    weights = {k: v.float() for k, v in state.items() if k not in constants}
    if latent_avg is not None:
        if latent_avg.numel() != model.style_dim:
            raise CheckpointError(f"{path}: latent_avg has {latent_avg.numel()} values, expected {model.style_dim}")
        weights["w_avg"] = latent_avg.reshape(-1).float()
    else:
        weights["w_avg"] = torch.zeros(model.style_dim)
    model.load_state_dict(weights, strict=True)
    if latent_avg is None:
        model.compute_w_avg(n=10000, seed=0)
        log("w_avg: no latent_avg in the file; estimated from 10,000 mapped z (seed 0)")
    else:
        log("w_avg: taken from the file's latent_avg")
    log(f"loaded {len(weights) - 1} tensors, {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(constants)} blur kernels checked")
    return model.eval(), kwargs



def to_rosinality_state_dict(model: StyleGAN2Generator) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The inverse of the import: ``(state dict rosinality's Generator loads strictly, latent_avg [style_dim])``."""
    if model.c_dim > 0:
        raise ValueError("rosinality's Generator is unconditional; a class-conditional model cannot be exported to it")
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if k != "w_avg"}
    for k in rosinality_constant_keys(model):
        state[k] = BLUR_KERNEL.clone()
    return state, model.w_avg.detach().clone()
