"""Protocol presets named after the papers whose FVD numbers users compare with.

A preset fixes how a paper's own evaluation code computed its numbers: which metrics (clip counts
and frames), how frames are resized to the I3D's 224x224, how real clips are drawn (one random clip
per video, or uniformly over all clip windows), the temporal strides and how many runs are averaged.
Explicit options (``resize=``, ``real_stride=``, ``fake_stride=``, ``clip_sampling=``, ``num_runs=``,
metric names) override a preset's values. docs/metrics.md ("Comparing with a paper") cites, for every
value, the file of the official code it comes from.

``None`` for a stride means "not fixed by the paper": the run's own training stride when the
generated videos come from a vidsynth model, else 1.
"""
from __future__ import annotations

from dataclasses import dataclass

from vidsynth.errors import ConfigError


@dataclass(frozen=True)
class ProtocolPreset:
    name: str
    metrics: str                 # default metric names (counts and frames), comma-separated
    resize: str                  # resize rule to 224 (vidsynth/metrics/resize.py)
    clip_sampling: str           # real clips: per_video | per_clip
    num_runs: int                # generated sets averaged (mean and std reported)
    real_stride: int | None = None  # source-frame step inside a real clip (None: the model's / 1)
    fake_stride: int = 1         # step between the generated frames used
    note: str = ""               # what still differs from the paper's code


# Defaults when no preset is named: the original TF FVD code's resize, one clip per visited video.
DEFAULT = ProtocolPreset("vidsynth", "fvd2048_16f", "tf1_bilinear", "per_video", 1)

PRESETS: dict[str, ProtocolPreset] = {
    # universome/stylegan-v: src/metrics/metric_main.py (fvd2048_16f: 2048/2048, 16 frames, no xflip),
    # src/metrics/frechet_video_distance.py (TorchScript I3D, resize=True, PyTorch rule), real clips
    # from src/training/dataset.py VideoFramesFolderDataset: one clip per video, random offset.
    "stylegan-v": ProtocolPreset(
        "stylegan-v", "fvd2048_16f", "torch_bilinear", "per_video", 1,
        note="StyleGAN-V takes the first 2048 videos in sorted order; vidsynth a seeded random 2048"),
    # sihyun-yu/digan: src/scripts/compute_fvd_kvd.py (2048 videos, 10 trials, FVD and KVD, shuffled
    # loader over clips), src/scripts/fvd/fvd.py (PyTorch bilinear to 224, [-1, 1]),
    # src/training/dataset.py (UCF101Wrapper: every 16-frame clip; make_imageclip_dataset: chunks).
    "digan": ProtocolPreset(
        "digan", "fvd2048_16f,kvd2048_16f", "torch_bilinear", "per_clip", 10,
        note="DIGAN's I3D is VideoGPT's i3d_pretrained_400.pt, not the TF-Hub network: pass it as TorchScript "
             "with --i3d to match exactly; TaiChi uses --real-stride 4 (stride-4 chunks)"),
    # snap-research/MoCoGAN-HD ships no FVD code; its authors used google-research's
    # frechet_video_distance.py (MoCoGAN-HD issue #7): TF1 resize_bilinear; 2048 videos (paper §4).
    # Its training loader (data/video_dataset.py) draws a random start in a random video.
    "mocogan-hd": ProtocolPreset(
        "mocogan-hd", "fvd2048_16f", "tf1_bilinear", "per_video", 1,
        note="the paper's real-clip sampling is not published; this follows its training loader"),
    # songweige/TATS: scripts/sample_vqgan_transformer_short_videos.py (2048 real clips from the shuffled
    # train loader, 2048 fake, FVD and KVD), tats/fvd/fvd.py (F.interpolate bilinear to 224, [-1, 1]),
    # tats/data.py (VideoClips: every 16-frame window; sample_every_n_frames = our --real-stride).
    "tats": ProtocolPreset(
        "tats", "fvd2048_16f,kvd2048_16f", "torch_bilinear", "per_clip", 1,
        note="TATS's I3D is i3d_pretrained_400.pt (pass it as TorchScript with --i3d); set --real-stride to "
             "its sample_every_n_frames"),
}


def get_preset(name: str | None) -> ProtocolPreset:
    """The preset called ``name`` (None: vidsynth's defaults)."""
    if name is None:
        return DEFAULT
    key = str(name).strip().lower()
    if key not in PRESETS:
        raise ConfigError(f"unknown protocol {name!r}: choose from {', '.join(PRESETS)}")
    return PRESETS[key]
