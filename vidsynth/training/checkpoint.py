"""Resume checkpoints: ``<run>/checkpoints/training_state-<step>.pt`` plus a ``.sha256`` beside it.

Each is written atomically (temp file, fsync, rename), holds only tensors, numbers, strings and
dicts (so ``torch.load(weights_only=True)`` reads it and nothing is unpickled), and is verified
against its checksum on load; the last ``keep`` are kept. Resuming picks the newest one that
verifies, so a crash while writing costs at most the work since the previous checkpoint.
"""
from __future__ import annotations

import hashlib
import pickle
import re
import warnings
from pathlib import Path

import torch

from vidsynth.errors import CheckpointError
from vidsynth.runs import RUN_NAME, atomic_write, atomic_write_text

PATTERN = re.compile(r"^training_state-(\d+)\.pt$")
FORMAT_VERSION = 1
# What the training loop reads from a checkpoint; a file without them is not ours.
REQUIRED_KEYS = ("trainer", "step", "nimg", "method", "config")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoints of a run, newest first."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := PATTERN.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def save(run_dir: Path, state: dict, step: int, keep: int = 3) -> Path:
    path = Path(run_dir) / "checkpoints" / f"training_state-{step:09d}.pt"
    state = dict(state, format_version=FORMAT_VERSION)
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    atomic_write_text(path.with_suffix(".pt.sha256"), sha256(path) + "\n")
    for old in (list_checkpoints(run_dir)[keep:] if keep > 0 else []):   # keep=0: keep every checkpoint
        old.unlink(missing_ok=True)
        old.with_suffix(".pt.sha256").unlink(missing_ok=True)
    return path


def load(path: Path) -> dict:
    """Load and verify one checkpoint; CheckpointError if corrupt, unsafe or not ours."""
    path = Path(path)
    digest_file = path.with_suffix(".pt.sha256")
    try:
        if digest_file.exists():
            expected = digest_file.read_text(errors="replace").strip()
            if sha256(path) != expected:
                raise CheckpointError(f"'{path}' fails its checksum (truncated or corrupted)")
        # weights_only: only tensors and plain containers are rebuilt; any other pickled object (code)
        # is refused before it is created.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except Exception as e:  # UnpicklingError (unsafe or corrupt), RuntimeError (bad zip), EOFError, OSError ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        kind = "refused by the safe loader" if isinstance(e, pickle.UnpicklingError) else type(e).__name__
        raise CheckpointError(f"'{path}' is not a loadable vidsynth checkpoint ({kind}: {first[:200]})") from None
    missing = [k for k in REQUIRED_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(f"'{path}' is not a vidsynth training state (missing {', '.join(missing)})")
    if not isinstance(state["config"], dict) or not all(isinstance(state["config"].get(k), dict)
                                                        for k in ("method", "loop")):
        raise CheckpointError(f"'{path}' is not a vidsynth training state (its 'config' lacks method/loop)")
    return state


def _resolve_run(resume: str | Path, outdir: str | Path, method: str) -> Path:
    if str(resume) != "auto":
        run = Path(resume)
        if not run.is_dir():
            raise CheckpointError(f"cannot resume: '{run}' is not a folder. Pass a run folder such as "
                                  f"runs/00003-{method}-shapes, or --resume auto")
        return run
    outdir = Path(outdir)
    runs = sorted((p for p in outdir.iterdir() if RUN_NAME.match(p.name) and f"-{method}-" in p.name
                   and list_checkpoints(p)), reverse=True) if outdir.is_dir() else []
    if not runs:
        raise CheckpointError(f"--resume auto found no {method} run with a checkpoint in '{outdir}'")
    return runs[0]


def load_latest(resume: str | Path, outdir: str | Path, method: str) -> tuple[Path, dict]:
    """(run folder, state) of the newest checkpoint that verifies; older ones are tried in turn."""
    run = _resolve_run(resume, outdir, method)
    candidates = list_checkpoints(run)
    if not candidates:
        raise CheckpointError(f"cannot resume '{run}': it has no checkpoints/training_state-*.pt yet")
    errors = []
    for path in candidates:
        try:
            state = load(path)
        except CheckpointError as e:
            errors.append(str(e))
            warnings.warn(f"skipping bad checkpoint: {e}")
            continue
        if state.get("method") != method:
            raise CheckpointError(f"'{path}' is a {state.get('method')!r} checkpoint, not {method!r}; "
                                  f"use --method {state.get('method')}")
        return run, state
    raise CheckpointError(f"no valid checkpoint in '{run}':\n  " + "\n  ".join(errors))
