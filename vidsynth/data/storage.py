"""Where dataset files live. A *storage* lists relative file names and reads them, so the video and
frame readers work the same on a folder (:class:`DirStorage`) and on a zip (``zipdata.ZipStorage``)."""
from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

from vidsynth.data.naming import natural_sorted


# A `vidsynth train` run folder holds config.json and, from its first seconds on, at least one of these.
RUN_FOLDER_FILES = ("stats.jsonl", "reals.mp4", "snapshots.jsonl")


def holds_run_files(filenames) -> bool:
    """Whether a folder holding ``filenames`` looks like a vidsynth run folder (``config.json`` beside
    ``stats.jsonl``, ``reals.mp4`` or ``snapshots.jsonl``): its samples must never be read back as training
    data. The walker's test, by file names only (no reads, and the data layer does not import training);
    what a run folder *is* is ``vidsynth.training.run_dir.is_run_folder`` (config.json with training options)."""
    return "config.json" in filenames and any(f in filenames for f in RUN_FOLDER_FILES)


class DirStorage:
    """Files under a folder, found recursively. Names are POSIX paths relative to ``root``.

    Hidden files and folders (``.name``) are ignored.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self):
        return f"DirStorage('{self.root}')"

    def list_files(self) -> list[str]:
        """Every file under the folder once, in natural order (the one walker for datasets and caches).

        Symbolic links are followed, but a folder reached a second time (a loop such as ``x -> .``,
        or two links to one folder) is not entered again, and a file reached by two names counts
        once: identity is ``(device, inode)``. Run folders (see :func:`holds_run_files`) are left out,
        so ``train --data .`` never trains on its own samples. Both are named in a :class:`DataWarning`.
        """
        names, seen_dirs, seen_files, again, runs = [], set(), set(), [], []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            rel = Path(dirpath).relative_to(self.root)
            try:
                st = os.stat(dirpath)
            except OSError:
                dirnames[:] = []
                continue
            if (st.st_dev, st.st_ino) in seen_dirs:
                dirnames[:] = []  # reached again through a link: never enter it twice
                again.append(rel.as_posix())
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            if rel.parts and holds_run_files(filenames):
                dirnames[:] = []
                runs.append(rel.as_posix())
                continue
            dirnames[:] = natural_sorted(d for d in dirnames if not d.startswith("."))
            for f in natural_sorted(filenames):
                if f.startswith("."):
                    continue
                try:
                    fst = os.stat(os.path.join(dirpath, f))
                    identity = (fst.st_dev, fst.st_ino)
                except OSError:  # a dangling link: listed, so opening the dataset names it as unreadable
                    identity = None
                else:
                    if not stat.S_ISREG(fst.st_mode):
                        continue  # a FIFO, socket or device: reading it could block forever

                if identity is not None and identity in seen_files:
                    again.append((rel / f).as_posix())
                    continue
                seen_files.add(identity)
                names.append((rel / f).as_posix())
        if again or runs:
            from vidsynth.data.videos import DataWarning

            if again:
                warnings.warn(f"'{self.root}': {len(again)} folder(s) or file(s) reached a second time through "
                              f"symbolic links (a link loop such as 'x -> .', or two links to one place) were "
                              f"listed once, e.g. '{again[0]}'", DataWarning, stacklevel=2)
            if runs:
                warnings.warn(f"'{self.root}': left out {len(runs)} vidsynth run folder(s) (their samples are not "
                              f"training data), e.g. '{runs[0]}'", DataWarning, stacklevel=2)
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
