"""What every sampler returned by ``vidsynth.load`` shares: the wrapped generator (frozen, eval mode),
the export's metadata, and the device / resolution / ``to`` plumbing."""
from __future__ import annotations

import torch

from vidsynth.frame_rate import frame_rate


def item_generator(seed: int, index: int, device="cpu") -> torch.Generator:
    """The random stream of video (or image) ``index`` under ``seed``: independent of n and batch size."""
    return torch.Generator(device=device).manual_seed(hash((int(seed), int(index))) & 0x7FFF_FFFF_FFFF_FFFF)


class Sampler:
    def __init__(self, generator: torch.nn.Module, metadata: dict | None = None):
        self.generator = generator.eval().requires_grad_(False)
        self.metadata = metadata or {}
        self.train_frames = int(self.metadata.get("train_frames", 16))
        self.fps = frame_rate(self.metadata.get("fps", 8))  # Fraction: "30000/1001" stays exact
        self.class_names: list[str] = list(self.metadata.get("class_names", []))

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
