"""``vidsynth convert``: import a checkpoint of the papers' own code into the vidsynth exported-model format.

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

import click

from vidsynth.errors import CheckpointError, VidsynthError
from vidsynth.export import save_model
from vidsynth.importers.detect import FORMATS, detect_format
from vidsynth.runs import atomic_write
from vidsynth.training.init_weights import DISCRIMINATOR_FILE


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


EPILOG = """\b
Examples:
  vidsynth convert network-snapshot-004000.pkl models/digan-ucf101            (official DIGAN)
  vidsynth convert ffhq-256.pkl models/ffhq256 --from stylegan2-ada           (StyleGAN2-ADA generator)
  vidsynth convert modelR_epoch_5.pth models/mocogan-ucf --pca pca_stats/ucf_101 --image-generator ucf-256.pt
  vidsynth convert stylegan2-ffhq-config-f.pt models/ffhq1024                 (rosinality .pt)
  vidsynth convert ucf-256-generator.pt models/ucf256 --size 256 --channel-multiplier 2
"""


@click.command("convert", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path())
@click.option("--from", "fmt", type=click.Choice(("auto",) + FORMATS), default="auto",
              help="Source format; auto tells them apart by content.")
@click.option("--force", is_flag=True, help="Overwrite the model files of a non-empty DST (never a run folder).")
@click.option("--pca", type=click.Path(file_okay=False), default=None,
              help="mocogan-hd: folder with pca_comp.npy and pca_stdev.npy (get_stats_pca.py's --save_pca_path).")
@click.option("--image-generator", type=click.Path(), default=None,
              help="mocogan-hd: the rosinality .pt image generator (or an exported image-generator folder).")
@click.option("--motion-scale", type=float, default=0.2,
              help="mocogan-hd: lambda of the motion residual (the official --w_residual; 0.2 in every release).")
@click.option("--train-frames", type=int, default=16,
              help="digan: frames of the training clips, which span t in [0, 1] (128 for the paper's long TaiChi "
              "model); sets the frame spacing of generate / vidsynth.load.")
@click.option("--size", type=int, default=None, help="rosinality: output resolution (default: inferred).")
@click.option("--channel-multiplier", type=int, default=None,
              help="rosinality: 2 for config F (MoCoGAN-HD's models), 1 for config E (default: inferred).")
@click.option("--n-mlp", type=int, default=None, help="rosinality: mapping-network depth (default: inferred).")
def convert_command(src, dst, fmt, force, pca, image_generator, motion_scale, train_frames, size, channel_multiplier,
                    n_mlp):
    """Import the checkpoint SRC of DIGAN, StyleGAN2-ADA, MoCoGAN-HD or rosinality StyleGAN2 into the model folder DST.

    No code from SRC is ever run: NVIDIA-style .pkl files go through a restricted unpickler that keeps
    only tensors and network state, .pt/.pth files are read with torch.load(weights_only=True). Every
    key and shape is checked; a mismatch is reported key by key and nothing is written. DST must be new
    or empty (or --force); a training run folder is never written into.
    """
    convert_checkpoint(src, dst, fmt, size=size, channel_multiplier=channel_multiplier, n_mlp=n_mlp, pca=pca,
                       image_generator=image_generator, motion_scale=motion_scale, train_frames=train_frames,
                       force=force, log=click.echo)

