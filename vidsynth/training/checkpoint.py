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
from vidsynth.training.run_dir import RUN_NAME
from vidsynth.utils.files import atomic_write, atomic_write_text

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
    for f in (path, digest_file):
        if f.exists() and not f.is_file():  # a FIFO would block the read forever
            raise CheckpointError(f"'{f}' is not a regular file (a folder, FIFO or device)")
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
    problem = check_structure(state)
    if problem:
        raise CheckpointError(f"'{path}' is not a usable vidsynth training state: {problem}")
    return state


# Bounds on a checkpoint's structure. Ours nest about 6 deep (trainer -> optimizer -> state -> param ->
# tensor) and hold a few thousand entries; a hostile file can nest a list 100,000 deep or share one
# list many times (a DAG that expands exponentially when walked or turned into a dataclass).
MAX_DEPTH = 32
MAX_NODES = 1_000_000
MAX_COUNT = 2 ** 53  # step and nimg: exact in a float64, far beyond any real run (9e15 videos)
SCALARS = (bool, int, float, str, type(None))


def check_structure(state: dict) -> str:
    """The first problem with a loaded checkpoint's structure, or ``""``.

    Checks types and ranges of what the loop reads (``step``, ``nimg`` whole numbers in
    ``[0, 2^53]``, ``method`` a string, ``trainer`` a non-empty dict, every ``config`` value a
    plain scalar) and bounds the nesting (``MAX_DEPTH``) and size (``MAX_NODES``, counted as a tree,
    so shared sub-lists count every time they are reached) of the whole thing.
    """
    for key in ("step", "nimg"):
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            return f"'{key}' must be a whole number in [0, 2^53], got {_short(value)}"
    if not isinstance(state["method"], str):
        return f"'method' must be a string, got {_short(state['method'])}"
    if not isinstance(state["trainer"], dict) or not state["trainer"]:
        return "'trainer' must be a non-empty dict of network and optimizer states"
    for part in ("method", "loop"):
        for key, value in state["config"][part].items():
            if not isinstance(key, str) or not isinstance(value, SCALARS):
                name = key if isinstance(key, str) else _short(key)
                return f"config.{part}.{name} must be a number, string or boolean, got {type(value).__name__}"
    nodes, stack = 0, [(state, 0)]
    while stack:
        obj, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if nodes > MAX_NODES:
            return f"more than {MAX_NODES} entries"
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend((v, depth + 1) for v in obj)
    return ""


def _short(value) -> str:
    text = repr(value) if isinstance(value, SCALARS) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _resolve_run(resume: str | Path, outdir: str | Path, method: str) -> Path | None:
    if str(resume) != "auto":
        run = Path(resume)
        if not run.is_dir():
            raise CheckpointError(f"cannot resume: '{run}' is not a folder. Pass a run folder such as "
                                  f"runs/00003-{method}-shapes, or --resume auto")
        return run
    outdir = Path(outdir)
    runs = sorted((p for p in outdir.iterdir() if RUN_NAME.match(p.name) and f"-{method}-" in p.name
                   and (list_checkpoints(p) or (p / "config.json").is_file())), reverse=True) if outdir.is_dir() else []
    with_checkpoint = [p for p in runs if list_checkpoints(p)]
    if with_checkpoint:
        return with_checkpoint[0]
    return runs[0] if runs else None  # the newest run, stopped before its first checkpoint; or none yet


def load_latest(resume: str | Path, outdir: str | Path, method: str) -> tuple[Path | None, dict | None]:
    """(run folder, state) of the newest checkpoint that verifies; older ones are tried in turn.

    A run stopped before its first checkpoint gives ``(run, None)``: the caller starts it again from
    step 0 in the same folder (a scheduler that requeues a preempted job with ``--resume`` must not
    fail forever). ``--resume auto`` with no run of ``method`` in ``outdir`` gives ``(None, None)``.
    The state's ``"path"`` entry names the file it came from.
    """
    run = _resolve_run(resume, outdir, method)
    if run is None:
        return None, None
    candidates = list_checkpoints(run)
    if not candidates:
        if not (run / "config.json").is_file():
            raise CheckpointError(f"cannot resume '{run}': it is not a vidsynth run folder (no config.json and no "
                                  "checkpoints/training_state-*.pt)")
        return run, None
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
        return run, dict(state, path=str(path))
    raise CheckpointError(f"no valid checkpoint in '{run}':\n  " + "\n  ".join(errors))
