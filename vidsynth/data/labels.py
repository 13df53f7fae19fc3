"""Class labels of a dataset's videos.

``labels`` (the option of ``open_dataset``):
- ``None`` / ``"auto"``: a ``labels.json`` at the dataset root if there is one, else a ``dataset.json``
  (StyleGAN2-ADA / StyleGAN-V form, see ``dataset_json.py``), else unlabeled;
- ``"dataset.json"``: the dataset's ``dataset.json`` (an error if it has none);
- ``"folders"``: the first sub-folder under the root (``root/<class>/.../video``);
- a path to a JSON file ``{"relative/path/of/video": "class name", ...}``;
- ``"none"``: unlabeled.
Class indices follow the *sorted* class names (``dataset.json`` classes keep their own indices,
named ``"0"``, ``"1"``, ...); an unlabeled video gets ``-1``. :func:`resolve_labels_origin` also says
which of these was used, for ``dataset info`` and the training log.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path, PurePosixPath

from vidsynth.data.dataset_json import dataset_json_labels
from vidsynth.data.naming import sanitize_member
from vidsynth.data.videos import DataWarning
from vidsynth.errors import DatasetError

LABEL_MODES = ("auto", "folders", "dataset.json", "none")


def resolve_labels(source, labels=None) -> tuple[list[str], list[int]]:
    """``(class_names, label per video)`` for ``source`` (see the module docstring for ``labels``)."""
    names, labs, _ = resolve_labels_origin(source, labels)
    return names, labs


def resolve_labels_origin(source, labels=None) -> tuple[list[str], list[int], str]:
    """:func:`resolve_labels` plus where the labels came from: ``"labels.json"``, ``"dataset.json"``,
    ``"folder names"``, the JSON path given, or ``"none"`` (with the reason in brackets)."""
    n = len(source)
    mode = "auto" if labels is None else str(labels)
    if mode == "none":
        return [], [-1] * n, "none (labels=none)"
    if mode in ("auto", "dataset.json"):
        if mode == "auto" and source.label_json is not None:
            mapping = _parse(source.label_json, f"{source.spec}:labels.json")
            classes = [mapping.get(source.name(i)) for i in range(n)]
            origin = "labels.json"
        else:
            found = dataset_json_labels(source)
            if found is None:
                if mode == "dataset.json":
                    raise DatasetError(f"labels=dataset.json but '{source.spec}' has no dataset.json at its root "
                                       "(or in its single top-level folder)")
                return [], [-1] * n, "none (no labels.json or dataset.json)"
            indices, member = found
            if indices is None:
                return [], [-1] * n, f"none ({member} has labels: null)"
            return _indexed(source, indices, member)
    elif mode == "folders":
        if source.spec.startswith("builtin:"):
            raise DatasetError(f"'{source.spec}' has no folders to take labels from; use labels=None")
        classes = [PurePosixPath(source.name(i)).parts[0] if "/" in source.name(i) else None for i in range(n)]
        origin = "folder names"
    else:
        path = Path(mode).expanduser()
        if not path.is_file():
            raise DatasetError(f"labels file '{mode}' not found; labels must be one of {', '.join(LABEL_MODES)} "
                               "or a JSON file mapping video paths (relative to the dataset root) to class names")
        mapping = _parse(path.read_bytes(), str(path))
        classes = [mapping.get(source.name(i)) for i in range(n)]
        origin = str(path)
    names = sorted({c for c in classes if c is not None})
    _warn_missing(sum(c is None for c in classes), n, names, origin)
    index = {c: k for k, c in enumerate(names)}
    return names, [index[c] if c is not None else -1 for c in classes], origin


def _indexed(source, indices: dict[str, int], member: str) -> tuple[list[str], list[int], str]:
    """Labels from ``dataset.json`` class indices: class ``k`` keeps index ``k`` (named ``"k"``)."""
    n = len(source)
    labs = [indices.get(source.name(i), -1) for i in range(n)]
    top = max(labs, default=-1)
    names = [str(k) for k in range(top + 1)]
    _warn_missing(sum(lab < 0 for lab in labs), n, names, member)
    return names, labs, "dataset.json"


def _warn_missing(missing: int, n: int, names: list[str], origin: str) -> None:
    if missing and names:
        warnings.warn(f"{missing} of {n} videos have no label in {origin}; they get label -1 (no class: "
                      "conditional training gives them an all-zero class vector)", DataWarning, stacklevel=4)


def _parse(data: bytes, where: str) -> dict[str, str]:
    try:
        mapping = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetError(f"cannot parse {where}: {e}") from None
    except RecursionError:
        raise DatasetError(f"cannot parse {where}: nested too deeply; it must be one JSON object mapping video "
                           "paths to class names") from None
    if not isinstance(mapping, dict):
        raise DatasetError(f"{where} must be a JSON object mapping video paths to class names")
    bad = [k for k, v in mapping.items() if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
    if bad:
        raise DatasetError(f"{where}: the class of '{bad[0][:80]}' is not a name (a string) but "
                           f"{type(mapping[bad[0]]).__name__}; map each video path to a class name")
    return {sanitize_member(str(k)).removesuffix("/"): str(v) for k, v in mapping.items()}


def labels_json(names: list[str], labels: list[int], class_names: list[str]) -> bytes:
    """The ``labels.json`` bytes for videos ``names`` (unlabeled ones left out)."""
    mapping = {name: class_names[lab] for name, lab in zip(names, labels) if lab >= 0}
    return json.dumps(mapping, indent=1, sort_keys=True).encode()
