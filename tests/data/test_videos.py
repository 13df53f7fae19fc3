"""Real video files written in tmp_path, decoded back through the dataset."""
import warnings

import numpy as np
import pytest

from vidsynth.data import open_dataset, open_source
from vidsynth.data.storage import DirStorage
from vidsynth.data.videos import DataWarning, probe_video
from vidsynth.video.read import SEEK_MIN_FRAME, read_video
from vidsynth.video.write import write_gif, write_mp4

from .helpers import counter_frames, mae, pattern, write_with_pyav


def clip_frames(ds, i=0, start=0, flip=False):
    return ds.clip(i, start, flip)[0].permute(1, 2, 3, 0).numpy()  # [T, R, R, 3]


WRITERS = {
    "mp4": lambda p, f: write_mp4(p, f, fps=8),
    "webm": lambda p, f: write_with_pyav(p, f, "libvpx-vp9", "yuv420p", options={"crf": "10", "b": "0"}),
    "avi": lambda p, f: write_with_pyav(p, f, "mpeg4", "yuv420p", options={"b": "2000000"}),
    "mkv": lambda p, f: write_with_pyav(p, f, "ffv1", "yuv444p"),
    "mov": lambda p, f: write_with_pyav(p, f, "png", "rgb24"),
    "gif": lambda p, f: write_gif(p, f, fps=8),
}


@pytest.mark.parametrize("ext", sorted(WRITERS))
def test_decoded_frames_match_written(tmp_path, ext):
    frames = pattern(20, 32, 32)
    WRITERS[ext](tmp_path / f"v.{ext}", frames)
    ds = open_dataset(tmp_path, 32, 8, stride=2)
    assert ds.num_videos == 1 and ds.num_frames(0) == 20 and ds.skipped == []
    got = clip_frames(ds, 0, 3)
    assert got.shape == (8, 32, 32, 3)
    assert mae(got, frames[3:19:2]) < 10
    assert mae(got, frames[4:20:2]) > mae(got, frames[3:19:2])  # the right frames, not neighbours
    assert np.array_equal(clip_frames(ds, 0, 3, flip=True), got[:, :, ::-1])


def test_crop_and_resize_of_wide_video(tmp_path):
    frames = pattern(6, 48, 96)  # wide: the centre 48x48 square is kept
    write_mp4(tmp_path / "wide.mp4", frames)
    got = clip_frames(open_dataset(tmp_path, 24, 6))
    centre = frames[:, :, 24:72].reshape(6, 24, 2, 24, 2, 3).mean(axis=(2, 4))  # 2x2 box downsample
    assert got.shape == (6, 24, 24, 3) and mae(got, centre) < 10
    assert mae(got, frames[:, :, :48].reshape(6, 24, 2, 24, 2, 3).mean(axis=(2, 4))) > 15


@pytest.mark.parametrize("pix_fmt,src_format,channels", [
    ("gray", "gray", 1), ("gray16le", "gray16le", 1), ("rgba", "rgba", 4), ("rgb48be", "rgb48le", 3)])
def test_pixel_formats_become_rgb_uint8(tmp_path, pix_fmt, src_format, channels):
    base = pattern(4, 32, 32)
    if channels == 1:
        data, expect = base[..., :1].copy(), np.repeat(base[..., :1], 3, -1)
    elif channels == 4:
        data, expect = np.concatenate([base, np.full_like(base[..., :1], 128)], -1), base
    else:
        data, expect = base, base
    if src_format.endswith("16le") or src_format == "rgb48le":
        data = data.astype(np.uint16) * 257
    codec, ext = ("ffv1", "mkv") if pix_fmt.startswith("gray") else ("png", "mov")
    write_with_pyav(tmp_path / f"v.{ext}", data, codec, pix_fmt, src_format=src_format)
    got = clip_frames(open_dataset(tmp_path, 32, 4))
    assert got.dtype == np.uint8 and mae(got, expect) < 2


