import pytest

from vidsynth.config import LoopConfig, method_config


@pytest.fixture
def tiny_cfg():
    """The 16 px / 4 frame test preset."""
    return method_config("digan", "test")


def loop_config(**kw):
    base = dict(data="builtin:shapes", kimg=0.016, seed=0, snapshot_kimg=0, num_workers=0, device="cpu",
                sample_videos=4, sample_frames=4)
    base.update(kw)
    return LoopConfig(**base)
