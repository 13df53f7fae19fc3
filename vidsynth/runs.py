"""Run folders and crash-safe files.

A run lives in ``<outdir>/NNNNN-<method>-<dataset>/``: auto-numbered so runs never overwrite each
other. Every file a run writes goes through ``atomic_write_*``: written to a temporary file in the
same folder, flushed to disk, then renamed over the target, so a crash leaves the old or the new
file, never half of one.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Callable

from vidsynth.errors import VidsynthError

RUN_NAME = re.compile(r"^(\d{5})-")


def _slug(text: str) -> str:
    text = text.replace("builtin:", "")
    text = Path(text.rstrip("/")).stem if ("/" in text or "." in text) else text
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-")[:40] or "data"


def new_run_dir(outdir: str | Path, method: str, data: str, name: str | None = None) -> Path:
    """Create ``outdir/NNNNN-method-name`` with the next free number."""
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VidsynthError(f"cannot create the output folder '{outdir}': {e.strerror}. "
                            "Choose another --outdir or fix its permissions.") from None
    numbers = [int(m.group(1)) for p in outdir.iterdir() if (m := RUN_NAME.match(p.name))]
    number = max(numbers, default=-1) + 1
    while True:
        run = outdir / f"{number:05d}-{method}-{_slug(name or data)}"
        try:
            run.mkdir()
            return run
        except FileExistsError:  # another process took this number
            number += 1


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then fsync and rename ``tmp_path`` over ``path``.

    On any failure (disk full, permission denied) the temporary file is removed and the previous
    ``path``, if any, is left untouched; the error names the file and what to do.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise VidsynthError(f"cannot write '{path}': {e.strerror}. Check that the folder exists, is writable "
                            "and has free space.") from None
    tmp = Path(tmp)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except Exception as e:
        if not is_write_failure(e):
            raise
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e).strip().splitlines()[0][:200]
        raise VidsynthError(f"could not write '{path}' ({reason}); the previous version, if any, is "
                            "intact. Free some disk space or choose a writable --outdir.") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


# How libraries report a failed write when it is not an OSError: torch.save (its zip writer, e.g.
# "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534" on a full disk) and
# safetensors ("Error while serializing: I/O error: No space left on device (os error 28)").
_WRITE_FAILURES = ("inline_container.cc", "PytorchStreamWriter", "No space left", "os error 28",
                   "I/O error", "Disk quota exceeded")


def is_write_failure(error: BaseException) -> bool:
    """Whether ``error`` (raised while writing a file) means the write failed: full disk, no permission, I/O."""
    return isinstance(error, OSError) or (isinstance(error, Exception) and
                                          any(s in str(error) for s in _WRITE_FAILURES))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def append_jsonl(path: str | Path, record: dict) -> None:
    """Append one JSON line (a torn last line from a crash is skipped by ``read_jsonl``)."""
    with open(path, "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def find_run(path: str | Path) -> Path:
    """Accept a run folder path; a clear error when it is not one."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise VidsynthError(f"'{path}' is not a vidsynth run folder (no config.json). "
                            "Pass a folder made by 'vidsynth train', e.g. runs/00000-digan-shapes.")
    return path
