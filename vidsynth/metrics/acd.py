"""Average Content Distance (MoCoGAN, Tulyakov et al. 2018): how much a video's content drifts.

For each video, the mean L2 distance between the features of consecutive frames; averaged over
videos. Lower means more consistent content (identity, colour). MoCoGAN used the mean colour of the
moving shape (Shape Motion) and OpenFace features (faces); vidsynth's default is per-frame static
I3D features (features.I3DFrameFeatures), ``mean_color`` is the pixel-level alternative. The
feature network is always named in the result, as numbers from different ones are not comparable.
"""
from __future__ import annotations

import numpy as np


def average_content_distance(frame_features) -> float:
    """``[N, T, D]`` per-frame features -> mean over videos of mean ||f_t+1 - f_t||."""
    f = np.asarray(frame_features, np.float64)
    if f.ndim != 3 or f.shape[1] < 2:
        raise ValueError(f"need per-frame features [N, T>=2, D], got {f.shape}")
    return float(np.linalg.norm(np.diff(f, axis=1), axis=2).mean())
