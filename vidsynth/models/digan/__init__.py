"""DIGAN: dynamics-aware implicit video GAN (generator, discriminators)."""
from vidsynth.models.digan.discriminator import DIGANDiscriminator, frame_labels, motion_input, pair_frames
from vidsynth.models.digan.generator import DIGANGenerator

__all__ = ["DIGANGenerator", "DIGANDiscriminator", "motion_input", "pair_frames", "frame_labels"]
