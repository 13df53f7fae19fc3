"""Decoding only the frames a step uses: video files read at frame indices (seeking), zipped frame folders
read member by member through the frame cache, DIGAN's loader decoding 2 frames per clip, seeded workers."""
import dataclasses
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import vidsynth.video.read as video_read
from vidsynth.config import LoopConfig, method_config
from vidsynth.data import iterate_batches, open_dataset
from vidsynth.data import sources
from vidsynth.data.cache import ByteLRU
from vidsynth.data.clips import ClipDataset, worker_seed
from vidsynth.utils.workers import default_num_workers
from vidsynth.data.storage import DirStorage
from vidsynth.data.videos import probe_video
from vidsynth.data.zipdata import ZipStorage
from vidsynth.training.digan import DIGANTrainer
from vidsynth.video.read import SEEK_MIN_FRAME, read_video

from .helpers import pattern, write_lossless_h264

N = 160  # frames per test video: long enough for two seeks (SEEK_MIN_FRAME is 64)
# (file, variable frame rate?) -- frame gaps of 10..100 ms make the VFR file; both lossless, keyframe every 24
KINDS = {"cfr": None, "vfr": np.random.default_rng(0).choice([10, 33, 50, 100], N)}
WANTED = [[3, 150], [SEEK_MIN_FRAME, 65, 140], [10, 11, 12], [150, 3, 3, 90], [0, N - 1]]


class CountingContainer:
    """Wraps a PyAV input container and counts the frames its decoder hands out and the seeks."""
    decoded = 0
    seeks = 0

    def __init__(self, container):
        self.c = container

    def __enter__(self):
        self.c.__enter__()
        return self

    def __exit__(self, *exc):
        return self.c.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.c, name)

    def seek(self, *a, **kw):
        CountingContainer.seeks += 1
        return self.c.seek(*a, **kw)

    def decode(self, *a, **kw):
        for frame in self.c.decode(*a, **kw):
            CountingContainer.decoded += 1
            yield frame


@pytest.fixture
def counting(monkeypatch):
    opened = video_read.open_video
    monkeypatch.setattr(video_read, "open_video", lambda source: CountingContainer(opened(source)))
    CountingContainer.decoded = CountingContainer.seeks = 0
    return CountingContainer


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    frames = pattern(N, 16, 16)
    for name, gaps in KINDS.items():
        write_lossless_h264(root / f"{name}.mp4", frames, gaps)
    return root, frames


@pytest.mark.parametrize("kind", list(KINDS))
def test_video_read_at_indices_equals_the_full_decode(videos, kind, counting):
    """Frames read by index (seeking to the keyframe before, decoding forward, seeking again across a long
    gap) are exactly the frames of a decode from frame 0, and exactly the frames written (lossless H.264):
    for a constant and a variable frame rate (frame i is the i-th in display order, not time x fps)."""
    root, frames = videos
    store = DirStorage(root)
    meta = probe_video(store, f"{kind}.mp4")
    assert meta.num_frames == N
    full = read_video(store, f"{kind}.mp4", range(N), None, meta.fps)
    np.testing.assert_array_equal(full, frames)          # lossless: the written frames, exactly
    for wanted in WANTED:
        got = read_video(store, f"{kind}.mp4", wanted, None, meta.fps)
        np.testing.assert_array_equal(got, full[wanted])  # exact: same decoder, same frames
    counting.decoded = counting.seeks = 0
    read_video(store, f"{kind}.mp4", [3, 150], None, meta.fps)
    # frame 3: decoded from the keyframe at 0 (4 frames); frame 150: seek to the keyframe at 144 and decode
    # 7 more (B-frames reorder inside a GOP, so up to 2 more come out before the decoder stops): at most
    # 4 + 7 + 2, far from the 151 a decode through to frame 150 costs
    assert counting.seeks == 2
    assert counting.decoded <= 4 + 7 + 2


