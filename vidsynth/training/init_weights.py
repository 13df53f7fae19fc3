"""Fine-tuning: start a NEW run from the weights of an exported model (``train --resume-from-weights``).

Unlike ``--resume`` (which continues a run exactly: optimizer state, counters, RNG), this only copies
weights: the architecture comes from the export's ``config.json`` (so it always fits), G and its EMA
copy both start from the exported generator, and the discriminators too when the export carries them
(``vidsynth convert`` of an official DIGAN snapshot stores them in ``discriminator.safetensors``).
Optimizers, step counters and the run folder are new.
"""
from __future__ import annotations

from pathlib import Path

from vidsynth.errors import CheckpointError, ConfigError
from vidsynth.export import DISCRIMINATOR_FILE
from vidsynth.training.run_dir import resolve_model_folder


# exported generator class -> the method whose trainer it fits
METHODS = {"DIGANGenerator": "digan", "StyleGAN2Generator": "stylegan2", "MoCoGANHDVideoGenerator": "mocogan-hd"}


def _model_folder(path: str | Path) -> Path:
    return resolve_model_folder(Path(path).expanduser())


def architecture_overrides(path: str | Path) -> tuple[str, dict]:
    """``(method, config overrides)`` that rebuild the exported architecture in a trainer."""
    from vidsynth.export import read_model_config

    folder = _model_folder(path)
    config = read_model_config(folder)
    name, kw = config["class_name"], config["kwargs"]
    if name not in METHODS:
        raise ConfigError(f"'{folder}' holds a {name}; --resume-from-weights takes a DIGAN, StyleGAN2 or MoCoGAN-HD "
                          "export")
    if name == "DIGANGenerator":
        out = {k: kw[k] for k in ("resolution", "input_resolution", "z_dim", "w_dim", "motion_dim", "mapping_layers",
                                  "emb_size", "fourier_scale", "sigma_t", "fmm_rank", "extra_layers_from") if k in kw}
        out.update(g_channel_base=kw.get("channel_base", 32768), g_channel_max=kw.get("channel_max", 512))
        if kw.get("c_dim", 0):
            out["conditional"] = True
        d = (config.get("metadata") or {}).get("discriminator")
        if d:
            dk = d["kwargs"]
            out.update(d_channel_base=dk["channel_base"], d_channel_max=dk["channel_max"],
                       mbstd_group=dk["mbstd_group_size"])
        return "digan", out
    if name == "StyleGAN2Generator":
        if kw.get("c_dim", 0) or kw.get("lr_mlp", 0.01) != 0.01:
            raise ConfigError(f"'{folder}': the image-generator trainer is unconditional with lr_mlp 0.01; this "
                              "generator cannot be fine-tuned by it")
        return "stylegan2", dict(resolution=kw["resolution"], z_dim=kw["style_dim"], n_mlp=kw["n_mlp"],
                                 channel_multiplier=kw["channel_multiplier"], g_channel_max=kw.get("channel_max", 512))
    motion = kw["motion_kwargs"]
    return "mocogan-hd", dict(image_generator=str(folder), hidden_dim=motion["hidden_dim"], n_pca=motion["n_pca"],
                              motion_scale=motion["motion_scale"], mi_hidden=motion["mi_hidden"])


def read_discriminator(folder: str | Path):
    """The discriminator an import stored next to its generator (a ``DIGANDiscriminator``), or None."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from vidsynth.export import check_state_dict, read_model_config
    from vidsynth.models.digan import DIGANDiscriminator

    folder = _model_folder(folder)
    entry = (read_model_config(folder).get("metadata") or {}).get("discriminator")
    if not entry:
        return None
    if entry.get("class_name") != "DIGANDiscriminator":
        raise CheckpointError(f"{folder}/config.json: unknown discriminator class {entry.get('class_name')!r}")
    D = DIGANDiscriminator(**entry["kwargs"])
    path = folder / entry.get("file", DISCRIMINATOR_FILE)
    try:
        state = load_file(str(path))
    except (OSError, SafetensorError, ValueError) as e:
        raise CheckpointError(f"{path}: missing or corrupt ({e}); re-run vidsynth convert") from None
    check_state_dict(D, state, str(path))
    D.load_state_dict(state, strict=True)
    return D


def load_initial_weights(trainer, path: str | Path, log=print) -> None:
    """Copy an export's weights into a freshly built trainer (G, G_ema and, if stored, D); strict."""
    from vidsynth.export import check_state_dict, load_model

    folder = _model_folder(path)
    module, config = load_model(folder)
    if trainer.method == "mocogan-hd":
        state = module.motion_generator.state_dict()
        check_state_dict(trainer.G_M, state, str(folder))
        trainer.G_M.load_state_dict(state, strict=True)
        log(f"fine-tuning from {folder}: motion generator (with its PCA) loaded")
        return
    state = module.state_dict()
    check_state_dict(trainer.G, state, str(folder))
    trainer.G.load_state_dict(state, strict=True)
    trainer.G_ema.load_state_dict(state, strict=True)
    loaded = "G, G_ema"
    D = read_discriminator(folder) if trainer.method == "digan" else None
    if D is not None:
        for name in ("image_d", "motion_d"):    # the two Ds; a decoder (d_recon_weight) is not stored and starts fresh
            state = getattr(D, name).state_dict()
            check_state_dict(getattr(trainer.D, name), state, str(folder / DISCRIMINATOR_FILE))
            getattr(trainer.D, name).load_state_dict(state, strict=True)
        loaded += ", D (image and motion)"
    fresh = ("; no discriminators in the export, D starts fresh" if D is None and trainer.method == "digan" else
             "; the image D's decoder starts fresh" if hasattr(getattr(trainer, "D", None), "image_decoder") else "")
    log(f"fine-tuning from {folder}: {loaded} loaded{fresh}")