def test_seek_matches_sequential_decode(tmp_path):
    frames = counter_frames(SEEK_MIN_FRAME + 60)
    path = write_mp4(tmp_path / "long.mp4", frames)
    store = DirStorage(tmp_path)
    meta = probe_video(store, path.name)
    assert meta.num_frames == len(frames) and meta.fps == 8
    wanted = list(range(SEEK_MIN_FRAME + 5, SEEK_MIN_FRAME + 50, 7))
    seeked = read_video(store, path.name, wanted, None, fps=meta.fps)
    sequential = read_video(store, path.name, wanted, None, fps=None)  # no fps -> no seeking
    assert np.array_equal(seeked, sequential)
    assert np.abs(seeked.mean(axis=(1, 2, 3)) - frames[wanted].mean(axis=(1, 2, 3))).max() < 2


def test_webm_without_frame_count_metadata(tmp_path):
    write_with_pyav(tmp_path / "a.webm", pattern(13, 32, 32), "libvpx-vp9", "yuv420p")
    import av

    with av.open(str(tmp_path / "a.webm")) as c:
        assert c.streams.video[0].frames == 0  # webm stores no frame count: we must count
    assert open_source(tmp_path).num_frames(0) == 13


def test_bad_files_are_skipped_with_warnings(tmp_path):
    write_mp4(tmp_path / "good.mp4", pattern(10, 32, 32))
    write_mp4(tmp_path / "short.mp4", pattern(3, 32, 32))
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "garbage.avi").write_bytes(np.random.default_rng(0).bytes(5000))
    data = (tmp_path / "good.mp4").read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.txt").write_text("not a video")
    with pytest.warns(DataWarning) as record:
        ds = open_dataset(tmp_path, 32, 8)
    messages = "\n".join(str(w.message) for w in record)
    for name in ("empty.mp4", "garbage.avi", "truncated.mp4", "short.mp4"):
        assert name in messages
    assert "4 of 5 videos skipped" in messages
    assert ds.num_videos == 1 and ds.video_name(0) == "good.mp4"
    reasons = {p.split("/")[-1]: r for p, r in ds.skipped}
    assert set(reasons) == {"empty.mp4", "garbage.avi", "truncated.mp4", "short.mp4"}
    assert "0 bytes" in reasons["empty.mp4"] and "only 3 frames" in reasons["short.mp4"]


def test_frames_missing_from_a_lying_file_repeat_the_last(tmp_path):
    frames = counter_frames(10)
    write_mp4(tmp_path / "v.mp4", frames)
    store = DirStorage(tmp_path)
    with pytest.warns(DataWarning, match="decoded only 10 frames"):
        got = read_video(store, "v.mp4", [8, 9, 10, 11], None)
    assert np.array_equal(got[2], got[1]) and np.array_equal(got[3], got[1])


def test_cache_gives_the_same_clips(tmp_path):
    write_mp4(tmp_path / "v.mp4", pattern(30, 40, 40))
    ds = open_dataset(tmp_path, 16, 4, stride=3)
    first = [ds.clip(0, s)[0] for s in range(0, 20, 4)]
    assert len(ds.source._cache) == 1
    ds.source._cache.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = [ds.clip(0, s)[0] for s in reversed(range(0, 20, 4))][::-1]
    assert all((a == b).all() for a, b in zip(first, again))


def test_truncated_webm_and_mkv_count_only_what_is_there(tmp_path):
    write_with_pyav(tmp_path / "a.webm", pattern(30, 32, 32), "libvpx-vp9", "yuv420p")
    write_with_pyav(tmp_path / "b.mkv", pattern(30, 32, 32), "ffv1", "yuv444p")
    for name in ("a.webm", "b.mkv"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) // 2])
    ds = open_dataset(tmp_path, 16, 4)
    for i in range(2):
        n = ds.num_frames(i)
        assert 5 < n < 30
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the last clip decodes for real, nothing padded
            ds.clip(i, n - 4)


def test_corrupt_zip_is_a_dataset_error(tmp_path):
    from vidsynth.errors import DatasetError

    (tmp_path / "d.zip").write_bytes(b"not a zip at all")
    with pytest.raises(DatasetError, match="cannot open zip"):
        open_dataset(tmp_path / "d.zip", 16, 4)