def test_video_frames_far_apart_are_not_decoded_in_between(videos, counting):
    """Two frames of a clip far apart: two short decodes, each at most a GOP (24 frames) long."""
    root, _ = videos
    store = DirStorage(root)
    read_video(store, "vfr.mp4", [70, 150], 16, 8.0)
    assert counting.seeks == 2 and counting.decoded <= 2 * 24


@pytest.fixture
def frame_zip(tmp_path):
    """A zip of two PNG frame folders (lossless), 20 frames each, and their frames."""
    path, frames = tmp_path / "frames.zip", {}
    with zipfile.ZipFile(path, "w") as z:
        for v in range(2):
            frames[v] = pattern(20, 24, 24, seed=v)
            for k, f in enumerate(frames[v]):
                buf = io.BytesIO()
                Image.fromarray(f).save(buf, format="PNG")
                z.writestr(f"video{v}/{k}.png", buf.getvalue())
    return path, frames


def test_zip_frame_folder_reads_only_the_needed_members_and_caches_them(frame_zip, monkeypatch):
    """A clip with 2 frame positions reads exactly those 2 members of the zip; equals the same frames of the
    full clip; a second read of the same frames hits the frame cache (no member read at all)."""
    path, frames = frame_zip
    ds = open_dataset(path, 24, 16, stride=1)
    full, _ = ds.clip(1, 2)                               # [3, 16, 24, 24]
    np.testing.assert_array_equal(full.permute(1, 2, 3, 0).numpy(), frames[1][2:18])  # 24 px: no resize, lossless
    read = []
    original = ZipStorage.read_bytes
    monkeypatch.setattr(ZipStorage, "read_bytes", lambda self, name: read.append(name) or original(self, name))
    ds.source._cache.clear()
    pair, _ = ds.clip(1, 2, positions=(13, 4))
    assert sorted(read) == ["video1/15.png", "video1/6.png"]
    assert torch.equal(pair, full[:, [13, 4]])
    read.clear()
    again, _ = ds.clip(1, 2, positions=(4, 13, 13))
    assert read == [] and torch.equal(again, full[:, [4, 13, 13]])


def test_frame_cache_is_bounded_by_bytes(frame_zip):
    """The frame cache evicts least recently used frames beyond its byte limit."""
    path, _ = frame_zip
    ds = open_dataset(path, 8, 4)
    ds.source._cache = ByteLRU(max_bytes=3 * 8 * 8 * 3)    # room for exactly 3 frames of 8 x 8 x 3 bytes
    ds.clip(0, 0, positions=(0, 1, 2, 3))
    assert len(ds.source._cache) == 3 and ds.source._cache._bytes == 3 * 192
    assert ds.source._cache.get((0, 0, 8)) is None          # the first one read went first


def test_positions_on_video_files_match_the_full_clip(videos, monkeypatch):
    """A video dataset too large for the whole-video cache decodes only the asked frames, with the same
    pixels as the full clip (resized 16 -> 8 by the same code)."""
    root, _ = videos
    monkeypatch.setattr(sources, "CACHE_BYTES", 0)          # the whole-video cache cannot hold the dataset
    ds = open_dataset(root, 8, 128, stride=1)
    full, _ = ds.clip(1, 20)
    calls = []
    original = sources.read_video
    monkeypatch.setattr(sources, "read_video", lambda s, n, idx, *a: calls.append(list(idx)) or original(s, n, idx, *a))
    pair, _ = ds.clip(1, 20, positions=(120, 5))
    assert calls == [[25, 140]] and torch.equal(pair, full[:, [120, 5]])


