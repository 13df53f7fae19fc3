"""Import MoCoGAN-HD's released checkpoints into one self-contained ``MoCoGANHDVideoGenerator`` export.

The official release comes in three pieces that its code pairs by hand:

- the motion generator ``modelR_epoch_N.pth``: a ``torch.save``-d ``RNNModule`` state dict, read with
  ``torch.load(weights_only=True)``;
- the PCA statistics it was trained with, kept in a side folder (``pca_stats/<dataset>/pca_comp.npy``,
  ``pca_stdev.npy``), read with ``numpy.load(allow_pickle=False)``;
- the rosinality StyleGAN2 image generator ``.pt`` (``importers.rosinality``); an already exported
  vidsynth image-generator folder also works.

Here they become one folder: G_I's weights plus G_M's, whose buffers carry the PCA (V and its std).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from vidsynth.errors import CheckpointError
from vidsynth.importers.checks import load_renamed, require_finite
from vidsynth.importers.rosinality import import_rosinality, read_checkpoint
from vidsynth.models.mocogan_hd.motion_generator import MotionGenerator
from vidsynth.models.mocogan_hd.official_keys import PCA_BUFFERS, motion_key, motion_layout

def is_motion_state_dict(state: dict) -> bool:
    return isinstance(state, dict) and {"enc_cell.weight_ih", "cell.weight_ih", "w"} <= {
        k[len("module."):] if k.startswith("module.") else k for k in state}


def read_pca(folder: str | os.PathLike, source: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``pca_comp.npy`` [>= n_pca, D] and ``pca_stdev.npy`` [>= n_pca] from the official side folder."""
    folder = Path(folder)
    out = []
    for name in ("pca_comp.npy", "pca_stdev.npy"):
        try:
            out.append(torch.from_numpy(np.load(folder / name, allow_pickle=False)).float())
        except FileNotFoundError:
            raise CheckpointError(f"{source}: no {name} in the PCA folder '{folder}' (pass the folder "
                                  "get_stats_pca.py wrote, e.g. pca_stats/ucf_101, with --pca)") from None
        except (ValueError, OSError) as e:
            raise CheckpointError(f"{folder / name}: not a plain numpy array file ({e})") from None
    comp, std = out
    if comp.ndim != 2 or std.ndim != 1 or std.shape[0] < 1:
        raise CheckpointError(f"{folder}: pca_comp.npy must be [n, D] and pca_stdev.npy [n]; got "
                              f"{list(comp.shape)} and {list(std.shape)}")
    return comp, std


def import_motion_generator(path: str | os.PathLike, pca_folder: str | os.PathLike, motion_scale: float = 0.2,
                            state: dict | None = None) -> tuple[MotionGenerator, dict]:
    """The official motion generator + its PCA -> ``(MotionGenerator, its kwargs)``, checked strictly."""
    source = str(path)
    state = read_checkpoint(path) if state is None else state
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    if not is_motion_state_dict(state):
        raise CheckpointError(f"{source}: not a MoCoGAN-HD motion generator state dict (no enc_cell/cell/w keys)")
    require_finite(state, source)
    latent_dim = state["enc_cell.weight_ih"].shape[1]
    kwargs = dict(latent_dim=latent_dim, hidden_dim=state["enc_cell.weight_hh"].shape[1],
                  n_pca=state["w"].shape[1], noise_dim=state["cell.weight_ih"].shape[1],
                  motion_scale=float(motion_scale),
                  mi_hidden=state["fc1.weight"].shape[0] if "fc1.weight" in state else 512)
    model = MotionGenerator(**kwargs)
    ours, _ = load_renamed(state, model, motion_key, source, target=f"MotionGenerator({kwargs})",
                           layout=lambda name, value, shape: motion_layout(name, value), not_in_file=PCA_BUFFERS)
    comp, std = read_pca(pca_folder, source)
    n_pca = kwargs["n_pca"]
    if comp.shape[0] < n_pca or comp.shape[1] != latent_dim or std.shape[0] < n_pca:
        raise CheckpointError(f"{pca_folder}: the PCA holds {comp.shape[0]} components of size {comp.shape[1]} "
                              f"({std.shape[0]} stds); the motion generator needs {n_pca} of size {latent_dim}")
    require_finite({"pca_comp": comp, "pca_stdev": std}, str(pca_folder))
    for k in PCA_BUFFERS:                 # set below from the PCA folder
        ours[k] = model.state_dict()[k]
    model.load_state_dict(ours, strict=True)
    model.set_pca(comp, std)          # the official code uses the first n_pca rows, V scaled by its std
    return model.eval(), kwargs


def import_mocogan_hd(path: str | os.PathLike, pca_folder: str | os.PathLike | None,
                      image_generator: str | os.PathLike | None, motion_scale: float = 0.2, log=print,
                      state: dict | None = None):
    """Motion generator ``.pth`` + PCA folder + image generator -> ``(MoCoGANHDVideoGenerator, kwargs)``."""
    from vidsynth.export import load_image_generator
    from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator

    if pca_folder is None or image_generator is None:
        raise CheckpointError(f"{path}: a MoCoGAN-HD motion generator needs --pca FOLDER (its pca_comp.npy / "
                              "pca_stdev.npy) and --image-generator PATH (the rosinality .pt it was trained on)")
    motion, motion_kwargs = import_motion_generator(path, pca_folder, motion_scale, state)
    log(f"motion generator: {motion_kwargs}")
    source = Path(image_generator)
    if source.is_dir():
        g_i, config = load_image_generator(source)
        g_i_kwargs, g_i_class = config["kwargs"], config["class_name"]
    else:
        g_i, g_i_kwargs = import_rosinality(source, log=log)
        g_i_class = "StyleGAN2Generator"
    if g_i.latent_dim != motion_kwargs["latent_dim"]:
        raise CheckpointError(f"{image_generator}: latent size {g_i.latent_dim} does not match the motion "
                              f"generator's {motion_kwargs['latent_dim']}; pair the files of the same release")
    video = MoCoGANHDVideoGenerator(g_i_class, g_i_kwargs, motion_kwargs, image_generator=g_i,
                                    motion_generator=motion)
    return video.eval(), video.init_kwargs
