"""Frame folders, natural order, zips of frame folders and of videos, zip-member sanitising."""
import json
import zipfile
from io import BytesIO

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from vidsynth.data import natural_sorted, open_dataset
from vidsynth.data.naming import output_name, sanitize_member
from vidsynth.data.zipdata import ZipStorage
from vidsynth.video.write import write_mp4

from .helpers import mae, pattern


def png_bytes(image, mode=None):
    buf = BytesIO()
    im = Image.fromarray(image)
    (im.convert(mode) if mode else im).save(buf, format="PNG")
    return buf.getvalue()


def test_natural_sort():
    names = ["frame10.png", "frame2.png", "frame1.png", "Frame3.png", "frame02b.png", "a/x10", "a/x9", "a10/x1"]
    assert natural_sorted(names) == ["a/x9", "a/x10", "a10/x1", "frame1.png", "frame2.png", "frame02b.png",
                                     "Frame3.png", "frame10.png"]
    assert natural_sorted(["img_0010.jpg", "img_009.jpg", "img_1.jpg"]) == ["img_1.jpg", "img_009.jpg", "img_0010.jpg"]


@given(st.lists(st.text(alphabet="ab01/9", max_size=6), max_size=12))
def test_natural_sort_is_a_total_order(names):
    once = natural_sorted(names)
    assert natural_sorted(once[::-1]) == once  # any input order gives the same result
    assert sorted(once) == sorted(names)


def test_sanitize_member():
    assert sanitize_member("../evil.png") == "evil.png"
    assert sanitize_member("/etc/passwd") == "etc/passwd"
    assert sanitize_member("a/../../b/./c.png") == "a/b/c.png"
    assert sanitize_member("C:\\x\\y.png") == "x/y.png"
    assert sanitize_member("../..") == ""
    assert output_name("cats/My Clip.mp4", True) == "cats/My_Clip"
    assert output_name("../a/b", False) == "a/b"


def make_frame_folders(root, names, t=6, size=32, ext="png"):
    """root/<name>/<k>.<ext> with frame k of pattern(seed=index); file names NOT zero-padded."""
    videos = {}
    for v, name in enumerate(names):
        frames = pattern(t, size, size, seed=v)
        folder = root / name
        folder.mkdir(parents=True)
        for k, f in enumerate(frames):
            Image.fromarray(f).save(folder / f"frame{k}.{ext}", quality=95)
        videos[name] = frames
    return videos


def test_frame_folders_natural_order(tmp_path):
    videos = make_frame_folders(tmp_path, ["v1", "v2"], t=12)
    ds = open_dataset(tmp_path, 32, 12)
    assert [ds.video_name(i) for i in range(2)] == ["v1", "v2"]
    got = ds.clip(1, 0)[0].permute(1, 2, 3, 0).numpy()
    assert np.array_equal(got, videos["v2"])  # png is lossless; frame10 comes after frame9
    assert ds.num_frames(0) == 12


def test_jpeg_and_odd_image_modes(tmp_path):
    base = pattern(3, 20, 30)
    (tmp_path / "v").mkdir()
    Image.fromarray(base[0]).save(tmp_path / "v" / "1.jpg", quality=95)
    (tmp_path / "v" / "2.png").write_bytes(png_bytes(base[1], "RGBA"))
    Image.fromarray(base[2]).convert("P").save(tmp_path / "v" / "10.webp", lossless=True)
    (tmp_path / "v" / "2b.png").write_bytes(png_bytes(base[1][..., 0]))  # grayscale
    ds = open_dataset(tmp_path, 20, 4)
    got = ds.clip(0, 0)[0].permute(1, 2, 3, 0).numpy()  # [4, 20, 20, 3], centre crop of 20x30
    assert mae(got[0], base[0][:, 5:25]) < 6
    assert mae(got[1], base[1][:, 5:25]) < 1
    assert np.array_equal(got[2], np.repeat(base[1][:, 5:25, :1], 3, -1))
    palette = np.asarray(Image.open(tmp_path / "v" / "10.webp").convert("RGB"))
    assert np.array_equal(got[3], palette[:, 5:25]) and mae(got[3], base[2][:, 5:25]) < 20