def test_digan_training_decodes_two_frames_per_clip(tmp_path, monkeypatch):
    """A DIGAN run on a zipped frame-folder dataset (16-frame clips) decodes exactly the distinct frames
    its steps show D -- DIGANTrainer.real_frames of each step, at most 2 per clip -- not all 16; and it
    logs the share of time it waited for data."""
    cfg = dataclasses.replace(method_config("digan", "test"), frames=16)
    zpath = tmp_path / "d.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for v in range(3):
            for k, f in enumerate(pattern(20, 16, 16, seed=v)):
                buf = io.BytesIO()
                Image.fromarray(f).save(buf, format="PNG")
                z.writestr(f"v{v}/{k}.png", buf.getvalue())
    monkeypatch.setattr(sources, "CACHE_BYTES", 0)          # no cache: every frame asked for is decoded
    import vidsynth.training.loop as loop_mod
    monkeypatch.setattr(loop_mod, "_write_reals", lambda run: None)  # reals.mp4 shows whole clips: not a step
    decoded = []
    original = sources.read_frames
    monkeypatch.setattr(sources, "read_frames", lambda st, fr, idx, res: decoded.extend(idx) or original(st, fr, idx, res))
    loop = LoopConfig(data=str(zpath), kimg=0.012, seed=5, snapshot_kimg=0, num_workers=0, device="cpu",
                      sample_videos=2, sample_frames=2)
    run = loop_mod.train(cfg, loop, outdir=tmp_path / "runs", progress=False)
    steps = 3                                                 # 12 videos / batch 4
    twin = DIGANTrainer(cfg, torch.device("cpu"), seed=5)
    expected = sum(len(set(row.tolist())) for s in range(steps) for row in twin.real_frames(s, cfg.batch))
    assert len(decoded) == expected and expected <= 2 * cfg.batch * steps
    record = json.loads((run / "stats.jsonl").read_text().splitlines()[-1])
    assert 0 <= record["data_wait_share"] <= 1


def test_step_on_two_frames_equals_the_step_on_whole_clips():
    """DIGANTrainer.step on the 2 frames real_frames names gives bit-identical losses to the step on whole
    clips (the replay draws what the step draws); frames that are not the step's are refused."""
    cfg = dataclasses.replace(method_config("digan", "test"), frames=16)
    clips = torch.randint(0, 256, (4, 3, 16, 16, 16), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    labels = torch.full((4,), -1)
    whole, part = (DIGANTrainer(cfg, torch.device("cpu"), seed=3) for _ in range(2))
    for step in (0, 1):                                       # step 0 runs R1 on the real pair too
        frames = part.real_frames(step, 4)                    # [4, 2]
        pair = clips[torch.arange(4)[:, None], :, frames].permute(0, 2, 1, 3, 4)  # [4, 3, 2, 16, 16]
        assert whole.step(step, clips, labels, 4 * step) == part.step(step, pair, labels, 4 * step, frames=frames)
    with pytest.raises(RuntimeError, match="no longer replays"):
        part.step(2, pair, labels, 8, frames=part.real_frames(3, 4))


class SeedProbe(ClipDataset):
    """Returns, as each clip's label, a number drawn from the worker's numpy and torch RNGs."""

    def __getitem__(self, key):
        clip, _ = super().__getitem__(key)
        return clip, int(np.random.randint(0, 2**31)) ^ int(torch.randint(0, 2**31, ()).item())


def test_workers_are_seeded_by_worker_seed():
    """Worker w of a loader started at step s is seeded with worker_seed(seed, s, rank, w): what its RNGs
    draw is the same in every run, and is what that seed gives."""
    base = open_dataset("builtin:shapes", 8, 2)
    probe = SeedProbe(base.source, 8, 2)
    runs = [torch.cat([b[1] for b in iterate_batches(probe, 2, seed=7, start_step=4, num_workers=2, num_steps=2)])
            for _ in range(2)]
    assert torch.equal(runs[0], runs[1])
    expected = []
    for w in (0, 1):                                          # batch k goes to worker k (round robin)
        s = worker_seed(7, 4, 0, w)
        np.random.seed(s)
        torch.manual_seed(s)
        expected += [int(np.random.randint(0, 2**31)) ^ int(torch.randint(0, 2**31, ()).item()) for _ in range(2)]
    assert runs[0].tolist() == expected


def test_default_num_workers_follows_the_cores():
    assert [default_num_workers(c) for c in (1, 2, 4, 8, 16, 64)] == [1, 1, 2, 4, 8, 8]
    assert len({worker_seed(0, 0, 0, w) for w in range(4)} | {worker_seed(0, 1, 0, 0), worker_seed(0, 0, 1, 0)}) == 6
