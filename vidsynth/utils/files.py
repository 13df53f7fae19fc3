"""Crash-safe files: the one set of atomic writers and the JSON-lines log format.

Every file vidsynth writes goes through :func:`atomic_write` (or :func:`atomic_target` for writers
that stream into a file over many calls): written to a temporary file in the same folder, flushed
to disk, then renamed over the target, so a crash or a full disk leaves the old or the new file,
never half of one. Logs (``stats.jsonl``, ``metrics.jsonl``, ...) are appended one JSON line per
record; :func:`read_jsonl` skips the torn last line a crash can leave.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

from vidsynth.errors import VidsynthError


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some filesystems refuse to open a folder)."""
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


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (``os.umask`` must set it to read it,
    which a thread creating a file at that moment would see)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    """The permissions a written file gets: those of the file it replaces, else what ``open()`` would give
    (0o666 less the umask). ``mkstemp`` creates 0o600, which would hide every sample, model and report
    from the rest of a shared machine's group."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


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
        os.chmod(tmp, _final_mode(path))
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


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def atomic_target(path: str | Path) -> Path:
    """A fresh temporary file beside ``path``, for writers that stream into it over many calls and
    then ``os.replace`` it over ``path`` (the caller removes it on failure)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    os.chmod(tmp, _final_mode(path))
    return Path(tmp)


# How libraries report a failed write when it is not an OSError: torch.save (its zip writer, e.g.
# "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534" on a full disk) and
# safetensors ("Error while serializing: I/O error: No space left on device (os error 28)").
_WRITE_FAILURES = ("inline_container.cc", "PytorchStreamWriter", "No space left", "os error 28",
                   "I/O error", "Disk quota exceeded")


def is_write_failure(error: BaseException) -> bool:
    """Whether ``error`` (raised while writing a file) means the write failed: full disk, no permission, I/O."""
    return isinstance(error, OSError) or (isinstance(error, Exception) and
                                          any(s in str(error) for s in _WRITE_FAILURES))


def append_jsonl(path: str | Path, *records: dict) -> None:
    """Append one JSON line per record in a single write, flushed to disk (so a crash tears at most
    the last line, which :func:`read_jsonl` skips, and concurrent appenders never interleave lines)."""
    text = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise VidsynthError(f"cannot append to '{path}' ({e.strerror or e}); is the folder writable, with free "
                            "space?") from None


COUNTERS = ("kimg", "step", "time")  # written as numbers in every .jsonl of a run folder


def read_jsonl(path: str | Path) -> list[dict]:
    """Every record of a JSON-lines file (``[]`` when it does not exist).

    Skipped: lines that are not JSON (a torn last line), JSON that is not a record (``[1]``,
    ``"x"``), and records whose counters (:data:`COUNTERS`) are not finite numbers."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(record, dict) and all(_is_number(record[k]) for k in COUNTERS if k in record):
            out.append(record)
    return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
