"""``vidsynth dataset prepare NAME SRC DST``: the papers' preprocessing of UCF-101, Sky Time-lapse and
TaiChi-HD, from the archives/folders the user downloaded, into frame zips that train as is.

Each recipe fixes what the papers' code does to the data *before* training: which videos (splits),
the crop (centre square) and the size (resize), and keeps every frame. Clip sampling inside a video
(16-frame windows, TaiChi's stride 4) is a training option, set by the DIGAN presets of the same name
(``--preset ucf101|sky|taichi``). Sources, per recipe, in docs/data.md ("Preparing the papers' datasets").

Every recipe writes ``DST/<split>.zip`` in the StyleGAN-V layout (``convert.py``: it also trains in
StyleGAN-V as is, and in DIGAN once extracted) and ``DST/recipe.json`` saying what was done.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from vidsynth.data.convert import convert_dataset
from vidsynth.errors import DatasetError


@dataclass(frozen=True)
class Recipe:
    name: str
    resolution: int        # DIGAN trains all three at 128 px
    labels: str            # "folders" (UCF-101's class folders) or "none"
    preset: str            # the DIGAN preset that samples clips as the paper did
    source: str            # where the rule comes from
    layout_hint: str       # what SRC should look like


RECIPES = {
    "ucf101": Recipe(
        "ucf101", 128, "folders", "ucf101",
        "DIGAN: README (UCF-101/train/<class>/<video>.avi + ucfTrainTestlist), src/training/dataset.py "
        "(UCF101Wrapper: class folders, trainlist0N + testlist0N both selected, i.e. all 13,320 videos; resize_crop: "
        "centre square crop, bilinear resize to 128) and paper App. A.2 (320x240 centre-cropped to 240x240, resized "
        "to 128x128; trained on all 13,320 videos or on the train split)",
        "UCF-101/<Class>/v_<Class>_gXX_cYY.avi (the extracted UCF101.rar); --splits: the ucfTrainTestlist folder"),
    "sky": Recipe(
        "sky", 128, "none", "sky",
        "DIGAN: README (train/ and val/ folders of frame folders), src/training/dataset.py (ImageFolderDataset for "
        "'SKY': training drops folders named *val*, evaluation drops *train*; resize_crop to 128) and paper App. A.2 "
        "(train split to train, test split to evaluate); data: MDGAN's sky_timelapse (sky_train/, sky_test/)",
        "sky_timelapse/ holding sky_train/ and sky_test/ (frame folders at any depth)"),
    "taichi": Recipe(
        "taichi", 128, "none", "taichi",
        "DIGAN: src/training/dataset.py (taichi: every folder, 64-frame chunks cut into 4 clips of every 4th frame, "
        "i.e. 16 frames at stride 4: --preset taichi) and paper App. A.2 (128x128, stride 4, all data without the "
        "split); data: first-order-model's TaiChi-HD (train/, test/ of .mp4 or frame folders)",
        "taichi/ (videos or frame folders; train/ and test/ sub-folders optional)"),
}


def _split_folders(src: Path, required: bool = True) -> dict[str, Path]:
    """``{"train": folder, "val": folder}``: the sub-folders whose names contain train / test|val (the rule of
    DIGAN's frame-folder loader)."""
    found: dict[str, Path] = {}
    for child in sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith(".")):
        low = child.name.lower()
        kind = "train" if "train" in low else "val" if ("test" in low or "val" in low) else None
        if kind:
            if kind in found:
                raise DatasetError(f"'{src}' has two {kind} folders ({found[kind].name}, {child.name}); keep one")
            found[kind] = child
    if "train" not in found and required:
        raise DatasetError(f"no train folder in '{src}': expected sub-folders named like train/ and test/ (or "
                           "sky_train/ and sky_test/)")
    return found


def prepare_dataset(name: str, src, dst, resolution: int | None = None, splits=None, fold: int = 1,
                    force: bool = False, progress: bool = True) -> dict:
    """Run recipe ``name`` on ``src``, writing ``dst/<split>.zip`` files and ``dst/recipe.json``.

    ucf101: ``all.zip`` (every video: DIGAN's training and FVD set), and with ``splits`` (the
    ``ucfTrainTestlist`` folder) ``train.zip`` / ``test.zip`` from ``trainlist0<fold>`` / ``testlist0<fold>``.
    sky: ``train.zip`` and ``val.zip`` from the train / test sub-folders (named ``val`` because DIGAN's
    loader drops only ``*val*`` folders when training). taichi: ``all.zip`` (DIGAN trains on all of it),
    plus ``train.zip`` / ``val.zip`` when SRC has train / test sub-folders.
    Returns the recipe.json content.
    """
    if name not in RECIPES:
        raise DatasetError(f"unknown recipe '{name}'; choose from {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if not src.is_dir():
        raise DatasetError(f"'{src}' is not a folder; {name} expects {recipe.layout_hint}")
    if dst.exists() and any(dst.iterdir()) and not force:
        raise DatasetError(f"'{dst}' exists and is not empty; pass --force to overwrite its zips")
    size = resolution or recipe.resolution
    jobs: list[tuple[str, Path, Path | None]] = []  # (output name, source folder, split file)
    if name == "ucf101":
        jobs.append(("all", src, None))
        if splits is not None:
            splits = Path(splits).expanduser()
            for kind in ("train", "test"):
                path = splits / f"{kind}list{fold:02d}.txt"
                if not path.is_file():
                    raise DatasetError(f"'{path}' not found; --splits must be the ucfTrainTestlist folder "
                                       f"(with trainlist0{fold}.txt and testlist0{fold}.txt)")
                jobs.append((kind, src, path))
    else:
        if name == "taichi":
            jobs.append(("all", src, None))
        jobs += [(kind, folder, None) for kind, folder in _split_folders(src, required=name == "sky").items()]
    outputs = {}
    for kind, folder, split in jobs:
        out = convert_dataset(folder, dst / f"{kind}.zip", size, labels=recipe.labels, force=True,
                              progress=progress, layout="stylegan-v", split=split)
        outputs[kind] = {"path": out["path"], "videos": out["videos"], "frames": out["frames"],
                         "classes": len(out["classes"]), "skipped": len(out["skipped"]),
                         "from": str(folder), "split": str(split) if split else None}
    info = {"recipe": asdict(recipe), "resolution": size, "fold": fold if name == "ucf101" else None,
            "outputs": outputs,
            "train_with": f"vidsynth train --method digan --preset {recipe.preset} --data "
                          f"{outputs.get('all', outputs.get('train'))['path']}"}  # all: what DIGAN trains on
    from vidsynth.utils.files import atomic_write_text

    atomic_write_text(dst / "recipe.json", json.dumps(info, indent=1) + "\n")
    return info
