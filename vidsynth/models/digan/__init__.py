"""DIGAN: dynamics-aware implicit video GAN (generator with its motion generator, image and motion discriminators)."""
from vidsynth.models.digan.discriminators import (DIGANDiscriminator, ImageDiscriminator, MotionDiscriminator,
                                                  frame_labels, motion_input, pair_frames)
from vidsynth.models.digan.generator import DIGANGenerator
from vidsynth.models.digan.motion import DIGANMotionGenerator

__all__ = ["DIGANGenerator", "DIGANMotionGenerator", "DIGANDiscriminator", "ImageDiscriminator", "MotionDiscriminator",
           "motion_input", "pair_frames", "frame_labels"]
