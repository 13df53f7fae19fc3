"""ClipDataset contract: keys, sharding, batches with workers, errors."""
import pickle

import numpy as np
import pytest
import torch

from vidsynth.data import iterate_batches, open_dataset
from vidsynth.errors import DatasetError
from vidsynth.video.write import write_mp4

from .helpers import pattern


@pytest.fixture(scope="module")
def shapes():
    return open_dataset("builtin:shapes", 16, 4, stride=2, xflip=True)


def test_clip_keys_are_pure(shapes):
    a = shapes.clip_keys(5, 8, seed=3)
    assert a == shapes.clip_keys(5, 8, seed=3)
    assert a == open_dataset("builtin:shapes", 16, 4, stride=2, xflip=True).clip_keys(5, 8, seed=3)
    assert a != shapes.clip_keys(6, 8, seed=3) and a != shapes.clip_keys(5, 8, seed=4)
    for v, s, f in a:
        assert 0 <= v < shapes.num_videos and 0 <= s <= 128 - 7 and isinstance(f, bool)
    flips = [f for step in range(20) for _, _, f in shapes.clip_keys(step, 8, 0)]
    assert 0.3 < np.mean(flips) < 0.7
    plain = open_dataset("builtin:shapes", 16, 4, stride=2)  # no xflip: same clips, never flipped
    assert [k[:2] for k in plain.clip_keys(5, 8, 3)] == [k[:2] for k in a]
    assert not any(f for _, _, f in plain.clip_keys(5, 8, 3))


def test_rank_sharding_covers_global_batch(shapes):
    full = shapes.clip_keys(7, 12, seed=1)
    for world in (1, 2, 3, 4):
        parts = [shapes.clip_keys(7, 12, seed=1, rank=r, world_size=world) for r in range(world)]
        assert all(len(p) == 12 // world for p in parts)
        assert sum(parts, []) == full
    with pytest.raises(ValueError):
        shapes.clip_keys(0, 10, 0, world_size=4)
    with pytest.raises(ValueError):
        shapes.clip_keys(0, 8, 0, rank=2, world_size=2)


def test_getitem_equals_clip_and_bounds(shapes):
    x, y = shapes[(3, 10, True)]
    assert torch.equal(x, shapes.clip(3, 10, True)[0]) and y == -1
    assert torch.equal(x, shapes.clip(3, 10)[0].flip(-1))
    with pytest.raises(IndexError):
        shapes.clip(0, 128 - 6)  # the clip would run past the end
    with pytest.raises(IndexError):
        shapes.clip(shapes.num_videos, 0)


def test_starts_cover_short_videos(tmp_path):
    write_mp4(tmp_path / "a.mp4", pattern(9, 16, 16))
    ds = open_dataset(tmp_path, 16, 4, stride=2)  # span 7: starts 0, 1, 2
    starts = {s for step in range(30) for _, s, _ in ds.clip_keys(step, 4, 0)}
    assert starts == {0, 1, 2}


@pytest.mark.parametrize("spec", ["builtin:scene", "video_folder"])
def test_iterate_batches_same_for_any_num_workers(tmp_path, spec):
    if spec == "video_folder":
        for k in range(3):
            write_mp4(tmp_path / f"v{k}.mp4", pattern(12, 24, 24, seed=k))
        spec = tmp_path
    ds = open_dataset(spec, 16, 4, xflip=True)
    runs = [list(iterate_batches(ds, 6, seed=2, start_step=3, num_workers=w, num_steps=3)) for w in (0, 2)]
    for (xa, ya), (xb, yb) in zip(*runs):
        assert xa.shape == (6, 3, 4, 16, 16) and xa.dtype == torch.uint8 and ya.dtype == torch.int64
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    # batch k of the iterator is the clips of keys(start_step + k)
    expected = torch.stack([ds.clip(*key)[0] for key in ds.clip_keys(4, 6, 2)])
    assert torch.equal(runs[0][1][0], expected)
    # ranks: each yields its slice of the same global batch
    halves = [next(iterate_batches(ds, 6, 2, start_step=3, rank=r, world_size=2))[0] for r in (0, 1)]
    assert torch.equal(torch.cat(halves), runs[0][0][0])


def test_dataset_pickles(tmp_path):
    write_mp4(tmp_path / "a.mp4", pattern(8, 16, 16))
    ds = open_dataset(tmp_path, 8, 4)
    ds.clip(0, 0)
    clone = pickle.loads(pickle.dumps(ds))
    assert len(clone.source._cache) == 0  # workers do not get a copy of the cache
    assert torch.equal(clone.clip(0, 1)[0], ds.clip(0, 1)[0])


def test_errors_are_actionable(tmp_path):
    with pytest.raises(DatasetError, match="not found.*mp4"):
        open_dataset(tmp_path / "missing", 32, 8)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no usable videos.*frame folders"):
        open_dataset(tmp_path / "empty", 32, 8)
    write_mp4(tmp_path / "short" / "a.mp4", pattern(5, 16, 16))
    (tmp_path / "short" / "b.webm").write_bytes(b"junk")
    with pytest.warns(UserWarning), pytest.raises(DatasetError) as err:
        open_dataset(tmp_path / "short", 32, 8, stride=2)
    msg = str(err.value)
    assert "2 found, all skipped" in msg and "a.mp4" in msg and "only 5 frames; clips need 15" in msg
    assert "b.webm" in msg and "--frames" in msg
    with pytest.raises(DatasetError, match="single video file"):
        open_dataset(tmp_path / "short" / "a.mp4", 32, 2)
    with pytest.raises(DatasetError, match="frames must be >= 1"):
        open_dataset("builtin:shapes", 32, 0)
