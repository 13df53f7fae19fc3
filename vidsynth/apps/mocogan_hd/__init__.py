"""MoCoGAN-HD applications (one module each): long videos (``long_video``), content/motion grids
(``content_motion``), video prediction from a real frame (``predict``), principal-direction videos
(``pca_explore``), motion diversity (``diversity``); PSNR/SSIM in ``quality`` (the projection's loss plug-ins are shared with DIGAN in
``vidsynth.apps.projection``); the CLI in ``cli``
(``vidsynth mocogan ...``) and the CPU demo in ``demo``. All take a ``MoCoGANHDSampler``
(``vidsynth.load(run_or_model_folder)``)."""
from vidsynth.apps.mocogan_hd.content_motion import content_motion_grid, same_content_videos, same_motion_videos
from vidsynth.apps.mocogan_hd.diversity import diversity_report, per_pixel_std
from vidsynth.apps.mocogan_hd.long_video import interpolate_trajectory, interpolated_videos, unroll_videos
from vidsynth.apps.mocogan_hd.pca_explore import pca_direction_videos
from vidsynth.apps.mocogan_hd.predict import MoCoGANHDProjection, predict_video, project_image
from vidsynth.apps.mocogan_hd.quality import psnr, video_scores
from vidsynth.apps.projection import image_ssim as ssim      # the per-image SSIM the projection optimises

__all__ = ["MoCoGANHDProjection", "content_motion_grid", "diversity_report", "interpolate_trajectory",
           "interpolated_videos", "pca_direction_videos", "per_pixel_std", "predict_video", "project_image", "psnr", "same_content_videos",
           "same_motion_videos", "ssim", "unroll_videos", "video_scores"]


def __getattr__(name: str):
    """Deprecated names (gone in 0.3): ``motion_diversity`` (warns when called) -> :func:`diversity_report`,
    ``Projection`` -> :class:`MoCoGANHDProjection`."""
    if name == "Projection":
        return MoCoGANHDProjection
    if name == "motion_diversity":
        from vidsynth.apps.mocogan_hd.diversity import motion_diversity

        return motion_diversity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
