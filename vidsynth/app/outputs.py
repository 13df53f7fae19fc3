"""Where the app's renders go: every video as a playable mp4 plus a gif (both offered for download)
and every still frame as a png, numbered in one output folder so nothing is overwritten."""
from __future__ import annotations

import itertools
import threading
from pathlib import Path

import torch

from vidsynth.video.write import make_grid, to_uint8_frames, write_png, write_video


class OutputFolder:
    """Writes renders of one app session into ``root`` (``00001-<name>.mp4|gif|png``)."""

    def __init__(self, root: str | Path, fps: int = 8):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.fps = fps
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()            # callbacks may run in parallel threads

    def _path(self, name: str, suffix: str) -> Path:
        """``root/NNNNN-name.suffix`` (dots in ``name``, e.g. times like 0.5, are kept)."""
        with self._lock:
            number = next(self._numbers)
        return self.root / f"{number:05d}-{name}{suffix}"

    def video(self, videos: torch.Tensor, name: str, nrow: int | None = None) -> tuple[str, list[str]]:
        """``videos [B, 3, T, H, W]`` in [-1, 1] -> one grid video: ``(mp4 path, [mp4, gif])``."""
        grid = make_grid(videos, nrow) if len(videos) > 1 else videos[0]        # [3, T, H', W']
        mp4 = self._path(name, ".mp4")
        mp4 = write_video(mp4, grid, fps=self.fps)
        gif = write_video(mp4.with_suffix(".gif"), grid, fps=self.fps)
        return str(mp4), [str(mp4), str(gif)]

    def image(self, videos: torch.Tensor, name: str, nrow: int | None = None) -> str:
        """The first frame of ``videos [B, 3, T, H, W]`` (a grid if B > 1) as a png; returns its path."""
        grid = make_grid(videos[:, :, :1], nrow) if len(videos) > 1 else videos[0, :, :1]   # [3, 1, H', W']
        return str(write_png(self._path(name, ".png"), to_uint8_frames(grid)[0]))
