"""Training clip sampling: per_video (each video equally likely) vs per_clip (each clip window, official)."""
import numpy as np
import pytest

from vidsynth.data import open_dataset
from vidsynth.errors import ConfigError, DatasetError


class Lengths:
    """A source stand-in with two videos of 20 and 200 frames (ClipDataset only needs num_frames here)."""
    spec, skipped, label_json = "stub", [], None

    def __len__(self):
        return 2

    def num_frames(self, i):
        return (20, 200)[i]


def _share_of_long_video(mode):
    from vidsynth.data.clips import ClipDataset

    ds = ClipDataset(Lengths(), resolution=8, frames=16, clip_sampling=mode)
    keys = [k for step in range(200) for k in ds.clip_keys(step, 8, seed=0)]
    assert all(0 <= s <= ds.num_frames(v) - 16 for v, s, _ in keys)
    return np.mean([v == 1 for v, _, _ in keys]), keys


def test_per_clip_weights_videos_by_their_windows():
    per_video, _ = _share_of_long_video("per_video")
    per_clip, keys = _share_of_long_video("per_clip")
    # 1600 draws: per_video ~ 0.5; per_clip = 185 / 190 windows = 0.974 (binomial std 0.004 -> 0.03 margin)
    assert abs(per_video - 0.5) < 0.05 and abs(per_clip - 185 / 190) < 0.03
    assert len({s for v, s, _ in keys if v == 1}) > 150                      # starts spread over the long video


def test_same_keys_for_same_step_and_config_presets():
    from vidsynth.config import method_config

    a, _ = _share_of_long_video("per_clip")
    b, _ = _share_of_long_video("per_clip")
    assert a == b
    assert method_config("digan", "paper128").clip_sampling == "per_clip"       # official DIGAN loaders
    assert method_config("digan", "tiny").clip_sampling == "per_video"
    assert method_config("mocogan-hd", "paper").clip_sampling == "per_video"    # official: random start, random video


def test_bad_mode_is_refused():
    with pytest.raises(DatasetError, match="clip_sampling must be one of"):
        open_dataset("builtin:shapes", 16, 4, clip_sampling="per_frame")
    from vidsynth.config import method_config, validate_digan

    cfg = method_config("digan", "test")
    cfg.clip_sampling = "uniform"
    with pytest.raises(ConfigError, match="clip_sampling must be per_video or per_clip"):
        validate_digan(cfg)
