"""Old import paths kept for one release after the 0.2 restructure (see CHANGELOG.md).

An old module becomes a two-line shim::

    from vidsynth.utils.deprecation import moved_module
    moved_module(__name__, "vidsynth.video.write")

Importing it warns once (``DeprecationWarning``, pointing at the importer's line) and then *is* the
new module (``sys.modules`` holds the new one under the old name), so attributes, monkeypatching and
``isinstance`` checks see one set of objects. ``tests/test_deprecations.py`` finds every shim, checks
it warns, resolves and is listed in CHANGELOG.md, and that no code of ours still uses an old path.
"""
from __future__ import annotations

import importlib
import sys
import types
import warnings

REMOVED_IN = "0.3"


def moved_module(old: str, *new: str) -> None:
    """Make module ``old`` an alias of module ``new`` (or, when it was split, a module holding the
    public names of every ``new`` module, first one wins), with a DeprecationWarning."""
    warnings.warn(
        f"{old} moved to {' and '.join(new)} in vidsynth 0.2; the old path is removed in {REMOVED_IN} "
        "(see CHANGELOG.md)",
        DeprecationWarning,
        stacklevel=3,  # 1 this function, 2 the shim; warnings skips importlib's frames
    )
    modules = [importlib.import_module(name) for name in new]
    if len(modules) == 1:
        sys.modules[old] = modules[0]
        return
    split = types.ModuleType(old, f"Deprecated: split into {', '.join(new)}.")
    for module in reversed(modules):
        split.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    sys.modules[old] = split


def moved_names(module: str, names: dict[str, str]):
    """A module-level ``__getattr__`` for names that left ``module`` while the module itself stays
    (e.g. it became a package): ``names`` maps each old name to its new module. Accessing one warns
    (``DeprecationWarning`` at the importer's line) and returns the object from its new home."""
    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(f"{module}.{name} moved to {names[name]}.{name} in vidsynth 0.2; the old name is removed in "
                      f"{REMOVED_IN} (see CHANGELOG.md)", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(names[name]), name)
    return __getattr__
