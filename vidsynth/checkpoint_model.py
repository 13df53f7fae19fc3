"""The generator inside a resume checkpoint (``<run>/checkpoints/training_state-<step>.pt``), loaded safely.

A checkpoint holds the trainer's state (G, G_ema, D, optimizers ...) but not the generator's class and
constructor arguments; those are the same for the whole run and live in the run's exported
``model/config.json``. So: verify and read the checkpoint with ``weights_only=True`` (nothing is
unpickled, ``training/checkpoint.py``), build the run's generator class from ``model/config.json``, and
load the checkpoint's sampling weights into it with the strict key/shape check:

- DIGAN, StyleGAN2: the EMA generator ``trainer["G_ema"]`` (what every export holds);
- MoCoGAN-HD: the motion generator ``trainer["G_M"]`` (with its PCA buffers); the frozen image
  generator is the one in ``model/`` (the checkpoint stores only its fingerprint).
"""
from __future__ import annotations

from pathlib import Path

import torch

from vidsynth.errors import CheckpointError

# method -> (key in the trainer state, attribute of the exported module that it fills; "" = the module itself)
SAMPLING_WEIGHTS = {"digan": ("G_ema", ""), "stylegan2": ("G_ema", ""), "mocogan-hd": ("G_M", "motion_generator")}


def is_checkpoint_file(path: str | Path) -> bool:
    return Path(path).suffix == ".pt" and Path(path).is_file()


def load_checkpoint_model(path: str | Path) -> tuple[torch.nn.Module, dict]:
    """(generator on CPU in eval mode, its model config with metadata kimg/step of the checkpoint)."""
    from vidsynth.export import check_state_dict, load_model
    from vidsynth.training import checkpoint as ckpt

    path = Path(path)
    state = ckpt.load(path)          # checksum, safe unpickler, required keys: CheckpointError otherwise
    run_dir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    model_dir = run_dir / "model"
    if not (model_dir / "config.json").is_file():
        raise CheckpointError(f"'{path}': its run folder '{run_dir}' has no model/config.json, which says which "
                              "generator the checkpoint holds; keep the checkpoint inside its run's checkpoints/ folder")
    method = state["method"]
    if method not in SAMPLING_WEIGHTS:
        raise CheckpointError(f"'{path}' is a {method!r} checkpoint; vidsynth can sample digan, stylegan2 and "
                              "mocogan-hd checkpoints")
    key, attribute = SAMPLING_WEIGHTS[method]
    weights = state["trainer"].get(key) if isinstance(state["trainer"], dict) else None
    if not isinstance(weights, dict):
        raise CheckpointError(f"'{path}' holds no {key} weights in its trainer state")
    module, config = load_model(model_dir, "cpu")
    target = getattr(module, attribute) if attribute else module
    check_state_dict(target, weights, f"{path} [{key}]")
    target.load_state_dict(weights, strict=True)
    metadata = dict(config.get("metadata", {}), kimg=state["nimg"] / 1000, step=state["step"],
                    checkpoint=str(path))
    return module.eval().requires_grad_(False), dict(config, metadata=metadata)
