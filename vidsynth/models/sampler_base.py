"""What every sampler returned by ``vidsynth.load`` shares: the wrapped generator (frozen, eval mode),
the export's metadata, and the device / resolution / ``to`` plumbing."""
from __future__ import annotations

import torch

from vidsynth.errors import CheckpointError
from vidsynth.video.frame_rate import frame_rate


def _count(metadata: dict, key: str, default: int, low: int) -> int:
    """A whole-number metadata entry (``fps``, ``train_frames``) of an export's config.json, checked:
    a hand-edited ``"fps": "abc"``, ``null`` or ``-5`` is one clear error, not a traceback later."""
    value = metadata.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or \
            not low <= value <= 100_000 or value != int(value):
        raise CheckpointError(f"the model's metadata '{key}' must be a whole number in [{low}, 100000], got "
                              f"{value!r:.80}; fix or remove it in the model's config.json")
    return int(value)


def _frame_rate(metadata: dict):
    """The export's ``fps`` as an exact ``Fraction`` (default 8); a hand-edited ``"abc"`` or ``-5`` is one
    clear error."""
    value = metadata.get("fps")
    try:
        rate = frame_rate(8 if value is None else value)
        if rate > 100_000:
            raise ValueError
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        raise CheckpointError(f"the model's metadata 'fps' must be a positive frame rate (e.g. 8, 29.97 or "
                              f"\"30000/1001\"), got {value!r:.80}; fix or remove it in the model's config.json") from None
    return rate


class Sampler:
    def __init__(self, generator: torch.nn.Module, metadata: dict | None = None):
        self.generator = generator.eval().requires_grad_(False)
        self.metadata = metadata if isinstance(metadata, dict) else {}
        self.train_frames = _count(self.metadata, "train_frames", 16, low=1)
        self.fps = _frame_rate(self.metadata)  # Fraction: "30000/1001" stays exact
        names = self.metadata.get("class_names") or []
        if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
            raise CheckpointError(f"the model's metadata 'class_names' must be a list of strings, got {names!r:.80}; "
                                  "fix or remove it in the model's config.json")
        self.class_names: list[str] = names

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @property
    def resolution(self) -> int:
        return self.generator.resolution

    @property
    def width(self) -> int:
        """Frame width: ``resolution`` for square models, more or less for a rectangular DIGAN."""
        return getattr(self.generator, "width", self.generator.resolution)

    def to(self, device):
        self.generator.to(device)
        return self
