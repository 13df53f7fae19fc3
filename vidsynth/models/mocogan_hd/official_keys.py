"""State-dict key map from the official MoCoGAN-HD code (snap-research/MoCoGAN-HD) to vidsynth.

One place for every renaming, used by the golden-fixture tests (``tests/mocogan/test_official_fixtures.py``)
and by the checkpoint importer (the motion generator). Official module -> vidsynth module:

* ``models/stylegan2/model.py`` ``Generator`` (rosinality's names) -> ``StyleGAN2Generator``: same names;
  the constant blur kernels (``*.kernel``) are dropped and the motion module ``modelR.*`` split off.
* ``models/rnn.py`` ``RNNModule`` (``modelR_epoch_N.pth``) -> ``MotionGenerator`` (``MOTION_KEYS``, also
  used by the importer ``vidsynth.importers.mocogan_hd``): ``enc_cell`` -> ``encoder``, ``cell`` ->
  ``decoder``, ``w [h, n_pca]`` -> ``to_pca.weight [n_pca, h]`` (transposed), ``b`` -> ``to_pca.bias``,
  ``fc1``/``fc2`` -> ``noise_predictor.0``/``.2``; the PCA comes from the side files ``pca_comp.npy`` /
  ``pca_stdev.npy``.
* ``models/D_3d.py`` / ``models/D.py`` ``ModelD_3d`` / ``ModelD_img`` (pix2pixHD multiscale PatchGAN)
  -> ``VideoDiscriminator`` / ``PairImageDiscriminator``: ``netD.scale{s}_layer{j}.{m}`` ->
  ``scales.{num_D-1-s}.{flat index}`` (the official list runs the *last* scale on the full-size input);
  InstanceNorm running statistics (eval-mode only) are dropped.
* ``models/D_img.py`` ``ModelD_img`` (cross-domain, BigGAN D) -> ``ContrastiveImageDiscriminator``:
  ``modelD``/``modelD_ema`` -> ``discriminator``/``discriminator_ema``, ``blocks.{k}.0`` -> ``blocks.{k}``,
  old-style spectral norm ``weight_orig``/``weight_u``/``weight_v`` -> the parametrization's
  ``original``/``0._u``/``0._v``; banks ``q_real``/``q_fake`` -> ``bank_first``/``bank_later``.
"""
from __future__ import annotations

import re

import numpy as np
import torch

# Official RNNModule key -> our MotionGenerator key (``w`` is stored transposed: [h_dim, n_pca]).
MOTION_KEYS = {
    "enc_cell.weight_ih": "encoder.weight_ih", "enc_cell.weight_hh": "encoder.weight_hh",
    "enc_cell.bias_ih": "encoder.bias_ih", "enc_cell.bias_hh": "encoder.bias_hh",
    "cell.weight_ih": "decoder.weight_ih", "cell.weight_hh": "decoder.weight_hh",
    "cell.bias_ih": "decoder.bias_ih", "cell.bias_hh": "decoder.bias_hh",
    "w": "to_pca.weight", "b": "to_pca.bias",
    "fc1.weight": "noise_predictor.0.weight", "fc1.bias": "noise_predictor.0.bias",
    "fc2.weight": "noise_predictor.2.weight", "fc2.bias": "noise_predictor.2.bias",
}
# Our MotionGenerator buffers that hold the PCA: not in the official state, filled from the side files.
PCA_BUFFERS = frozenset({"pca_components", "pca_std", "latent_mean", "pca_fitted"})


def split_generator_state(state: dict) -> tuple[dict, dict]:
    """Official ``Generator`` state (possibly holding ``modelR.*``) -> (StyleGAN2 part, RNNModule part)."""
    image = {k: v for k, v in state.items() if not k.startswith("modelR.") and not k.endswith("kernel")}
    motion = {k[len("modelR."):]: v for k, v in state.items() if k.startswith("modelR.")}
    return image, motion


def stylegan2_from_official(state: dict, w_avg: torch.Tensor | None = None) -> dict:
    """State dict for ``StyleGAN2Generator.load_state_dict`` (strict) from the official generator's."""
    image, _ = split_generator_state(state)
    out = {k: torch.as_tensor(np.asarray(v)) if not torch.is_tensor(v) else v for k, v in image.items()}
    style_dim = out["style.1.weight"].shape[0]
    out["w_avg"] = torch.zeros(style_dim) if w_avg is None else torch.as_tensor(w_avg)
    return out


