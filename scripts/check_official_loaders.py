"""Load zips written by ``vidsynth dataset convert --layout stylegan-v`` / ``dataset prepare`` with the
*official* loaders of StyleGAN-V and DIGAN, from checkouts you fetched yourself, and compare what they
see (videos, frames, labels) with what vidsynth wrote. Nothing of their code is copied here; it is
imported from the checkout. Their heavy optional imports (omegaconf, einops, torchvision, the CUDA
ops module) are replaced by small stand-ins, because the dataset classes do not use them on this path.

    python scripts/check_official_loaders.py --stylegan-v /path/to/stylegan-v --digan /path/to/digan

Prints one line per check and exits 1 on the first mismatch.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def _stub(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _install_stand_ins() -> None:
    class OmegaConf:  # the two calls VideoFramesFolderDataset makes
        @staticmethod
        def create(d):
            return dict(d)

        @staticmethod
        def to_container(d):
            return dict(d)

    _stub("omegaconf", OmegaConf=OmegaConf, DictConfig=dict)
    _stub("einops", rearrange=lambda *a, **k: (_ for _ in ()).throw(RuntimeError("einops not available")))

    class ToTensor:
        def __call__(self, image):
            a = np.asarray(image, dtype=np.float32) / 255
            return __import__("torch").from_numpy(a.transpose(2, 0, 1).copy())

    tv = _stub("torchvision", transforms=types.SimpleNamespace(ToTensor=ToTensor))
    tv.datasets = _stub("torchvision.datasets", UCF101=type("UCF101", (object,), {}))
    _stub("torchvision.transforms", ToTensor=ToTensor)
    _stub("torchvision.datasets.video_utils", VideoClips=object)
    _stub("torchvision.datasets.folder", make_dataset=lambda *a, **k: [])


def _make_source(root: Path) -> Path:
    """Three labelled two-class frame-folder videos of 5 frames, distinct pixels per frame."""
    for k, (cls, video) in enumerate([("cats", "a"), ("cats", "b"), ("dogs", "c")]):
        folder = root / "src" / cls / video
        folder.mkdir(parents=True)
        for t in range(5):
            Image.fromarray(np.full((12, 20, 3), 30 * k + 5 * t, np.uint8)).save(folder / f"{t}.png")
    return root / "src"


def check_stylegan_v(checkout: Path, work: Path) -> None:
    from vidsynth.data.convert import convert_dataset

    sys.path.insert(0, str(checkout))
    _stub("src.training.layers", sample_frames=None)  # (imports CUDA ops); unused with load_n_consecutive
    from src.training.dataset import VideoFramesFolderDataset

    dst = work / "sgv.zip"
    convert_dataset(_make_source(work), dst, 8, labels="folders", layout="stylegan-v", progress=False)
    class Config(dict):  # what the loader reads: `'sampling' in cfg` and cfg.max_num_frames
        __getattr__ = dict.__getitem__

    cfg = Config(max_num_frames=1024)
    ds = VideoFramesFolderDataset(str(dst), cfg, load_n_consecutive=5, use_labels=True)
    assert len(ds) == 3, f"StyleGAN-V sees {len(ds)} videos, vidsynth wrote 3"
    assert ds.image_shape == [3, 8, 8] and ds.label_shape == [2], (ds.image_shape, ds.label_shape)
    labels = [int(np.argmax(ds.get_label(i))) for i in range(3)]
    assert labels == [0, 0, 1], f"StyleGAN-V labels {labels}, expected [0, 0, 1] (cats, cats, dogs)"
    with zipfile.ZipFile(dst) as zf:
        for i, video in enumerate(["a", "b", "c"]):
            frames = ds._load_raw_frames(i, frames_idx=list(range(5)))[0]  # [T, C, H, W]
            ours = np.stack([np.asarray(Image.open(zf.open(f"sgv/{video}/{t:06d}.png"))) for t in range(5)])
            assert np.array_equal(frames, ours.transpose(0, 3, 1, 2)), f"frames of video {video} differ"
    print("stylegan-v: VideoFramesFolderDataset reads the zip: 3 videos, labels [0, 0, 1], frames identical")
    sys.path.remove(str(checkout))
    for name in [m for m in sys.modules if m == "src" or m.startswith("src.")]:
        del sys.modules[name]


def check_digan(checkout: Path, work: Path) -> None:
    from vidsynth.data.prepare import prepare_dataset

    src = work / "sky_timelapse"
    for split, n in (("sky_train", 2), ("sky_test", 1)):
        for v in range(n):
            folder = src / split / f"v{split[4:]}{v}"
            folder.mkdir(parents=True)
            for t in range(32):
                Image.fromarray(np.full((16, 24, 3), 7 * t, np.uint8)).save(folder / f"{t:05d}.jpg")
    out = work / "prepared"
    prepare_dataset("sky", src, out, resolution=8, progress=False)
    root = work / "SKY"  # DIGAN picks its Sky rules by this name
    for kind in ("train", "val"):
        with zipfile.ZipFile(out / f"{kind}.zip") as zf:
            zf.extractall(root)
    sys.path.insert(0, str(checkout / "src"))
    from training.dataset import find_classes, make_imageclip_dataset

    # ImageFolderDataset.__init__ itself stops at its own bug (a @staticmethod `_file_ext(self, fname)`,
    # called as self._file_ext(fname)) whatever the data; its clip list is make_imageclip_dataset's, called
    # exactly as ImageFolderDataset calls it for a 'SKY' path.
    classes, class_to_idx = find_classes(str(root))
    assert classes == ["train", "val"], f"DIGAN sees groups {classes}, expected ['train', 'val']"
    for split, videos in (("train", 2), ("test", 1)):
        clips = make_imageclip_dataset(str(root), 16, class_to_idx, False, split)
        # Sky: consecutive non-overlapping 16-frame chunks; 32 frames per video -> 2 clips each
        assert len(clips) == 2 * videos, f"DIGAN ({split}) sees {len(clips)} clips, expected {2 * videos}"
        assert all(len(c) == 16 for c in clips)
        group = {Path(path).parts[-3] for c in clips for path, _ in c}
        assert group == {"train" if split == "train" else "val"}, f"DIGAN's {split} clips come from {group}"
    print("digan: make_imageclip_dataset on the extracted train/val zips: train 4 clips from train/, "
          "test 2 clips from val/, 16 frames each")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stylegan-v", type=Path, help="checkout of universome/stylegan-v")
    parser.add_argument("--digan", type=Path, help="checkout of sihyun-yu/digan")
    args = parser.parse_args()
    _install_stand_ins()
    with tempfile.TemporaryDirectory() as tmp:
        if args.stylegan_v:
            check_stylegan_v(args.stylegan_v, Path(tmp) / "sgv")
        if args.digan:
            check_digan(args.digan, Path(tmp) / "digan")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"MISMATCH: {e}")
        sys.exit(1)
