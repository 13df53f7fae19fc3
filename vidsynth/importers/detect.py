"""Tell checkpoint formats apart by content (never by file name), reading them safely.

- a ``torch.save`` file (zip, or the legacy format) is read with ``weights_only=True``: a rosinality
  StyleGAN2 checkpoint has ``g_ema``/``g`` or ``input.input``; a MoCoGAN-HD motion generator has
  ``enc_cell.*``/``cell.*``/``w``;
- anything else is read as a network pickle by the restricted unpickler: ``G_ema`` with coordinate
  fusers is DIGAN, ``G_ema`` with ``synthesis.b4.const`` is StyleGAN2-ADA / StyleGAN3 config F.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from vidsynth.errors import CheckpointError

FORMATS = ("digan", "stylegan2-ada", "mocogan-hd", "rosinality")

# The legacy torch.save format starts with a pickled magic number.
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def detect_format(path: str | os.PathLike) -> tuple[str, object]:
    """``(format, what was read)`` so that the importer does not read the file twice."""
    from vidsynth.importers.mocogan_hd import is_motion_state_dict
    from vidsynth.importers.rosinality import read_checkpoint
    from vidsynth.importers.safe_pickle import PersistentObject, flatten_state_dict, read_network_pickle

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    torch_file = zipfile.is_zipfile(path)
    content = None
    if not torch_file:
        content = read_network_pickle(path)
        torch_file = content == _TORCH_LEGACY_MAGIC
    if torch_file:
        ckpt = read_checkpoint(path)
        if is_motion_state_dict(ckpt):
            return "mocogan-hd", ckpt
        if "g_ema" in ckpt or "g" in ckpt or "input.input" in ckpt:
            return "rosinality", ckpt
        raise CheckpointError(f"{path}: a PyTorch checkpoint, but neither a rosinality StyleGAN2 generator nor a "
                              f"MoCoGAN-HD motion generator; top-level keys: {sorted(map(str, ckpt))[:12]}")
    net = content.get("G_ema") if isinstance(content, dict) else None
    if isinstance(net, PersistentObject):
        keys = flatten_state_dict(net)
        if any("motion_encoder" in k or "time_encoder" in k for k in keys):
            raise CheckpointError(f"{path}: looks like a StyleGAN-V video generator, which vidsynth does not import "
                                  "(a different architecture)")
        if "synthesis.b4.input.input.coord_fuser.xyaffine.weight" in keys:
            return "digan", content
        if "synthesis.b4.const" in keys:
            return "stylegan2-ada", content
        if any(k.startswith("synthesis.L") for k in keys):
            raise CheckpointError(f"{path}: a StyleGAN3 (alias-free) generator; only StyleGAN2 / StyleGAN3 "
                                  "--cfg=stylegan2 generators can be imported")
    raise CheckpointError(f"{path}: unknown network pickle (no G_ema of DIGAN or StyleGAN2-ADA); pass --from to "
                          f"say which of {', '.join(FORMATS)} it is")
