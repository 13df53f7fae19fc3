"""Train/test selection by a *split file*: keep only the videos it lists.

A split file has one video per line: a path relative to the dataset root (``class/clip.mp4``,
``clip_folder``), or a UCF-101 ``trainlist0N.txt`` / ``testlist0N.txt`` line
(``ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1``: the trailing class number is ignored). Blank
lines and ``#`` comments are skipped.

An entry names a video when their last path components agree after dropping the video suffix
(``.avi``; so a frame folder made by ``dataset convert`` matches its source file) and ignoring case
(UCF-101's lists spell ``HandStandPushups`` where the folder says ``HandstandPushups``). When several
videos share that name, the one whose path and the entry's agree tail-wise (the shorter is the tail
of the longer, component by component) is chosen; still several is an error. So
``ApplyEyeMakeup/v_..._c01.avi`` selects ``UCF-101/ApplyEyeMakeup/v_..._c01.avi``,
``ApplyEyeMakeup/v_..._c01/`` (frames) and the flat StyleGAN-V folder ``<top>/v_..._c01``.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path, PurePosixPath

from vidsynth.data.videos import DataWarning
from vidsynth.errors import DatasetError
from vidsynth.video.formats import READ_SUFFIXES

_CLASS_NUMBER = re.compile(r"\s+\d+$")  # "path 12" (UCF-101 trainlist) -> "path"


def read_split(path) -> list[str]:
    """The entries of split file ``path`` (paths, in file order)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"split file '{path}' not found; give a text file with one video path per line "
                           "(e.g. UCF-101's ucfTrainTestlist/trainlist01.txt)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f"cannot read split file '{path}': {e}") from None
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(_CLASS_NUMBER.sub("", line).replace("\\", "/").strip("/"))
    if not entries:
        raise DatasetError(f"split file '{path}' lists no videos")
    return entries


def _key(name: str) -> tuple[str, ...]:
    """Lower-case path components with the video suffix dropped from the last one."""
    parts = [p for p in PurePosixPath(name.lower()).parts if p not in ("", ".")]
    if parts and PurePosixPath(parts[-1]).suffix in READ_SUFFIXES:
        parts[-1] = PurePosixPath(parts[-1]).stem
    return tuple(parts)


def select_videos(names: list[str], entries: list[str], where: str = "split") -> tuple[list[int], list[str]]:
    """Indices (ascending) of ``names`` that some entry names, and the entries that matched nothing.

    Raises :class:`DatasetError` when one entry matches several videos (ambiguous: give longer paths).
    """
    by_last: dict[str, list[int]] = {}
    keys = [_key(n) for n in names]
    for i, k in enumerate(keys):
        if k:
            by_last.setdefault(k[-1], []).append(i)
    chosen, unmatched = set(), []
    for entry in entries:
        e = _key(entry)
        hits = by_last.get(e[-1] if e else "", [])
        if len(hits) > 1:  # same file name in several folders: the path decides
            hits = [i for i in hits if keys[i][-len(e):] == e or e[-len(keys[i]):] == keys[i]]
        if len(hits) > 1:
            raise DatasetError(f"{where}: entry '{entry}' matches {len(hits)} videos "
                               f"({', '.join(names[i] for i in hits[:3])}); write a longer path")
        if hits:
            chosen.add(hits[0])
        else:
            unmatched.append(entry)
    return sorted(chosen), unmatched


def apply_split(source, split):
    """``source`` restricted to the videos listed in split file ``split`` (None: unchanged).

    Entries that match no video are counted in one :class:`DataWarning` (a video skipped as unreadable
    or too short is also unmatched); none matching at all is a :class:`DatasetError`.
    """
    if split in (None, ""):
        return source
    records = getattr(source, "records", None)
    if records is None:
        raise DatasetError(f"--split selects files; '{source.spec}' is not a folder or zip of videos")
    entries = read_split(split)
    keep, unmatched = select_videos([r.name for r in records], entries, where=f"split file '{split}'")
    if not keep:
        raise DatasetError(f"none of the {len(entries)} videos listed in '{split}' is in '{source.spec}' "
                           f"(first entry: '{entries[0]}', first video: '{records[0].name}'); is it the split "
                           "file of this dataset?")
    if unmatched:
        warnings.warn(f"{len(unmatched)} of {len(entries)} videos listed in '{split}' are not in '{source.spec}' "
                      f"(e.g. '{unmatched[0]}'); using the {len(keep)} found", DataWarning, stacklevel=2)
    return type(source)(source.storage, [records[i] for i in keep], source.skipped, source.spec)
