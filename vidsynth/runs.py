"""Run folders and crash-safe files.

A run lives in ``<outdir>/NNNNN-<method>-<dataset>/``: auto-numbered so runs never overwrite each
other. Every file a run writes goes through ``atomic_write_*``: written to a temporary file in the
same folder, flushed to disk, then renamed over the target, so a crash leaves the old or the new
file, never half of one.
"""
from __future__ import annotations

import json
import math
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
        except OSError as e:  # a read-only or full --outdir
            raise VidsynthError(f"cannot create the run folder '{run}': {e.strerror}. Choose another --outdir or "
                                "fix its permissions.") from None


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
    try:
        with open(path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
    except OSError as e:
        raise VidsynthError(f"cannot append to '{path}' ({e.strerror or e}); is the folder writable, with free "
                            "space?") from None


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        # skipped too: valid JSON that is not a record (`[1]`, `"x"`), or whose counters are not numbers
        if isinstance(record, dict) and all(_is_number(record[k]) for k in COUNTERS if k in record):
            out.append(record)
    return out


COUNTERS = ("kimg", "step", "time")  # written as numbers in every .jsonl of a run folder


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class RunLock:
    """An exclusive lock on a run folder: ``<run>/.lock`` holds the owner's pid and host.

    Two processes training into one run folder (``train --resume`` started twice) would overwrite
    each other's checkpoints. The second is refused with the first one's pid. A lock left by a
    process that no longer exists on this host (killed with SIGKILL, machine rebooted) is stale
    and taken over. Hidden, so never listed as data.
    """

    NAME = ".lock"

    def __init__(self, run_dir: str | Path):
        import socket

        self.path = Path(run_dir) / self.NAME
        self.owner = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._check_stale()
                continue
            except OSError as e:
                raise VidsynthError(f"cannot lock the run folder '{run_dir}' ({e.strerror}); is it writable?") from None
            with os.fdopen(fd, "w") as f:
                f.write(self.owner + "\n")
            return
        raise VidsynthError(f"cannot lock the run folder '{run_dir}': '{self.path}' keeps reappearing")

    def _check_stale(self) -> None:
        """Remove the lock file if its owner is gone; raise if it is alive (or cannot be checked)."""
        import socket

        try:
            pid_text, _, host = self.path.read_text().strip().partition(" ")
            pid = int(pid_text)
        except FileNotFoundError:
            return  # released meanwhile: try again
        except (OSError, ValueError):
            pid, host = None, socket.gethostname()  # torn or empty lock file: its writer died mid-write
        if pid is not None and host != socket.gethostname():
            raise VidsynthError(f"run folder '{self.path.parent}' is locked by process {pid} on host {host}; if that "
                                f"process has ended, delete '{self.path}' and try again")
        if pid is not None and pid != os.getpid() and _alive(pid):
            raise VidsynthError(f"run folder '{self.path.parent}' is in use by process {pid} (lock file "
                                f"'{self.path}'); wait for it to end or stop it, then try again")
        self.path.unlink(missing_ok=True)  # stale: its owner is gone

    def release(self) -> None:
        try:
            if self.path.read_text().strip() == self.owner:
                self.path.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def find_run(path: str | Path) -> Path:
    """Accept a run folder path; a clear error when it is not one."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise VidsynthError(f"'{path}' is not a vidsynth run folder (no config.json). "
                            "Pass a folder made by 'vidsynth train', e.g. runs/00000-digan-shapes.")
    return path
