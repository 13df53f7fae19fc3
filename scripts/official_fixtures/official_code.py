"""What the fixture scripts share: running an official checkout on CPU and writing its numbers.

Used by ``scripts/official_fixtures/digan.py``, ``scripts/official_fixtures/mocogan_hd.py`` and
``scripts/make_import_fixtures.py`` (import it after putting this folder on ``sys.path``); never
imported by vidsynth. Nothing in a checkout is edited: the CPU patches below live only while
``official_code`` is active.
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch


@contextlib.contextmanager
def official_code(*folders: Path, packages: tuple[str, ...]):
    """Official modules importable from ``folders`` (first on ``sys.path``), with the CPU patches:

    - ``np.float`` aliased to ``float`` (DIGAN's ``layers.py`` uses the alias NumPy 1.24 removed);
    - ``Tensor.cuda`` the identity (MoCoGAN-HD moves tensors to the GPU unconditionally).

    On exit ``sys.path``, ``Tensor.cuda`` and ``np.float`` are restored and the official top-level
    ``packages`` are forgotten, so that another checkout's package of the same name (DIGAN's and
    StyleGAN2-ADA's ``training``) can be imported next.
    """
    saved_path, saved_cuda, had_float = list(sys.path), torch.Tensor.cuda, "float" in vars(np)
    sys.path[:0] = [str(f) for f in folders]
    np.float = float  # noqa: NPY001
    torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.cuda = saved_cuda
        sys.path[:] = saved_path
        if not had_float:
            del np.float
        for name in [m for m in sys.modules if m.split(".")[0] in packages]:
            del sys.modules[name]


def require_checkout(checkout: Path, marker: str, repository: str) -> None:
    """Exit with code 2 and a one-line message unless ``checkout/marker`` exists."""
    if not (Path(checkout) / marker).is_file():
        print(f"error: {checkout}: not a {repository} checkout (no {marker}); fetch "
              f"github.com/{repository} and pass its folder", file=sys.stderr)
        raise SystemExit(2)


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """``np.savez_compressed`` written atomically (vidsynth's ``atomic_write``); arrays only, no pickles."""
    from vidsynth.utils.files import atomic_write

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)

    path = atomic_write(path, write)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(arrays)} arrays)")
    return path


def commit_of(checkout: Path) -> str:
    """The checkout's git commit, for the record of which official code made a fixture."""
    try:
        return subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
