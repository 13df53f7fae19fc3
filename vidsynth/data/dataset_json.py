"""``dataset.json``: the label file of StyleGAN2-ADA and StyleGAN-V datasets.

Its form is ``{"labels": [[relative_path, int], ...]}`` or ``{"labels": null}``. StyleGAN2-ADA keys
every *image*; StyleGAN-V keeps that per-frame form and gives a video the label of its frames
(``<video>/<frame>.png`` -> ``<video>``, all frames of one video must agree). Keys are relative to
the folder that holds ``dataset.json``. Class ``k`` is called ``"k"`` here (the file has no names).
"""
from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from vidsynth.data.naming import sanitize_member
from vidsynth.errors import DatasetError

FILENAME = "dataset.json"


def find_dataset_json(storage) -> str | None:
    """The member name of the dataset's ``dataset.json``: at the root or in its single top-level folder
    (StyleGAN-V zips hold one folder). None when there is none."""
    if storage.exists(FILENAME):
        return FILENAME
    root = Path(storage.root)
    if root.is_dir():  # one level of a folder: no second walk of a tree of millions of frames
        found = sorted(p.relative_to(root).as_posix() for p in root.glob(f"*/{FILENAME}") if p.is_file()
                       and not p.parent.name.startswith("."))
    else:              # a zip's member list is already in memory
        found = [n for n in storage.list_files() if n.count("/") == 1 and n.endswith("/" + FILENAME)]
    if len(found) > 1:
        raise DatasetError(f"{len(found)} dataset.json files in '{storage.root}' ({', '.join(found[:3])}); "
                           "keep the one at the dataset root")
    return found[0] if found else None


def parse_dataset_json(data: bytes, where: str) -> dict[str, int] | None:
    """``{relative video path: class index}`` from ``dataset.json`` bytes; None when ``labels`` is null.

    Per-frame keys (``video/000000.png``) are folded into their video folder; a video file key
    (``class/clip.mp4``) stays as it is. Both spellings are returned so either kind of source matches.
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetError(f"cannot parse {where}: {e}") from None
    if not isinstance(doc, dict) or "labels" not in doc:
        raise DatasetError(f"{where} must be a JSON object with a 'labels' list "
                           '(StyleGAN2-ADA form: {"labels": [["path", 0], ...]})')
    pairs = doc["labels"]
    if pairs is None:
        return None
    if not isinstance(pairs, list):
        raise DatasetError(f"{where}: 'labels' must be a list of [path, class index] pairs or null")
    files: dict[str, int] = {}    # every key as written
    folders: dict[str, int] = {}  # the folder of each key: a frame folder's video label
    for item in pairs:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
            raise DatasetError(f"{where}: each label must be a [path, class index] pair, got {item!r}")
        path, label = item
        if isinstance(label, bool) or not isinstance(label, int) or label < 0:
            raise DatasetError(f"{where}: label of '{path}' is {label!r}; vidsynth needs class indices >= 0 "
                               "(float label vectors are not supported)")
        name = sanitize_member(path)
        files[name] = label
        folder = str(PurePosixPath(name).parent)
        if folder != ".":
            if folders.setdefault(folder, label) != label:
                raise DatasetError(f"{where}: frames of '{folder}' have different labels "
                                   f"({folders[folder]} and {label}); one video needs one label")
    return folders | files


def dataset_json_labels(source) -> tuple[dict[str, int] | None, str] | None:
    """``(mapping video name -> class index or None if null, member name)`` for a file source with a
    ``dataset.json``; None when it has none. Names are matched relative to the file's folder."""
    storage = getattr(source, "storage", None)
    if storage is None:
        return None
    member = find_dataset_json(storage)
    if member is None:
        return None
    mapping = parse_dataset_json(storage.read_bytes(member), storage.display(member))
    prefix = member[: -len(FILENAME)]  # "" or "<top folder>/"
    if mapping is not None and prefix:
        mapping = {prefix + k: v for k, v in mapping.items()}
    return mapping, member


def dataset_json_bytes(entries: list[tuple[str, int]]) -> bytes:
    """``dataset.json`` bytes for ``[(relative frame or video path, class index), ...]``."""
    return json.dumps({"labels": [[p, int(k)] for p, k in entries]}, indent=1).encode()
