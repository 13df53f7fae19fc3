"""Exported models: ``config.json`` (class name, version, constructor kwargs, metadata) plus
``model.safetensors`` (the weights). Loading builds the class from ``vidsynth.registry`` and reads plain
tensors: nothing is ever unpickled, so a model file cannot run code."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from vidsynth.errors import CheckpointError
from vidsynth.registry import MODEL_CLASSES, SAMPLERS, model_class  # noqa: F401  (re-exported)
from vidsynth.training.run_dir import MODEL_DIR
from vidsynth.utils.deprecation import moved_names

# beside an exported generator, the discriminators a fine-tuning run starts from (vidsynth convert of an
# official DIGAN snapshot writes them; train --resume-from-weights reads them)
DISCRIMINATOR_FILE = "discriminator.safetensors"
from vidsynth.utils.files import atomic_write, atomic_write_text

FORMAT_VERSION = 1

def save_model(module: nn.Module, folder: str | Path, kwargs: dict, metadata: dict | None = None) -> Path:
    """Write ``module`` (built as ``type(module)(**kwargs)``) to ``folder`` atomically."""
    from safetensors.torch import save_file

    folder = Path(folder)
    class_name = type(module).__name__
    if class_name not in MODEL_CLASSES:
        raise ValueError(f"{class_name} is not registered in vidsynth.registry.MODEL_CLASSES")
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    atomic_write(folder / "model.safetensors", lambda tmp: save_file(state, str(tmp)))
    config = {"class_name": class_name, "version": FORMAT_VERSION, "kwargs": kwargs, "metadata": metadata or {}}
    atomic_write_text(folder / "config.json", json.dumps(config, indent=2, sort_keys=True) + "\n")
    return folder


def _refuse_special(path: Path) -> None:
    """A FIFO (or socket, device) named like a model file would block a read forever."""
    if path.exists() and not path.is_file():
        raise CheckpointError(f"'{path}' is not a regular file (a folder, FIFO or device); it cannot be a model file")


def read_model_config(folder: str | Path) -> dict:
    path = Path(folder) / "config.json"
    _refuse_special(path)
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"no exported model in '{folder}' (missing config.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"'{path}' is not valid JSON ({e}); the export is corrupt, re-export it") from None
    except (OSError, RecursionError) as e:  # a folder named config.json, no permission, absurdly nested JSON
        raise CheckpointError(f"cannot read '{path}' ({type(e).__name__}: {e})") from None
    if not isinstance(config, dict) or "class_name" not in config or not isinstance(config.get("kwargs"), dict):
        raise CheckpointError(f"'{path}' is not a vidsynth model config (needs class_name and a kwargs object)")
    if not isinstance(config["class_name"], str) or config["class_name"] not in MODEL_CLASSES:
        raise CheckpointError(f"'{path}' names an unknown model class {config['class_name']!r}; "
                              f"known: {', '.join(MODEL_CLASSES)}")
    return config


def load_model(folder: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model of an exported folder; strict: every key and shape must match."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    config = read_model_config(folder)
    cls = model_class(config["class_name"])
    try:
        module = cls(**config["kwargs"])
    except Exception as e:  # unknown names (TypeError), impossible values (ValueError, RuntimeError, ...)
        raise CheckpointError(f"'{folder}/config.json' has kwargs that {cls.__name__} does not accept "
                              f"({type(e).__name__}: {e}); the export is corrupt or from another version") from None
    _refuse_special(folder / "model.safetensors")
    try:
        state = load_file(str(folder / "model.safetensors"), device="cpu")
    except FileNotFoundError:
        raise CheckpointError(f"'{folder}' has config.json but no model.safetensors") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"'{folder}/model.safetensors' is corrupt or not a safetensors file ({e})") from None
    check_state_dict(module, state, str(folder / "model.safetensors"))
    check_finite(state, str(folder / "model.safetensors"))
    module.load_state_dict(state, strict=True)
    return module.to(device).eval().requires_grad_(False), config


def check_state_dict(module: nn.Module, state: dict, source: str) -> None:
    """Raise CheckpointError naming every missing, unexpected and mis-shaped tensor."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape)
                    or expected[k].is_floating_point() != state[k].is_floating_point()
                    or state[k].is_complex())
    if missing or unexpected or shapes:
        lines = [f"'{source}' does not fit {type(module).__name__}:"]
        lines += [f"  missing: {k} {tuple(expected[k].shape)}" for k in missing[:20]]
        lines += [f"  unexpected: {k} {tuple(state[k].shape)}" for k in unexpected[:20]]
        lines += [f"  shape/dtype: {k} file {tuple(state[k].shape)} {state[k].dtype} vs model "
                  f"{tuple(expected[k].shape)} {expected[k].dtype}" for k in shapes[:20]]
        more = len(missing) + len(unexpected) + len(shapes) - len(lines) + 1
        if more > 0:
            lines.append(f"  ... and {more} more")
        raise CheckpointError("\n".join(lines))


def check_finite(state: dict, source: str) -> None:
    """Raise CheckpointError naming the tensors holding NaN or inf (they would render all-black videos)."""
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"'{source}' holds non-finite weights (NaN or inf) in {len(bad)} tensor(s), e.g. "
                              f"{', '.join(bad[:5])}: the model diverged or the file is corrupt. Use an earlier "
                              "snapshot or checkpoint")


def load_image_generator(path, device="cpu") -> tuple[nn.Module, dict]:
    """A frozen image generator from a run folder (its ``model/``) or an exported model folder.

    Returns ``(module, export config)``; raises ``CheckpointError`` if the folder holds something
    that is not a latent image generator (see ``vidsynth.models.image_generator``). A MoCoGAN-HD
    export gives its image generator. (Was ``models.mocogan_hd.video_generator.load_image_generator``:
    reading files is this layer's work, not a model's.)
    """
    from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator

    path = Path(path).expanduser()
    folder = path / MODEL_DIR if (path / MODEL_DIR / "config.json").is_file() else path
    if not (folder / "config.json").is_file():
        raise CheckpointError(f"no image generator in '{path}': expected a stylegan2 run folder (with model/) or "
                              "an exported model folder (vidsynth convert); set --image-generator")
    module, config = load_model(folder, device)
    if isinstance(module, MoCoGANHDVideoGenerator):      # reuse the image generator of a MoCoGAN-HD export
        config = {"class_name": module.image_generator_class, "kwargs": module.image_generator_kwargs}
        module = module.image_generator
    if not all(hasattr(module, a) for a in ("latent_dim", "sample_latents", "synthesize")):
        raise CheckpointError(f"'{folder}' holds a {config['class_name']}, not an image generator with a latent "
                              "space (StyleGAN2Generator or BigGANGenerator)")
    return module.eval().requires_grad_(False), config


# vidsynth.load (any model path -> sampler) reads resume checkpoints through the training layer, so it
# lives above it, in vidsynth/loader.py.
__getattr__ = moved_names(__name__, {"load_generator": "vidsynth.loader"})
