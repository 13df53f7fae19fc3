"""MoCoGAN-HD (Tian et al., ICLR 2021): videos as trajectories in a frozen image generator's latent space.

See docs/mocogan_hd.md. One concept per module:
``pca`` (latent principal directions), ``motion_generator`` (LSTM G_M), ``video_discriminator`` (D_V),
``image_discriminator`` (D_I), ``contrastive`` (InfoNCE, EMA, memory bank), ``augment``, ``losses``,
``video_noise`` (image noise maps per video), ``official_keys`` (key map from the official code).
"""
from vidsynth.models.mocogan_hd.augment import (contrastive_augment, random_affine, random_color, random_cutout,
                                                random_flip)
from vidsynth.models.mocogan_hd.contrastive import (ContrastiveImageDiscriminator, MemoryBank, feature_matching_loss,
                                                    infonce_loss, two_view_contrastive_loss)
from vidsynth.models.mocogan_hd.image_discriminator import BigGANDiscriminator, PairImageDiscriminator
from vidsynth.models.mocogan_hd.losses import (LossWeights, StepDraws, discriminator_losses, freeze_image_generator,
                                               generator_losses)
from vidsynth.models.mocogan_hd.motion_generator import (MotionGenerator, MotionOutput,
                                                         mutual_information_loss, render_latents)
from vidsynth.models.mocogan_hd.pca import LatentPCA, fit_latent_pca
from vidsynth.models.mocogan_hd.video_discriminator import VideoDiscriminator
from vidsynth.models.mocogan_hd.video_noise import VIDEO_NOISE_MODES

__all__ = [
    "BigGANDiscriminator", "ContrastiveImageDiscriminator", "LatentPCA", "LossWeights",
    "MemoryBank", "MotionGenerator", "MotionOutput", "PairImageDiscriminator", "StepDraws", "VIDEO_NOISE_MODES",
    "VideoDiscriminator",
    "contrastive_augment", "discriminator_losses", "feature_matching_loss", "fit_latent_pca",
    "freeze_image_generator", "generator_losses", "infonce_loss", "mutual_information_loss", "random_affine",
    "random_color", "random_cutout", "random_flip", "render_latents", "two_view_contrastive_loss",
]
