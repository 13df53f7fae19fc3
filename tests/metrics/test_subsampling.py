"""``_subsample{k}f`` feeds every k-th frame to the feature network, for real and generated clips alike.

Every frame here carries its own index as its pixel value, and a recording stand-in for the I3D reads
the indices back from what it is given, so the test sees exactly which frames each side used.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from vidsynth.metrics import evaluate

STEP = 6          # pixel value of frame i is STEP * i: fits uint8 for i < 43; mp4 rounding (<= 2) < STEP / 2


def index_video(n: int, frames: int, offset: int = 0, size: int = 8) -> torch.Tensor:
    """Float videos in [-1, 1] ``[n, 3, frames, size, size]`` whose frame i holds STEP * (offset + i)."""
    values = (torch.arange(frames) + offset).float() * STEP / 127.5 - 1
    return values.view(1, 1, frames, 1, 1).expand(n, 3, frames, size, size).clone()


def read_indices(videos: torch.Tensor) -> list[list[int]]:
    """Frame indices a batch carries (mean of each frame; mp4 rounding is < STEP / 2)."""
    means = (videos.float().mean(dim=(1, 3, 4)) + 1) * 127.5 / STEP         # [B, T]
    return means.round().long().tolist()


class IndexSampler:
    resolution = 8

    def sample(self, n, frames=16, seed=0, batch_size=8):
        return index_video(n, frames)


class IndexDataset:
    """ClipDataset-like: ``length``-frame videos whose frame j holds index j; clips of ``frames`` frames
    from a random start."""

    fingerprint = "index-dataset-v1"

    def __init__(self, frames, num_videos=3, length=40):
        self.frames, self.num_videos, self.length = frames, num_videos, length

    def num_frames(self, i):
        return self.length

    def clip(self, video_index, start, flip=False):
        video = ((index_video(1, self.length)[0] + 1) * 127.5).round().to(torch.uint8)
        return video[:, start:start + self.frames], 0


class RecordingI3D:
    """Stands in for I3DLogits: remembers the frame indices of every clip, per side ("real" / "fake",
    set by the evaluator wrappers in the fixture); features = per-frame means."""

    seen: dict[str, list[list[int]]] = {}
    side = "?"

    def __init__(self, device="cpu", path=None, resize="tf1_bilinear"):
        self.name = "recording"

    def __call__(self, videos):
        RecordingI3D.seen.setdefault(RecordingI3D.side, []).extend(read_indices(videos))
        feats = videos.float().mean(dim=(1, 3, 4))                                  # [B, T]
        return feats + 0.01 * torch.arange(feats.shape[0])[:, None]                # distinct clips


@pytest.fixture
def recording(monkeypatch):
    import vidsynth.metrics.features as features

    import vidsynth.metrics.evaluation as evaluation

    def on_side(side, method):
        def wrapped(self, *args, **kwargs):
            RecordingI3D.side = side
            try:
                return method(self, *args, **kwargs)
            finally:
                RecordingI3D.side = "?"
        return wrapped

    RecordingI3D.seen = {}
    monkeypatch.setattr(features, "I3DLogits", RecordingI3D)
    for side in ("real", "fake"):
        method = getattr(evaluation._Evaluator, f"{side}_features")
        monkeypatch.setattr(evaluation._Evaluator, f"{side}_features", on_side(side, method))
    return RecordingI3D


def test_subsample_takes_every_kth_frame_of_generated_and_real_clips(recording):
    """fvd4_36f_subsample4f: 36 frames, every 4th -> frames 0, 4, ..., 32 of every generated clip and
    start, start + 4, ..., start + 32 of every real clip (9 frames each side)."""
    [res] = evaluate(["fvd4_36f_subsample4f"], real=IndexDataset(36, length=40), fake=IndexSampler(),
                     progress=False, use_cache=False)
    assert res["protocol"]["frames_used"] == 9
    fake, real = recording.seen["fake"], recording.seen["real"]
    assert len(fake) == 4 and set(recording.seen) == {"fake", "real"}
    assert len(real) == 4
    assert all(clip == list(range(0, 36, 4)) for clip in fake), fake
    for clip in real:
        assert np.diff(clip).tolist() == [4] * 8 and 0 <= clip[0] <= 40 - 36, clip
    assert len({clip[0] for clip in real}) > 1                  # random starts: not every clip from frame 0


def test_subsample_of_a_folder_of_generated_videos(recording, tmp_path):
    """The same for generated clips read from mp4 files: frames 0, 3, ..., 24 of each file."""
    from vidsynth.video.write import to_uint8_frames, write_mp4

    for i in range(3):
        write_mp4(tmp_path / f"{i}.mp4", to_uint8_frames(index_video(1, 30, size=16)[0]))
    [res] = evaluate(["fvd3_27f_subsample3f"], real=IndexDataset(27, length=30), fake=str(tmp_path),
                     progress=False, use_cache=False)
    fake = recording.seen["fake"]
    assert len(fake) == 3
    assert all(clip == list(range(0, 27, 3)) for clip in fake), fake
