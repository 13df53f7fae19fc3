"""What the fixture scripts share: running an official checkout on CPU and writing its numbers.

Used by ``scripts/official_fixtures/digan.py``, ``scripts/official_fixtures/mocogan_hd.py`` and
``scripts/make_import_fixtures.py`` (import it after putting this folder on ``sys.path``); never
imported by vidsynth. Nothing in a checkout is edited: the CPU patches of
``vidsynth.bench.official_code.official_code`` live only while it is active.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

# The import path and CPU patches (np.float, Tensor.cuda) live in the package, where
# ``vidsynth bench --measure official`` uses them too.
from vidsynth.bench.official_code import official_code  # noqa: F401  (re-exported for the fixture scripts)


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


def perturb(module: torch.nn.Module, seed: int, scale: float = 0.2) -> None:
    """Give every parameter and float buffer non-trivial values (zero biases would hide key swaps)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if t.is_floating_point() and not name.endswith("resample_filter"):
                t.add_(scale * torch.randn(t.shape, generator=gen))
