"""``vidsynth convert SRC DST``: import a DIGAN / StyleGAN2-ADA / MoCoGAN-HD / rosinality checkpoint
(``vidsynth.importers.convert``)."""
from __future__ import annotations

import click

from vidsynth.importers.detect import FORMATS

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
    from vidsynth.importers.convert import convert_checkpoint

    convert_checkpoint(src, dst, fmt, size=size, channel_multiplier=channel_multiplier, n_mlp=n_mlp, pca=pca,
                       image_generator=image_generator, motion_scale=motion_scale, train_frames=train_frames,
                       force=force, log=click.echo)