def motion_key(key: str) -> str:
    """Official ``RNNModule`` key -> ours (``KeyError`` for a key with no counterpart)."""
    return MOTION_KEYS[key]


def motion_layout(name: str, value: torch.Tensor) -> torch.Tensor:
    """An official tensor in the layout of our parameter ``name``: ``w [h, n_pca]`` -> ``to_pca.weight [n_pca, h]``."""
    return value.T.contiguous() if name == "to_pca.weight" else value


def motion_from_official(state: dict, pca_comp, pca_stdev, n_pca: int | None = None) -> dict:
    """State dict for ``MotionGenerator.load_state_dict`` from ``RNNModule``'s plus its PCA files."""
    out = {}
    for key, value in state.items():
        name = motion_key(key)
        out[name] = motion_layout(name, torch.as_tensor(np.asarray(value)) if not torch.is_tensor(value) else value)
    n_pca = n_pca or out["to_pca.weight"].shape[0]
    comp = torch.as_tensor(np.asarray(pca_comp), dtype=torch.float32)[:n_pca]
    out["pca_components"] = comp
    out["pca_std"] = torch.as_tensor(np.asarray(pca_stdev), dtype=torch.float32)[:n_pca]
    out["latent_mean"] = torch.zeros(comp.shape[1])
    out["pca_fitted"] = torch.tensor(True)
    return out


def _patchgan_index(layer: int) -> int:
    """Flat index in our ``nn.Sequential`` of the conv of official layer group ``layer``: group 0 is
    (conv, lrelu), later groups (conv, norm, lrelu), the last group (conv)."""
    return 0 if layer == 0 else 2 + 3 * (layer - 1)


def patchgan_from_official(state: dict, num_scales: int) -> dict:
    """``ModelD_3d`` / in-domain ``ModelD_img`` state -> ``VideoDiscriminator`` / ``PairImageDiscriminator``."""
    out = {}
    pattern = re.compile(r"^(?:netD\.)?scale(\d+)_layer(\d+)\.(\d+)\.(weight|bias)$")
    for key, value in state.items():
        if key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue
        m = pattern.match(key)
        if m is None or m.group(3) != "0":
            raise KeyError(f"unexpected key {key!r} in the official PatchGAN")
        scale, layer, param = int(m.group(1)), int(m.group(2)), m.group(4)
        value = torch.as_tensor(np.asarray(value)) if not torch.is_tensor(value) else value
        out[f"scales.{num_scales - 1 - scale}.{_patchgan_index(layer)}.{param}"] = value
    return out


_SPECTRAL = {"weight_orig": "parametrizations.weight.original", "weight_u": "parametrizations.weight.0._u",
             "weight_v": "parametrizations.weight.0._v"}


def biggan_from_official(state: dict) -> dict:
    """Official BigGAN ``Discriminator`` state (``blocks.k.0.conv1.weight_orig`` ...) -> ``BigGANDiscriminator``."""
    out = {}
    for key, value in state.items():
        value = torch.as_tensor(np.asarray(value)) if not torch.is_tensor(value) else value
        key = re.sub(r"^blocks\.(\d+)\.0\.", r"blocks.\1.", key)
        head, _, leaf = key.rpartition(".")
        out[f"{head}.{_SPECTRAL[leaf]}" if leaf in _SPECTRAL else key] = value
    return out


def contrastive_from_official(state: dict) -> dict:
    """Cross-domain ``ModelD_img`` state (D, EMA D, banks) -> ``ContrastiveImageDiscriminator``."""
    out = {}
    for prefix, ours in (("modelD.", "discriminator."), ("modelD_ema.", "discriminator_ema.")):
        part = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        out.update({ours + k: v for k, v in biggan_from_official(part).items()})
    ptr = torch.as_tensor(np.asarray(state["q_ptr"])).reshape(()).long()
    out["bank_first.queue"] = torch.as_tensor(np.asarray(state["q_real"]))
    out["bank_later.queue"] = torch.as_tensor(np.asarray(state["q_fake"]))
    out["bank_first.ptr"], out["bank_later.ptr"] = ptr.clone(), ptr.clone()
    return out
