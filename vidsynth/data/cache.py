"""A small least-recently-used cache bounded by bytes, for decoded + resized videos.

Short videos are read again and again (one random clip per visit); decoding an mp4 costs far more
than slicing an array already in memory. Each process (DataLoader worker) keeps its own cache.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np


class ByteLRU:
    """``get``/``put`` numpy arrays; evicts least recently used entries beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = 256 << 20):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0

    def __len__(self):
        return len(self._items)

    def get(self, key):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key, value: np.ndarray) -> None:
        if value.nbytes > self.max_bytes:
            return
        if key in self._items:
            self._bytes -= self._items.pop(key).nbytes
        self._items[key] = value
        self._bytes += value.nbytes
        while self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0
