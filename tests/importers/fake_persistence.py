"""Build network pickles in the official NVIDIA format (StyleGAN2-ADA / DIGAN snapshots) around plain tensors.

The real files cannot ship with the tests (they embed the official source code). This helper writes the
same byte-level structure: every network is a ``torch_utils.persistence`` record
``_reconstruct_persistent_obj({'type': 'class', 'version': 6, 'module_src': <code>, 'class_name': ...,
'state': <the module __dict__>})`` with ``_parameters`` / ``_buffers`` / ``_modules`` /
``_init_kwargs`` (a ``dnnlib.util.EasyDict``), plain ``torch.nn.Sequential`` containers,
``torch.distributions`` objects and numpy scalars, as ``pickle.dump`` of the official code writes them.

The stand-in modules ``torch_utils.persistence`` and ``dnnlib.util`` exist only while pickling; the
stand-in ``_reconstruct_persistent_obj`` writes a marker file and raises, so a test can prove that the
importer never called it.
"""
from __future__ import annotations

import collections
import contextlib
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import torch

CALLED_MARKER = "persistence_was_called"


def _reconstruct_persistent_obj(meta):  # pragma: no cover - must never run during an import
    Path(meta.get("marker", CALLED_MARKER)).write_text("the official reconstruct function ran")
    raise RuntimeError("torch_utils.persistence._reconstruct_persistent_obj was called")


class EasyDict(dict):
    """Stand-in for ``dnnlib.util.EasyDict`` (a dict subclass, pickled by class reference)."""


@contextlib.contextmanager
def stand_in_modules():
    """Register ``torch_utils.persistence`` and ``dnnlib.util`` stand-ins while pickling."""
    made = {}
    for name in ("torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util"):
        if name not in sys.modules:
            made[name] = sys.modules[name] = types.ModuleType(name)
    persistence, util = sys.modules["torch_utils.persistence"], sys.modules["dnnlib.util"]
    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    util.EasyDict = EasyDict
    try:
        yield
    finally:
        for name in made:
            del sys.modules[name]
        _reconstruct_persistent_obj.__module__ = __name__
        EasyDict.__module__, EasyDict.__qualname__ = __name__, "EasyDict"


def _easy(value):
    if isinstance(value, dict):
        return EasyDict({k: _easy(v) for k, v in value.items()})
    return value


class Persistent:
    """One pickled network: ``__reduce__`` emits the persistence record with a code string."""

    def __init__(self, class_name: str, state: dict, module_src: str = "# official module source (stand-in)\n",
                 extra_meta: dict | None = None):
        self.class_name, self.state, self.module_src, self.extra_meta = class_name, state, module_src, extra_meta

    def __reduce__(self):
        meta = dict(type="class", version=6, module_src=self.module_src, class_name=self.class_name,
                    state=self.state, **(self.extra_meta or {}))
        return (_reconstruct_persistent_obj, (meta,))


BUFFER_NAMES = ("resample_filter", "w_avg", "noise_const")


def module_tree(flat: dict[str, np.ndarray | torch.Tensor], class_name: str, init_kwargs: dict | None = None,
                sequential: tuple[str, ...] = ("motion_mlp",), module_src: str | None = None, extra: dict | None = None):
    """Nested persistence records for a flat official state dict (``'a.b.weight' -> array``).

    Sub-modules named in ``sequential`` become real ``torch.nn.Sequential`` objects (as in the official
    CoordFuser); the rest are persistence records, as the official ``@persistent_class`` layers.
    """
    leaves, children = collections.OrderedDict(), collections.OrderedDict()
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if rest:
            children.setdefault(head, collections.OrderedDict())[rest] = value
        else:
            leaves[head] = torch.as_tensor(np.asarray(value)).clone()
    params = collections.OrderedDict((k, torch.nn.Parameter(v, requires_grad=False))
                                     for k, v in leaves.items() if k not in BUFFER_NAMES)
    buffers = collections.OrderedDict((k, v) for k, v in leaves.items() if k in BUFFER_NAMES)
    modules = collections.OrderedDict()
    for name, sub in children.items():
        node = module_tree(sub, name, {}, sequential, module_src)
        if name in sequential:
            seq = torch.nn.Sequential()
            seq._modules = node.state["_modules"]
            node = seq
        modules[name] = node
    state = {"training": False, "_parameters": params, "_buffers": buffers,
             "_non_persistent_buffers_set": set(), "_backward_hooks": collections.OrderedDict(),
             "_forward_hooks": collections.OrderedDict(), "_forward_pre_hooks": collections.OrderedDict(),
             "_state_dict_hooks": collections.OrderedDict(), "_load_state_dict_pre_hooks": collections.OrderedDict(),
             "_modules": modules, "_init_args": (), "_init_kwargs": _easy(init_kwargs or {}),
             "weight_gain": np.float64(0.125)}                                   # a numpy scalar, as official
    state.update(extra or {})
    kwargs = {} if module_src is None else {"module_src": module_src}
    return Persistent(class_name, state, **kwargs)


def write_pickle(path: Path, obj, protocol: int = 3) -> Path:
    """``pickle.dump`` with the stand-in modules registered (protocol 3: what Python 3.7 / torch 1.x wrote)."""
    with stand_in_modules(), open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return Path(path)


def split(npz, prefix: str) -> dict[str, np.ndarray]:
    """``{'g/a.b': x}`` -> ``{'a.b': x}`` for one prefix of a fixture."""
    return {k[len(prefix) + 1:]: npz[k] for k in npz.files if k.startswith(prefix + "/")}
