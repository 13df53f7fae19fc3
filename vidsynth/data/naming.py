"""Names of files inside a dataset: natural sort order and safe (sanitised) relative paths."""
from __future__ import annotations

import re
from pathlib import PurePosixPath

_CHUNKS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: ``frame2`` < ``frame10``, ``a/b9`` < ``a/b10``.

    Compares path component by component, case-insensitively, with the raw name as a last tie-break
    so the order is total (``"01"`` and ``"1"`` both sort, deterministically).
    """
    parts = []
    for component in str(name).replace("\\", "/").split("/"):
        key = []
        for i, chunk in enumerate(_CHUNKS.split(component)):
            if i % 2:  # a digit run, compared by value without int(): a 5001-digit run is past int()'s limit
                digits = chunk.lstrip("0")
                key.append((0, len(digits), digits))
            elif chunk:
                key.append((1, 0, chunk.lower()))
        parts.append(tuple(key))
    return tuple(parts), str(name)


def natural_sorted(names) -> list:
    """``sorted(names)`` in natural order (see :func:`natural_key`)."""
    return sorted(names, key=natural_key)


def sanitize_member(name: str) -> str:
    """A zip member name made safe to use as a relative path: no ``..``, no absolute or drive prefix.

    ``"../evil.png"`` -> ``"evil.png"``, ``"/etc/x"`` -> ``"etc/x"``, ``"C:\\a\\b"`` -> ``"a/b"``.
    Returns ``""`` when nothing safe is left (the member should then be ignored).
    """
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", ".", ".."):
            continue
        if re.fullmatch(r"[A-Za-z]:", part):  # Windows drive letter
            continue
        parts.append(part)
    return "/".join(parts)


def safe_component(text: str) -> str:
    """One path component limited to ``[A-Za-z0-9._-]`` (other characters become ``_``)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"
    return out


def output_name(relpath: str, is_video_file: bool) -> str:
    """The frame-folder name ``convert`` writes for a video: sanitised components, video suffix dropped.

    ``"cats/My Clip.mp4"`` -> ``"cats/My_Clip"``. Keeps the folder structure so folder labels survive.
    """
    path = PurePosixPath(sanitize_member(relpath))
    parts = list(path.parts)
    if is_video_file and parts:
        parts[-1] = PurePosixPath(parts[-1]).stem
    return "/".join(safe_component(p) for p in parts) or "video"
