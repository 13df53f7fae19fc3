"""Where dataset files live. A *storage* lists relative file names and reads them, so the video and
frame readers work the same on a folder (:class:`DirStorage`) and on a zip (``zipdata.ZipStorage``)."""
from __future__ import annotations

import io
import os
from pathlib import Path

from vidsynth.data.naming import natural_sorted


class DirStorage:
    """Files under a folder, found recursively. Names are POSIX paths relative to ``root``.

    Hidden files and folders (``.name``) are ignored.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self):
        return f"DirStorage('{self.root}')"

    def list_files(self) -> list[str]:
        names = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root)
            for f in filenames:
                if not f.startswith("."):
                    names.append((rel / f).as_posix())
        return natural_sorted(names)

    def path(self, name: str) -> Path:
        return self.root / name

    def size(self, name: str) -> int:
        return self.path(name).stat().st_size

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def read_bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def open_binary(self, name: str):
        """A seekable binary file object (for PIL)."""
        return open(self.path(name), "rb")

    def av_input(self, name: str):
        """What ``av.open`` should get: a real path, so FFmpeg can seek in the file itself."""
        return str(self.path(name))

    def display(self, name: str) -> str:
        """How to name the file in messages."""
        return str(self.path(name))


def bytes_input(data: bytes):
    """``av.open``-able in-memory file."""
    return io.BytesIO(data)
