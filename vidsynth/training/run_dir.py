"""Run folders: naming, locking, and the one answer to "is this a run folder, where is its model".

A run lives in ``<outdir>/NNNNN-<method>-<dataset>/``: auto-numbered so runs never overwrite each
other. It holds ``config.json`` (the training options: :func:`is_run_folder` tests for them), the
``*.jsonl`` logs, sample grids, ``checkpoints/`` and the exported model ``model/`` (snapshots in
``model-<kimg>/``). Every file a run writes goes through ``vidsynth.utils.files`` (atomic writes).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

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


def read_run_config(path: str | Path) -> dict | None:
    """The training options a run folder's ``config.json`` holds, or None when ``path`` is no run folder.

    This is the one definition of a run folder: a folder whose ``config.json`` was written by
    ``vidsynth train``, i.e. holds the loop options (``"loop"``). An exported model's ``config.json``
    holds ``class_name`` and constructor arguments instead, so the two are never confused.
    """
    try:
        config = json.loads((Path(path) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) and "loop" in config else None


def is_run_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder made by ``vidsynth train`` (see :func:`read_run_config`)."""
    return read_run_config(path) is not None


def require_run_folder(path: str | Path) -> Path:
    """``path`` when it is a run folder; a clear error when it is not."""
    path = Path(path)
    if not is_run_folder(path):
        raise VidsynthError(f"'{path}' is not a vidsynth run folder (no config.json with training options). "
                            "Pass a folder made by 'vidsynth train', e.g. runs/00000-digan-shapes.")
    return path


def find_run_folder(path: str | Path) -> Path | None:
    """The run a model came from: ``path`` itself, a snapshot's parent (``run/model-<kimg>``) or a
    checkpoint's run (``run/checkpoints/training_state-*.pt``); None when it came from no run."""
    path = Path(path)
    return next((folder for folder in (path, path.parent, path.parent.parent) if is_run_folder(folder)), None)


def is_model_folder(path: str | Path) -> bool:
    """Whether ``path`` holds an exported model (``config.json`` + ``model.safetensors``) or is a run folder
    (whose model is ``model/``): what ``vidsynth.load`` accepts besides a checkpoint file."""
    path = Path(path)
    return path.is_dir() and ((path / "config.json").is_file() or (path / MODEL_DIR).is_dir())


MODEL_DIR = "model"  # a run's latest exported model; snapshots are model-<kimg>/, the best model-best/


def resolve_model_folder(path: str | Path) -> Path:
    """The exported model folder ``path`` names: ``path/model`` for a run folder, ``path`` itself for an
    exported model folder (``model-<kimg>/``, ``model-best/``, a ``vidsynth export`` folder).

    Raises :class:`~vidsynth.errors.CheckpointError` saying what is missing otherwise."""
    from vidsynth.errors import CheckpointError

    path = Path(path)
    if (path / MODEL_DIR / "config.json").is_file():
        return path / MODEL_DIR
    if is_run_folder(path) and not (path / MODEL_DIR).exists():
        raise CheckpointError(f"'{path}' is a training run without an exported model yet: the model is written "
                              "at the first snapshot (--snapshot-kimg) and when training stops")
    if not (path / "config.json").is_file():
        raise CheckpointError(f"'{path}' holds no exported model: expected '{path}/model/config.json' (a run "
                              f"folder after its first snapshot) or '{path}/config.json' (an exported model)")
    return path


def run_metrics_log(fake) -> tuple[Path, dict] | None:
    """Where results about ``fake`` are logged: a training run's own ``metrics.jsonl`` for the run folder
    or one of its snapshot folders (``model``, ``model-<kimg>``, ``model-best``; the record then names the
    snapshot), else nowhere (exported models, folders of videos are inputs, not runs)."""
    p = Path(str(fake)).expanduser()
    if not p.is_dir():
        return None
    if is_run_folder(p):
        return p / "metrics.jsonl", {}
    if p.name.startswith("model") and is_run_folder(p.parent):
        return p.parent / "metrics.jsonl", {"snapshot": p.name}
    return None
