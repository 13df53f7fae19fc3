"""MoCoGAN-HD applications (one module each): long videos (``long_video``), content/motion grids
(``content_motion``), video prediction from a real frame (``predict``), principal-direction videos
(``pca_explore``), motion diversity (``diversity``); PSNR/SSIM in ``quality``; the CLI in ``cli``
(``vidsynth mocogan ...``) and the CPU demo in ``demo``. All take a ``MoCoGANHDSampler``
(``vidsynth.load(run_or_model_folder)``)."""
from vidsynth.apps.mocogan_hd.content_motion import content_motion_grid, same_content_videos, same_motion_videos
from vidsynth.apps.mocogan_hd.diversity import motion_diversity, per_pixel_std
from vidsynth.apps.mocogan_hd.long_video import interpolate_trajectory, interpolated_videos, unroll_videos
from vidsynth.apps.mocogan_hd.pca_explore import pca_direction_videos
from vidsynth.apps.mocogan_hd.predict import Projection, predict_video, project_image
from vidsynth.apps.mocogan_hd.quality import psnr, ssim, video_scores

__all__ = ["Projection", "content_motion_grid", "interpolate_trajectory", "interpolated_videos", "motion_diversity",
           "pca_direction_videos", "per_pixel_std", "predict_video", "project_image", "psnr", "same_content_videos",
           "same_motion_videos", "ssim", "unroll_videos", "video_scores"]
