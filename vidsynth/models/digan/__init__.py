"""DIGAN: dynamics-aware implicit video GAN (generator, discriminators)."""
from vidsynth.models.digan.discriminator import DIGANDiscriminator, motion_input
from vidsynth.models.digan.generator import DIGANGenerator

__all__ = ["DIGANGenerator", "DIGANDiscriminator", "motion_input"]
