"""Import a checkpoint of the papers' own code into the vidsynth exported-model format (``vidsynth convert``).

Formats (``--from``, or ``auto`` = told apart by content, see ``importers.detect``):

- ``digan``: official DIGAN ``network-snapshot-*.pkl`` -> ``DIGANGenerator`` (G_ema) plus the two
  discriminators in ``discriminator.safetensors`` (for ``train --resume-from-weights``);
- ``stylegan2-ada``: StyleGAN2-ADA / StyleGAN3 ``--cfg=stylegan2`` ``.pkl`` -> ``StyleGAN2Generator``;
- ``mocogan-hd``: the motion generator ``.pth`` + ``--pca`` folder + ``--image-generator`` -> one
  ``MoCoGANHDVideoGenerator`` folder;
- ``rosinality``: a rosinality stylegan2-pytorch ``.pt`` -> ``StyleGAN2Generator``.

Nothing from the source file is ever executed (``importers.safe_pickle``, ``weights_only=True``).
Every key and shape is checked; a mismatch is reported key by key and nothing is written.
"""
from __future__ import annotations

from pathlib import Path

from vidsynth.errors import CheckpointError, VidsynthError
from vidsynth.export import DISCRIMINATOR_FILE, save_model
from vidsynth.importers.detect import FORMATS, detect_format
from vidsynth.utils.files import atomic_write


def check_destination(dst: str | Path, force: bool) -> Path:
    """Refuse to write into a run folder (ever) or a non-empty folder (unless ``force``)."""
    dst = Path(dst)
    if dst.exists() and not dst.is_dir():
        raise VidsynthError(f"'{dst}' exists and is not a folder; choose another destination")
    if (dst / "config.json").exists() and (dst / "stats.jsonl").exists():
        raise VidsynthError(f"'{dst}' is a training run folder; convert never writes into one (even with "
                            "--force). Choose a new destination folder")
    if dst.is_dir() and any(dst.iterdir()) and not force:
        raise VidsynthError(f"'{dst}' is not empty; choose a new folder or pass --force to overwrite its model files")
    return dst


def _save_discriminator(D, d_kwargs: dict, dst: Path) -> dict:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in D.state_dict().items()}
    atomic_write(dst / DISCRIMINATOR_FILE, lambda tmp: save_file(state, str(tmp)))
    return {"class_name": type(D).__name__, "kwargs": d_kwargs, "file": DISCRIMINATOR_FILE}


def convert_checkpoint(src, dst, fmt: str = "auto", size=None, channel_multiplier=None, n_mlp=None,
                       pca=None, image_generator=None, motion_scale: float = 0.2, train_frames: int = 16,
                       force: bool = False, log=print):
    """Import ``src`` (strictly checked) and write ``dst/config.json`` + ``dst/model.safetensors``."""
    src = Path(src)
    dst = check_destination(dst, force)
    content = None
    if fmt == "auto":
        fmt, content = detect_format(src)
        log(f"format: {fmt}")
    elif fmt not in FORMATS:
        raise CheckpointError(f"unknown format {fmt!r}; one of auto, {', '.join(FORMATS)}")
    metadata = {"source": str(src), "format": fmt}
    discriminator = None
    if fmt == "digan":
        from vidsynth.importers.digan import import_digan

        model, kwargs, D, d_kwargs, notes = import_digan(src, log=log, snapshot=content)
        metadata.update(method="digan", train_frames=train_frames, resolution=kwargs["resolution"],
                        class_names=[str(i) for i in range(kwargs["c_dim"])], notes=notes)
        if D is not None:
            discriminator = (D, d_kwargs)
    elif fmt == "stylegan2-ada":
        from vidsynth.importers.stylegan2_ada import import_stylegan2_ada

        model, kwargs = import_stylegan2_ada(src, log=log, snapshot=content)
        metadata.update(method="stylegan2", resolution=kwargs["resolution"])
    elif fmt == "mocogan-hd":
        from vidsynth.importers.mocogan_hd import import_mocogan_hd

        model, kwargs = import_mocogan_hd(src, pca, image_generator, motion_scale, log=log, state=content)
        metadata.update(method="mocogan-hd", train_frames=train_frames, resolution=model.resolution,
                        pca_folder=str(pca), image_generator_source=str(image_generator))
    else:
        from vidsynth.importers.rosinality import import_rosinality

        model, kwargs = import_rosinality(src, resolution=size, channel_multiplier=channel_multiplier,
                                          n_mlp=n_mlp, log=log)
        metadata.update(method="stylegan2", resolution=kwargs["resolution"])
    if discriminator is not None:
        metadata["discriminator"] = _save_discriminator(*discriminator, dst)
    folder = save_model(model, dst, kwargs, metadata)
    log(f"wrote {folder}")
    return folder
