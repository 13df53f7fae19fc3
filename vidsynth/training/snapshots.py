"""Exported models of a run: one per snapshot, the latest, and the best by a named metric.

Layout of a run folder (every folder holds ``config.json`` + ``model.safetensors``, so
``vidsynth.load``, ``generate`` and ``metrics`` accept each of them directly)::

    model-000000.512/   the EMA generator at 0.512 kimg (one folder per snapshot; all, or the newest keep_models)
    model/              a copy of the newest snapshot
    model-best/         a copy of the snapshot with the best value of ``--best-by`` so far
    best.json           {"metric", "value", "kimg", "model", "lower_is_better"}: why model-best/ is that one

StyleGAN-V users pick the snapshot with the lowest FVD from the curves; ``--best-by fvd2048_16f``
does that during training. Lower is better for every metric except ``is`` (Inception Score).
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from vidsynth.errors import ConfigError
from vidsynth.utils.files import atomic_write, atomic_write_text

HIGHER_IS_BETTER = {"is"}            # metric kinds (vidsynth.metrics.protocols.KINDS) where larger is better
SNAPSHOT_PREFIX = "model-"
BEST = "model-best"


def snapshot_name(kimg: float) -> str:
    """``model-000000.512`` for 0.512 kimg: zero-padded so that names sort in training order."""
    return f"{SNAPSHOT_PREFIX}{kimg:010.3f}"


def list_snapshots(run_dir: str | Path) -> list[Path]:
    """Per-snapshot model folders of a run, oldest first (``model/`` and ``model-best/`` excluded)."""
    run_dir = Path(run_dir)
    found = []
    for p in run_dir.glob(f"{SNAPSHOT_PREFIX}*"):
        try:
            kimg = float(p.name[len(SNAPSHOT_PREFIX):])
        except ValueError:          # model-best
            continue
        if (p / "config.json").is_file():
            found.append((kimg, p))
    return [p for _, p in sorted(found)]


def lower_is_better(metric: str) -> bool:
    """True for fvd/kvd/ffid/fkid/acd (distances), False for is (a score): the kind is the name's letters."""
    kind = re.match(r"[a-z]*", metric.strip().lower()).group(0)
    return kind not in HIGHER_IS_BETTER


def validate_best_by(best_by: str, metrics: str) -> None:
    """``best_by`` must be one of the run's ``metrics`` (else it would never be computed)."""
    if not best_by:
        return
    names = [m.strip().lower() for m in metrics.split(",") if m.strip()]
    if best_by.strip().lower() not in names:
        listed = ", ".join(names) if names else "none"
        raise ConfigError(f"--best-by {best_by}: that metric is not computed during training (--metrics: {listed}); "
                          f"add it, e.g. --metrics {best_by} --best-by {best_by}")


def _copy_model(src: Path, dst: Path) -> None:
    """Copy an exported model folder file by file, each atomically (a crash leaves old or new files)."""
    for name in ("model.safetensors", "config.json"):   # config last: its presence marks a complete copy
        atomic_write(dst / name, lambda tmp, s=src / name: shutil.copyfile(s, tmp))


def save_snapshot_model(run_dir: str | Path, module, kwargs: dict, metadata: dict, kimg: float,
                        keep: int = 0) -> Path:
    """Export ``module`` to ``model-<kimg>/``, refresh ``model/`` (the latest) and delete all but the newest
    ``keep`` snapshot folders (``keep=0``: keep all); returns the snapshot folder."""
    from vidsynth.export import save_model

    run_dir = Path(run_dir)
    folder = save_model(module, run_dir / snapshot_name(kimg), kwargs, metadata)
    _copy_model(folder, run_dir / "model")
    for old in (list_snapshots(run_dir)[:-keep] if keep > 0 else []):   # model/ and model-best/ are copies
        shutil.rmtree(old, ignore_errors=True)
    return folder


def update_best(run_dir: str | Path, best_by: str, kimg: float, values: dict[str, float]) -> bool:
    """Copy ``model-<kimg>/`` to ``model-best/`` if its ``best_by`` value beats ``best.json``.

    ``values``: the metric values of this snapshot by name (what the snapshot callbacks returned).
    Returns True when model-best/ changed. A snapshot without a finite value for ``best_by`` is skipped.
    """
    import math

    if not best_by:
        return False
    run_dir = Path(run_dir)
    name = best_by.strip().lower()
    value = values.get(name)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    value = float(value)
    best_file = run_dir / "best.json"
    if best_file.is_file():
        try:
            best = json.loads(best_file.read_text())
        except (OSError, json.JSONDecodeError):
            best = None
        if best and best.get("metric") == name and (run_dir / BEST / "config.json").is_file():
            better = value < best["value"] if lower_is_better(name) else value > best["value"]
            if not better:
                return False
    source = run_dir / snapshot_name(kimg)
    _copy_model(source, run_dir / BEST)
    atomic_write_text(best_file, json.dumps({"metric": name, "value": value, "kimg": kimg, "model": source.name,
                                             "lower_is_better": lower_is_better(name)}, indent=2) + "\n")
    return True
