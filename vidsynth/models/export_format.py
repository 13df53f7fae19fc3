"""The vidsynth exported-model format: a folder with ``config.json`` + ``model.safetensors``.

``config.json`` is ``{"class_name": ..., "version": 1, "kwargs": {...constructor kwargs...}}``; loading
rebuilds the class from the kwargs and loads the tensors strictly. Nothing is ever unpickled.

Interim helpers owned by the StyleGAN2 work; ``vidsynth/export.py`` (the general registry) is expected
to absorb them. Only the classes in ``MODEL_CLASSES`` can be loaded.
"""
from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from vidsynth.errors import CheckpointError

FORMAT_VERSION = 1
CONFIG_NAME, WEIGHTS_NAME = "config.json", "model.safetensors"

# class_name -> "module:attribute", imported only when such a model is loaded.
MODEL_CLASSES = {
    "StyleGAN2Generator": "vidsynth.models.stylegan2:StyleGAN2Generator",
    "BigGANGenerator": "vidsynth.models.biggan:BigGANGenerator",
}


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_model(module: nn.Module, folder: str | os.PathLike, class_name: str, kwargs: dict) -> Path:
    """Write ``module``'s state dict and the kwargs that rebuild it to ``folder`` (created if needed)."""
    if class_name not in MODEL_CLASSES:
        raise ValueError(f"unknown model class {class_name!r}; known: {sorted(MODEL_CLASSES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    config = {"class_name": class_name, "version": FORMAT_VERSION, "kwargs": kwargs}
    _atomic_write(folder / WEIGHTS_NAME, lambda p: save_file(tensors, str(p), metadata={"format": "pt"}))
    _atomic_write(folder / CONFIG_NAME, lambda p: p.write_text(json.dumps(config, indent=2) + "\n"))
    return folder


def load_model(folder: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved in ``folder`` (strict: every tensor must match), in eval mode."""
    folder = Path(folder)
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    for p in (config_path, weights_path):
        if not p.is_file():
            raise CheckpointError(f"{folder} is not an exported vidsynth model: {p.name} is missing")
    try:
        config = json.loads(config_path.read_text())
        class_name, version, kwargs = config["class_name"], config["version"], config["kwargs"]
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{config_path}: not a valid model config ({e})") from e
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{config_path}: format version {version}, this vidsynth reads {FORMAT_VERSION}")
    if class_name not in MODEL_CLASSES:
        raise CheckpointError(f"{config_path}: unknown model class {class_name!r}; known: {sorted(MODEL_CLASSES)}")
    module_name, attr = MODEL_CLASSES[class_name].split(":")
    model = getattr(importlib.import_module(module_name), attr)(**kwargs)
    try:
        state = load_file(str(weights_path))
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{weights_path}: cannot read safetensors file ({e})") from e
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{weights_path} does not fit {class_name}({kwargs}): {e}") from e
    return model.to(device).eval()
