"""Every kind of generated-video input reads back the same clips, in exact counts (no I3D needed)."""
import zipfile

import numpy as np
import pytest
import torch

from tests.metrics.helpers import FakeSampler, moving_square_videos
from vidsynth.errors import ConfigError, DatasetError
from vidsynth.metrics.fake_sources import open_fake

N, T, R = 5, 10, 32


@pytest.fixture(scope="module")
def videos():
    """Reference videos, float [N, 3, T, R, R] in [-1, 1], already on the uint8 grid (lossless round trips)."""
    v = moving_square_videos(N, T, R, seed=3)
    return ((v + 1) * 127.5).round() / 127.5 - 1


def _uint8(v):  # [N, 3, T, H, W] float -> uint8 [N, T, H, W, 3]
    return ((v + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 4, 1).numpy()


def _read(fake, num=N, frames=T, step=1, batch=2):
    batches = list(open_fake(fake).batches(num, frames, step, batch, seed=0))
    assert all(len(b) <= batch for b in batches)
    return torch.cat(batches)


@pytest.mark.parametrize("fmt", ["png", "npz", "mp4", "gif"])
def test_vidsynth_generate_outputs_read_back(tmp_path, videos, fmt):
    """`vidsynth generate --out DIR --format png|mp4|gif` and `--out x.npz` are valid --fake inputs."""
    from vidsynth.apps.digan.modes import write_videos

    out = tmp_path / ("gen.npz" if fmt == "npz" else "gen")
    write_videos(videos, out, None if fmt == "npz" else fmt, grid=False, fps=8)
    got = _read(str(out))
    assert got.shape == (N, 3, T, R, R)
    if fmt in ("png", "npz"):  # lossless: exactly the videos
        assert torch.equal(got, videos)
    else:  # lossy codecs: close (mean abs error in [-1, 1] units; a broken frame order gives > 0.3)
        assert (got - videos).abs().mean() < 0.1


def test_frame_folders_any_image_type_natural_order_and_zip(tmp_path, videos):
    from PIL import Image

    frames = _uint8(videos)
    root = tmp_path / "frames"
    for i in range(N):
        for t in range(T):  # unpadded names 0, 2, ..., 18: natural order puts 2 before 10
            d = root / f"clip{i}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(frames[i, t]).save(d / f"{2 * t}.{('png', 'webp', 'bmp', 'tif')[i % 4]}", lossless=True)
    assert torch.equal(_read(str(root)), videos)
    with zipfile.ZipFile(tmp_path / "frames.zip", "w") as z:
        for p in sorted(root.rglob("*.*")):
            z.write(p, p.relative_to(root).as_posix())
    assert torch.equal(_read(str(tmp_path / "frames.zip")), videos)


def test_m4v_files_and_zip_of_videos(tmp_path, videos):
    from vidsynth.video.write import to_uint8_frames, write_video

    folder = tmp_path / "m4v"
    folder.mkdir()
    for i, v in enumerate(videos):
        write_video(tmp_path / f"{i}.mp4", v, fps=8)
        (tmp_path / f"{i}.mp4").rename(folder / f"v{i}.m4v")
    got = _read(str(folder))
    assert got.shape == (N, 3, T, R, R) and (got - videos).abs().mean() < 0.1
    with zipfile.ZipFile(tmp_path / "v.zip", "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, p.name)
    assert torch.equal(_read(str(tmp_path / "v.zip")), got)
    assert to_uint8_frames(videos[0]).shape == (T, R, R, 3)


def test_arrays_npy_and_iterables(tmp_path, videos):
    arr = _uint8(videos)
    np.save(tmp_path / "v.npy", arr)
    assert torch.equal(_read(str(tmp_path / "v.npy")), videos)
    assert torch.equal(_read(arr), videos)
    assert torch.equal(_read(videos.clone()), videos)                                  # float tensor
    assert torch.equal(_read(list(arr)), videos)                                      # list of [T, H, W, 3]
    assert torch.equal(_read(b for b in (arr[:2], arr[2:4], arr[4:])), videos)         # generator of batches
    assert torch.equal(_read(iter(list(videos))), videos)                              # float [3, T, H, W] each


def test_builtin_and_sampler(videos):
    got = _read("builtin:shapes", num=3, frames=8)
    assert got.shape[:3] == (3, 3, 8)
    s = FakeSampler()
    assert _read(s, num=3, frames=8).shape == (3, 3, 8, 32, 32)


@pytest.mark.parametrize("num,batch", [(3, 2), (5, 2), (4, 4), (1, 8)])
def test_exact_counts_from_every_source(tmp_path, videos, num, batch):
    """Issue 14 item 9: a folder yielded whole batches (num 3, batch 2 gave 4 clips)."""
    from vidsynth.apps.digan.modes import write_videos

    write_videos(videos, tmp_path / "png", "png", grid=False, fps=8)
    arr = _uint8(videos)
    for fake in (str(tmp_path / "png"), arr, list(arr), [arr], FakeSampler()):  # [arr]: one 5-video batch
        sizes = [len(b) for b in open_fake(fake).batches(num, 8, 1, batch, seed=0)]
        assert sum(sizes) == num and max(sizes) <= batch, (type(fake), sizes)


def test_strides_take_every_kth_frame(videos):
    arr = _uint8(videos)
    got = _read(arr, frames=4, step=3)          # frames 0, 3, 6, 9
    assert torch.equal(got, videos[:, :, 0:10:3])
    s = FakeSampler()
    out = list(open_fake(s).batches(2, 4, 2, 8, seed=0))[0]
    assert s.calls[-1][1] == 8                       # sampled 4 * 2 frames (batch seed 0 -> FakeSampler seed 10000)
    assert torch.equal(out, moving_square_videos(2, 8, 32, seed=10_000)[:, :, ::2])  # ... and kept every 2nd


def test_clear_errors(tmp_path, videos):
    arr = _uint8(videos)
    with pytest.raises(DatasetError, match="generate longer videos"):
        _read(arr, frames=16)
    with pytest.raises(DatasetError, match="holds 5 videos; the metric needs 6"):
        _read(arr, num=6)
    with pytest.raises(DatasetError, match="yielded 5 videos; the metric needs 6"):
        _read(list(arr), num=6)
    np.save(tmp_path / "f.npy", arr.astype(np.float32))
    with pytest.raises(DatasetError, match="expected uint8"):
        open_fake(str(tmp_path / "f.npy"))
    (tmp_path / "one.mp4").write_bytes(b"")
    with pytest.raises(ConfigError, match="a single file"):
        open_fake(str(tmp_path / "one.mp4"))
    with pytest.raises(ConfigError, match="no such file"):
        open_fake(str(tmp_path / "missing"))
    gen = open_fake(b for b in arr)
    list(gen.batches(2, 8, 1, 2, 0))
    with pytest.raises(ConfigError, match="one-shot"):
        list(gen.batches(2, 8, 1, 2, 1))


def test_worker_processes_decode_the_same_clips(tmp_path, videos):
    from vidsynth.apps.digan.modes import write_videos

    write_videos(videos, tmp_path / "png", "png", grid=False, fps=8)
    source = open_fake(str(tmp_path / "png"))
    source.num_workers = 1
    assert torch.equal(torch.cat(list(source.batches(N, T, 1, 2, 0))), videos)
    with pytest.raises(DatasetError, match=r"^'video0000' in .* has 10 frames, but the metric takes 12"):
        list(source.batches(2, 12, 1, 2, 0))   # the worker's one-line message, not DataLoader's traceback
