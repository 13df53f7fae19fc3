import sys

import numpy as np
import pytest
import torch

from vidsynth.data import open_dataset
from vidsynth.data.synthetic import BUILTINS, SyntheticSource, render_scene, render_shapes


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_deterministic_under_seed_any_size(name):
    for res, frames in [(32, 16), (17, 3), (64, 1), (128, 8)]:
        a = open_dataset(f"builtin:{name}", res, frames, seed=5)
        b = open_dataset(f"builtin:{name}", res, frames, seed=5)
        ca, la = a.clip(7, 11)
        cb, _ = b.clip(7, 11)
        assert ca.shape == (3, frames, res, res) and ca.dtype == torch.uint8 and la == -1
        assert torch.equal(ca, cb)
    other_seed = open_dataset(f"builtin:{name}", 32, 8, seed=6).clip(7, 11)[0]
    other_video = open_dataset(f"builtin:{name}", 32, 8, seed=5).clip(8, 11)[0]
    same = open_dataset(f"builtin:{name}", 32, 8, seed=5).clip(7, 11)[0]
    assert not torch.equal(same, other_seed) and not torch.equal(same, other_video)


@pytest.mark.parametrize("render", [render_shapes, render_scene])
def test_frames_are_consistent_across_clips_and_strides(render):
    whole = render(0, 3, np.arange(40), 32)
    assert np.array_equal(render(0, 3, np.arange(10, 40, 3), 32), whole[10:40:3])
    ds = open_dataset(f"builtin:{render.__name__[7:]}", 32, 5, stride=3, seed=0)
    clip = ds.clip(3, 10)[0].permute(1, 2, 3, 0).numpy()  # [T, R, R, 3]
    assert np.array_equal(clip, whole[10:25:3])


@pytest.mark.parametrize("render", [render_shapes, render_scene])
def test_motion_visible_and_smooth(render):
    for i in range(8):
        v = render(0, i, np.arange(16), 32).astype(np.float64)
        step = np.abs(np.diff(v, axis=0)).mean(axis=(1, 2, 3))  # mean change per frame
        assert step.min() > 0.2, "something must move between consecutive frames"
        far = np.abs(v[8:] - v[0]).mean()
        assert far > step.mean(), "motion accumulates: frames far apart differ more than neighbours"


def test_shapes_anti_aliased_and_bouncing():
    """Shapes: soft (anti-aliased) edges, the documented background colour range and bright sprites
    (guards the float -> uint8 pixel scale), sprites that stay in the frame."""
    v = render_shapes(0, 0, np.arange(128), 32)
    # soft edges: intermediate values exist besides background and sprite colours
    assert len(np.unique(v[0].reshape(-1, 3), axis=0)) > 6
    assert v.shape == (128, 32, 32, 3)
    # pixel scale: the background colours are uniform(0.05, 0.45) x 255 (13..115 after rounding) and the
    # sprites bright, so a wrong scale or a uint8 wrap-around shows (uint8 >= 0 would hold whatever happens)
    for video in range(4):
        w = render_shapes(0, video, np.arange(4), 32)
        corners = np.concatenate([w[:, 0, 0], w[:, 0, -1], w[:, -1, 0], w[:, -1, -1]])   # [16, 3]
        bg = np.median(corners, axis=0)
        assert ((13 <= bg) & (bg <= 115)).all(), bg
        assert w.max() > 150
    # sprites stay in the frame (bounce): no frame is just background
    bg = v[:, 0, 0]
    assert all((np.abs(f.astype(int) - b).sum(-1) > 30).mean() > 0.02 for f, b in zip(v, bg))


def python_calls(fn) -> int:
    """Python-level calls (Python functions and builtins) made while ``fn`` runs."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_render_is_vectorised(name):
    """What keeps a clip in the sub-millisecond range (speed itself is the bench's, never a test's): every
    clip is a fixed number of array operations, whatever its resolution and length (no loop over frames or
    pixels in Python), from the dataset's ``clip`` down to the renderer."""
    counts = set()
    for res, frames in [(32, 4), (32, 16), (128, 16), (64, 64)]:
        ds = open_dataset(f"builtin:{name}", res, frames, seed=3)
        ds.clip(5, 0)                                           # first call: lazy imports, caches
        counts.add(python_calls(lambda: ds.clip(5, 0)))
    assert len(counts) == 1 and 0 < counts.pop() < 100


def test_scene_evaluates_sines_per_row_and_column(monkeypatch):
    """``render_scene``'s plane waves via ``sin(u + v) = sin u cos v + cos u sin v``: K x frames x R sines and
    cosines of each axis, not K x frames x R x R (one per pixel)."""
    evaluated = {"sin": 0, "cos": 0}
    for fn in evaluated:
        def counting(x, _f=getattr(np, fn), _name=fn):
            evaluated[_name] += np.size(x)
            return _f(x)
        monkeypatch.setattr(np, fn, counting)
    k, frames, res = 5, 16, 128
    render_scene(0, 3, np.arange(frames), res)
    # u and v: K x frames x R each; plus the K wave directions and the one pan direction
    per_axis = 2 * k * frames * res + k + 1
    assert evaluated == {"sin": per_axis, "cos": per_axis}


def test_unknown_builtin():
    from vidsynth.errors import DatasetError

    with pytest.raises(DatasetError, match="builtin:shapes"):
        open_dataset("builtin:nope", 32, 16)
    with pytest.raises(DatasetError, match="129"):
        open_dataset("builtin:shapes", 32, 129)
    assert len(SyntheticSource("scene", num_videos=10)) == 10
