"""``vidsynth convert``: import an external StyleGAN2 checkpoint into the vidsynth exported-model format."""
from __future__ import annotations

import click

from vidsynth.importers.rosinality import import_rosinality
from vidsynth.export import save_model


def convert_checkpoint(src, dst, size=None, channel_multiplier=None, n_mlp=None, log=print):
    """Read a rosinality ``.pt`` (strictly checked), write ``dst/config.json`` + ``dst/model.safetensors``."""
    model, kwargs = import_rosinality(src, resolution=size, channel_multiplier=channel_multiplier,
                                      n_mlp=n_mlp, log=log)
    folder = save_model(model, dst, kwargs, {"source": str(src)})
    log(f"wrote {folder}")
    return folder


@click.command("convert")
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--size", type=int, default=None, help="Output resolution (default: inferred from the weights).")
@click.option("--channel-multiplier", type=int, default=None,
              help="2 for config F (MoCoGAN-HD's models), 1 for config E (default: inferred).")
@click.option("--n-mlp", type=int, default=None, help="Mapping-network depth (default: inferred).")
def convert_command(src, dst, size, channel_multiplier, n_mlp):
    """Import a rosinality stylegan2-pytorch checkpoint SRC (.pt) into the model folder DST.

    The file is read with torch.load(weights_only=True) (never runs code from it). Every key and shape
    is checked; a mismatch is reported key by key and nothing is written.

    \b
    Examples:
      vidsynth convert stylegan2-ffhq-config-f.pt models/ffhq1024
      vidsynth convert ucf-256-generator.pt models/ucf256 --size 256 --channel-multiplier 2
    """
    convert_checkpoint(src, dst, size=size, channel_multiplier=channel_multiplier, n_mlp=n_mlp, log=click.echo)