def write_zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_of_frame_folders(tmp_path):
    frames = pattern(5, 32, 32)
    members = {f"clips/b/{k}.png": png_bytes(f) for k, f in enumerate(frames)}
    members.update({f"clips/a/{k}.png": png_bytes(f[:, ::-1]) for k, f in enumerate(frames)})
    members["clips/"] = b""
    ds = open_dataset(write_zip(tmp_path / "d.zip", members), 32, 5)
    assert [ds.video_name(i) for i in range(2)] == ["clips/a", "clips/b"]
    assert np.array_equal(ds.clip(1, 0)[0].permute(1, 2, 3, 0).numpy(), frames)
    assert np.array_equal(ds.clip(0, 0, True)[0], ds.clip(1, 0)[0])


def test_zip_of_videos(tmp_path):
    frames = pattern(10, 32, 32)
    data = write_mp4(tmp_path / "x.mp4", frames).read_bytes()
    ds = open_dataset(write_zip(tmp_path / "d.zip", {"sub/x.mp4": data, "sub/y.mp4": b""}), 32, 4, stride=2)
    assert ds.num_videos == 1 and "y.mp4" in ds.skipped[0][0] and "0 bytes" in ds.skipped[0][1]
    assert mae(ds.clip(0, 2)[0].permute(1, 2, 3, 0).numpy(), frames[2:10:2]) < 10


def test_zip_member_names_are_sanitised(tmp_path):
    f = pattern(2, 8, 8)
    store = ZipStorage(write_zip(tmp_path / "d.zip", {"../evil/0.png": png_bytes(f[0]), "/abs/0.png": png_bytes(f[1]),
                                                       "ok/0.png": png_bytes(f[0]), "__MACOSX/ok/._0.png": b"x"}))
    assert store.list_files() == ["abs/0.png", "evil/0.png", "ok/0.png"]


def test_zip_storage_reopens_per_process_and_pickles(tmp_path):
    import pickle

    store = ZipStorage(write_zip(tmp_path / "d.zip", {"a/0.png": png_bytes(pattern(1, 8, 8)[0])}))
    store.list_files()
    assert store._zip is not None
    clone = pickle.loads(pickle.dumps(store))
    assert clone._zip is None and clone.read_bytes("a/0.png") == store.read_bytes("a/0.png")


def test_labels_from_folders_and_json(tmp_path):
    make_frame_folders(tmp_path / "data", ["dog/v1", "cat/v2", "cat/v10", "bird/x/v3"], t=3, size=8)
    ds = open_dataset(tmp_path / "data", 8, 2, labels="folders")
    assert ds.class_names == ["bird", "cat", "dog"]
    assert [(ds.video_name(i), ds.label(i)) for i in range(4)] == [
        ("bird/x/v3", 0), ("cat/v2", 1), ("cat/v10", 1), ("dog/v1", 2)]
    assert ds.clip(2, 0)[1] == 1
    assert open_dataset(tmp_path / "data", 8, 2).class_names == []  # auto without labels.json: none
    (tmp_path / "l.json").write_text(json.dumps({"cat/v2": "zebra", "dog/v1": "ant"}))
    with pytest.warns(UserWarning, match="2 of 4 videos have no label"):
        ds = open_dataset(tmp_path / "data", 8, 2, labels=str(tmp_path / "l.json"))
    assert ds.class_names == ["ant", "zebra"] and [ds.label(i) for i in range(4)] == [-1, 1, -1, 0]
    (tmp_path / "data" / "labels.json").write_text(json.dumps({"./cat/v10": "c", "dog/v1": "d"}))
    with pytest.warns(UserWarning):
        ds = open_dataset(tmp_path / "data", 8, 2)  # auto picks up the root labels.json
    assert ds.class_names == ["c", "d"] and [ds.label(i) for i in range(4)] == [-1, -1, 0, 1]
    assert open_dataset(tmp_path / "data", 8, 2, labels="none").class_names == []
