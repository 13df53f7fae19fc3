"""Video GAN metrics: FVD/KVD (Kinetics I3D), video IS, ACD, per-frame FID/KID, PSNR/SSIM, motion diversity.

Public API (imported lazily so ``import vidsynth.metrics`` stays cheap):
- ``evaluate(metrics, real, fake, device="cpu", num_runs=1, ...) -> list[dict]``
- ``frechet_distance(mu1, sigma1, mu2, sigma2) -> float``; ``kernel_distance(x, y)``; ``mmd2``
- ``load_i3d(device="cpu")``: ``[B, 3, T, 224, 224]`` in [-1, 1] -> Kinetics-400 logits ``[B, 400]``
- ``parse_protocol(name)``; ``FeatureStats``; ``inception_score``; ``average_content_distance``;
  ``psnr``, ``ssim``; ``motion_diversity``; ``resize_video``.
See docs/metrics.md for the protocols and how to compare with published numbers.
"""
import importlib

_EXPORTS = {
    "evaluate": "vidsynth.metrics.evaluation",
    "frechet_distance": "vidsynth.metrics.fvd",
    "kernel_distance": "vidsynth.metrics.kvd",
    "mmd2": "vidsynth.metrics.kvd",
    "load_i3d": "vidsynth.metrics.i3d",
    "parse_protocol": "vidsynth.metrics.protocols",
    "Protocol": "vidsynth.metrics.protocols",
    "FeatureStats": "vidsynth.metrics.stats",
    "inception_score": "vidsynth.metrics.inception_score",
    "average_content_distance": "vidsynth.metrics.acd",
    "psnr": "vidsynth.metrics.psnr_ssim",
    "ssim": "vidsynth.metrics.psnr_ssim",
    "motion_diversity": "vidsynth.metrics.motion_diversity",
    "resize_video": "vidsynth.metrics.resize",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'vidsynth.metrics' has no attribute {name!r}")
