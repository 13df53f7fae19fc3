"""Datasets stored in a ``.zip``: frame folders (the fast format ``vidsynth dataset convert`` writes)
or video files, read straight from the archive without extracting anything to disk.

Member names are sanitised (``..``, absolute paths and drive letters removed) so a hostile archive
cannot make us read or write outside it. The zip is opened lazily, once per process: a ``ZipFile``
handle shared across a ``fork`` (DataLoader workers) would have processes moving one file offset.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from vidsynth.utils.limits import MAX_MEMBER_ENV, max_member_bytes
from vidsynth.data.naming import natural_sorted, sanitize_member
from vidsynth.data.storage import bytes_input
from vidsynth.video.read import VideoReadError


class ZipStorage:
    """Files inside a zip archive, by sanitised relative name (see :func:`naming.sanitize_member`)."""

    def __init__(self, path: str | os.PathLike):
        self.root = Path(path)
        self._zip = None
        self._pid = None
        self._members = None  # sanitised name -> ZipInfo

    def __repr__(self):
        return f"ZipStorage('{self.root}')"

    def __getstate__(self):  # never send an open handle to another process
        state = self.__dict__.copy()
        state["_zip"], state["_pid"] = None, None
        return state

    def _file(self) -> zipfile.ZipFile:
        if self._zip is None or self._pid != os.getpid():
            try:
                self._zip = zipfile.ZipFile(self.root)
            except Exception as e:  # BadZipFile, OSError, and ValueError/OverflowError on a mangled directory
                from vidsynth.errors import DatasetError

                raise DatasetError(f"cannot open zip '{self.root}' ({type(e).__name__}: {e}); is it a complete "
                                   "zip file? Re-download it or re-create it with `vidsynth dataset convert`") from None
            self._pid = os.getpid()
        return self._zip

    def members(self) -> dict[str, zipfile.ZipInfo]:
        if self._members is None:
            members = {}
            for info in self._file().infolist():
                if info.is_dir():
                    continue
                name = sanitize_member(info.filename)
                if not name or any(p.startswith(".") or p == "__MACOSX" for p in name.split("/")):
                    continue
                if name in members:  # two members for one name: which one is meant is anyone's guess
                    from vidsynth.errors import DatasetError

                    raise DatasetError(f"zip '{self.root}' holds two members named '{name}' ('{members[name].filename}'"
                                       f" and '{info.filename}'); which one is meant is ambiguous. Re-create the "
                                       "zip with unique names")
                members[name] = info
            self._members = members
        return self._members

    def list_files(self) -> list[str]:
        return natural_sorted(self.members())

    def size(self, name: str) -> int:
        return self.members()[name].file_size

    def exists(self, name: str) -> bool:
        return name in self.members()

    def read_bytes(self, name: str) -> bytes:
        """The member's bytes; refused above :func:`max_member_bytes` (a 1 MB zip can hold a member that
        inflates to gigabytes). The declared size is a real bound: ``zipfile`` never returns more bytes
        than a member declares (it stops there and fails the CRC check), so a lying header cannot
        sneak a larger member past this check."""
        info, limit = self.members()[name], max_member_bytes()
        if info.file_size > limit:
            raise VideoReadError(f"zip member '{name}' inflates to {info.file_size} bytes, above the limit of "
                                 f"{limit} bytes per member; set {MAX_MEMBER_ENV} to a larger number of bytes "
                                 "to allow it")
        return self._file().read(info)

    def open_binary(self, name: str):
        return io.BytesIO(self.read_bytes(name))

    def av_input(self, name: str):
        return bytes_input(self.read_bytes(name))

    def display(self, name: str) -> str:
        return f"{self.root}:{name}"
