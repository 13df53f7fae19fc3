"""``vidsynth.load``: a sampler from any path a user holds (run folder, snapshot, exported model,
resume checkpoint). It sits above training because a resume checkpoint is read through
``vidsynth.training.checkpoint`` (``vidsynth.checkpoint_model``); ``vidsynth.export`` below it only
saves and loads exported model folders."""
from __future__ import annotations

from pathlib import Path

import torch

from vidsynth.errors import CheckpointError
from vidsynth.export import load_model
from vidsynth.registry import SAMPLERS, sampler_class
from vidsynth.training.run_dir import resolve_model_folder


def load_generator(path: str | Path, device: str | torch.device = "cpu"):
    """A sampler for a run folder (its exported ``model/``), an exported model folder (``model-<kimg>/``,
    ``model-best/``, a ``vidsynth export`` folder) or a resume checkpoint ``training_state-*.pt``."""
    from vidsynth.checkpoint_model import is_checkpoint_file, load_checkpoint_model
    from vidsynth.device import resolve_device

    path = Path(path)
    if is_checkpoint_file(path):
        module, config = load_checkpoint_model(path)
        return sampler_class(config["class_name"])(module.to(resolve_device(device)), config["metadata"])
    module, config = load_model(resolve_model_folder(path), resolve_device(device))
    if config["class_name"] not in SAMPLERS:
        raise CheckpointError(f"{config['class_name']} is not a video generator that vidsynth.load can sample")
    return sampler_class(config["class_name"])(module, config.get("metadata", {}))
