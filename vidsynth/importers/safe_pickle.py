"""A restricted unpickler for NVIDIA-style network pickles (StyleGAN2-ADA, StyleGAN3, DIGAN snapshots).

Those ``.pkl`` files are written with plain ``pickle.dump`` and their networks are
``torch_utils.persistence`` objects: each one carries the *source code* of its module and, on a
normal ``pickle.load``, that code is ``exec``-ed. Loading a downloaded snapshot the usual way
therefore runs whatever the file contains.

``read_network_pickle`` never imports or executes anything from the file. ``find_class`` resolves
only a fixed table of names:

- tensor / storage reconstruction (storages are re-read with ``torch.load(weights_only=True)``),
  ``collections.OrderedDict``, numpy array reconstruction, ``torch.Size`` / dtypes / devices and
  plain builtin data types (``set``, ``dict``, ``list``, ...);
- ``torch_utils.persistence._reconstruct_persistent_obj`` -> a ``PersistentObject`` stand-in that
  keeps the saved state (parameters, buffers, submodules, init kwargs) and ignores the source code;
- classes of the frameworks these files legitimately reference (``torch.nn.modules.*``,
  ``torch.distributions.*``, ``omegaconf.*``, ``dnnlib.*``, the official ``training.*`` /
  ``torch_utils.*`` modules) -> inert ``PickledObject`` stand-ins that only record their state.

Every other global (``os.system``, ``builtins.eval``, ``subprocess``, ...) is refused with an
``UnsafePickleError`` naming it, before anything could be called.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from vidsynth.errors import CheckpointError


class UnsafePickleError(CheckpointError):
    """The pickle references something outside the allow-list; nothing from it was run."""


class PickledObject:
    """Inert stand-in for an instance of an admitted foreign class: records args, items and state."""

    qualname = "?"

    def __new__(cls, *args, **kwargs):       # NEWOBJ and REDUCE both land here; __init__ is object's
        obj = super().__new__(cls)
        obj.args, obj.kwargs, obj.state, obj.items, obj.list = args, kwargs, None, {}, []
        return obj

    def __setstate__(self, state):
        self.state = state

    def __setitem__(self, key, value):   # SETITEMS of dict subclasses (EasyDict, DictConfig content, ...)
        self.items[key] = value

    def append(self, value):             # APPENDS of list subclasses
        self.list.append(value)

    def extend(self, values):
        self.list.extend(values)

    def __repr__(self):
        return f"<pickled {self.qualname}>"


class PersistentObject(PickledObject):
    """Stand-in for a ``torch_utils.persistence`` object: its class name and saved ``__dict__``.

    The module source code stored next to it is dropped unread (only its length is kept).
    """

    def __init__(self, class_name: str, state: dict, source_chars: int):
        self.class_name, self.state, self.source_chars = class_name, state, source_chars
        self.qualname = f"persistent {class_name}"

    def __repr__(self):
        return f"<persistent {self.class_name}>"


def module_state(obj) -> dict | None:
    """The ``__dict__`` of a pickled ``torch.nn.Module`` stand-in (None if ``obj`` is not one)."""
    state = obj.state if isinstance(obj, PickledObject) else None
    if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):  # (dict, slots)
        state = state[0]
    if isinstance(state, dict) and "_parameters" in state and "_modules" in state:
        return state
    return None


def flatten_state_dict(obj, prefix: str = "") -> dict[str, torch.Tensor]:
    """``state_dict()`` of a pickled module tree: parameters and (persistent) buffers by dotted name."""
    state = module_state(obj)
    if state is None:
        raise CheckpointError(f"'{prefix.rstrip('.') or 'network'}' is not a pickled torch module ({obj!r})")
    out: dict[str, torch.Tensor] = {}
    non_persistent = state.get("_non_persistent_buffers_set") or set()
    for group in ("_parameters", "_buffers"):
        for name, value in (state.get(group) or {}).items():
            if value is None or (group == "_buffers" and name in non_persistent):
                continue
            if not isinstance(value, torch.Tensor):
                raise CheckpointError(f"'{prefix}{name}' is a {type(value).__name__}, not a tensor")
            out[prefix + name] = value.detach()
    for name, child in (state.get("_modules") or {}).items():
        if child is not None:
            out.update(flatten_state_dict(child, f"{prefix}{name}."))
    return out


def init_kwargs(obj) -> dict:
    """The constructor kwargs a persistence object recorded (``_init_kwargs``), as plain containers."""
    state = module_state(obj) or {}
    return plain(state.get("_init_kwargs") or {})


def plain(value):
    """EasyDict / OrderedDict / DictConfig stand-ins -> plain dicts and lists (for reading kwargs)."""
    if isinstance(value, PickledObject):
        if value.items or value.qualname.endswith("EasyDict"):
            return {k: plain(v) for k, v in value.items.items()}
        content = value.state.get("_content") if isinstance(value.state, dict) else None
        if isinstance(content, dict):          # omegaconf DictConfig: {key: ValueNode}
            return {k: plain(v) for k, v in content.items()}
        if isinstance(value.state, dict) and "_val" in value.state:   # omegaconf ValueNode
            return plain(value.state["_val"])
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


# ---------------------------------------------------------------- the allow-list

def _load_storage_from_bytes(data: bytes):
    """Replacement for ``torch.storage._load_from_bytes``: the bytes are a ``torch.save`` of a storage,
    read with ``weights_only=True`` so that they cannot smuggle code either."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafePickleError("a storage record holds something other than bytes")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafePickleError(f"a tensor storage record holds Python objects other than tensors ({e})") from None


def _reconstruct_persistent_obj(meta):
    """Replacement for ``torch_utils.persistence._reconstruct_persistent_obj``: keeps the state,
    never looks at (let alone runs) ``meta['module_src']``."""
    if isinstance(meta, PickledObject):        # an EasyDict stand-in
        meta = meta.items
    if not isinstance(meta, dict) or not isinstance(meta.get("class_name"), str) or meta.get("type") != "class":
        raise UnsafePickleError("a torch_utils.persistence record is malformed (expected type='class', "
                                "class_name and state)")
    state = meta.get("state")
    state = plain(state) if isinstance(state, PickledObject) else state
    if not isinstance(state, dict):
        raise UnsafePickleError(f"the persistence record of {meta['class_name']} has no state dict")
    src = meta.get("module_src")
    obj = PersistentObject(meta["class_name"], state, len(src) if isinstance(src, str) else 0)
    return obj


def _reconstructor(cls, base, state):
    """Replacement for ``copyreg._reconstructor`` (protocol 0/1 objects): only stand-in classes."""
    if not (isinstance(cls, type) and issubclass(cls, PickledObject)):
        raise UnsafePickleError(f"copyreg._reconstructor called on {cls!r}")
    obj = cls.__new__(cls)
    obj.state = state
    return obj


def _latin1_bytes(text, encoding="latin1"):
    """``_codecs.encode`` as protocols 0-2 use it to store bytes (``encode(str, 'latin1')``); nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode called with {type(text).__name__}, {encoding!r}")
    return text.encode("latin1")


def _defaultdict(*args):
    """``collections.defaultdict`` without its factory (the factory is never called)."""
    return collections.defaultdict(None)


class _Marker:
    """An inert name such as ``typing.Any`` (appears as a value in omegaconf metadata)."""

    def __init__(self, qualname):
        self.qualname = qualname

    def __repr__(self):
        return self.qualname


_FUNCTIONS = {
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): torch._utils._rebuild_parameter_with_state,
    ("torch.storage", "_load_from_bytes"): _load_storage_from_bytes,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "defaultdict"): _defaultdict,
    ("_codecs", "encode"): _latin1_bytes,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("typing", "Any"): _Marker("typing.Any"),
}
# numpy's array reconstruction lives in numpy.core (numpy 1) or numpy._core (numpy 2).
try:
    from numpy._core.multiarray import _reconstruct as _np_reconstruct, scalar as _np_scalar
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct as _np_reconstruct, scalar as _np_scalar
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _FUNCTIONS[(_mod, "_reconstruct")] = _np_reconstruct
    _FUNCTIONS[(_mod, "scalar")] = _np_scalar

# Plain data types only: constructing one from already-admitted values runs no foreign code.
_BUILTIN_TYPES = {t.__name__: t for t in (set, frozenset, dict, list, tuple, str, int, float, bool, complex,
                                          bytes, bytearray, slice, range, object)}

# Module prefixes whose classes may appear in a network pickle; they become inert stand-ins.
STUB_PREFIXES = ("torch.nn.modules.", "torch.nn.parameter", "torch.distributions.", "omegaconf.", "dnnlib.",
                 "training.", "torch_utils.", "metrics.")

_stub_classes: dict[str, type] = {}


def _stub_class(module: str, name: str) -> type:
    qualname = f"{module}.{name}"
    if qualname not in _stub_classes:
        _stub_classes[qualname] = type(name, (PickledObject,), {"qualname": qualname})
    return _stub_classes[qualname]


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` consults the allow-list above and nothing else."""

    def find_class(self, module: str, name: str):
        # Python 2 names used by protocols 0-2 (__builtin__, copy_reg) -> Python 3 names.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if (module, name) in _FUNCTIONS:
            return _FUNCTIONS[(module, name)]
        if module == "builtins" and name in _BUILTIN_TYPES:
            return _BUILTIN_TYPES[name]
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        if module.startswith(STUB_PREFIXES) and name.isidentifier() and not name.startswith("__"):
            return _stub_class(module, name)
        raise UnsafePickleError(f"refused to load {module}.{name}: the file asks to call or build it, and only "
                                "tensors, plain containers and network state are read from a network pickle")

    def persistent_load(self, pid):
        raise UnsafePickleError(f"unexpected persistent id {pid!r} (not a plain pickle.dump network pickle)")


def read_network_pickle(path: str | os.PathLike):
    """Read a NVIDIA-style ``.pkl`` without running any code from it; returns the top-level object
    (for snapshots a dict ``{'G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs', ...}``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        with open(path, "rb") as f:
            return RestrictedUnpickler(f).load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{path}: {e}. Nothing from the file was run. If you trust it, convert it in "
                                "its own code base to a state dict; vidsynth will not execute it.") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            RuntimeError) as e:
        raise CheckpointError(f"{path}: not a readable network pickle ({type(e).__name__}: {e})") from None
