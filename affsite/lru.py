"""A small, thread-safe, bounded least-recently-used map for per-process memos.

Used where redoing work per request costs more than a lookup: decoded products in the catalog,
drawn boxes and pages in the renderer, whole answers in the web layer. Entries are never stale
by time: callers put whatever makes an entry outdated (a fetch time, the settings shown) into
the key or the value.

Every memory is bounded by a number of entries and, when its values vary in size (drawn HTML,
answer bodies), by their bytes too: a worker's memory must not grow with the size of the site's
catalog or with the length of its pages (``docs/benchmarks.md``, memory per worker).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Bookkeeping per entry beyond the value itself (the ordered dict's slot and links, the key's
#: tuple, the count of bytes): what an entry of an empty value still costs.
ENTRY_OVERHEAD = 200


def text_bytes(value: str | bytes) -> int:
    """What a text or byte string occupies (a ``str`` takes 1, 2 or 4 bytes a character, as
    its widest character needs)."""
    return sys.getsizeof(value)


def pairs_bytes(pairs: Iterable[tuple[str, str]]) -> int:
    """What a tuple of header pairs occupies (each pair's tuple included)."""
    return sum(text_bytes(name) + text_bytes(value) + 56 for name, value in pairs)


class LRU(Generic[K, V]):
    """At most ``max_entries`` entries and, with ``weigh``, at most ``max_bytes`` by the sum
    of ``weigh(value) + ENTRY_OVERHEAD``; the least recently used go first. A value heavier
    than the whole budget is not kept."""

    def __init__(
        self,
        max_entries: int,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        if (max_bytes is None) != (weigh is None):
            raise ValueError("max_bytes and weigh go together")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._entries: OrderedDict[K, V] = OrderedDict()
        # Only a memory bounded by bytes keeps each entry's weight (most entries are not).
        self._sizes: dict[K, int] | None = {} if weigh is not None else None
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        sizes = self._sizes
        size = ENTRY_OVERHEAD + self._weigh(value) if self._weigh is not None else 0
        with self._lock:
            entries = self._entries
            if sizes is not None:
                self._bytes -= sizes.pop(key, 0)
                if self.max_bytes is not None and size > self.max_bytes:
                    entries.pop(key, None)
                    return
                sizes[key] = size
                self._bytes += size
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                dropped, _ = entries.popitem(last=False)
                if sizes is not None:
                    self._bytes -= sizes.pop(dropped)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made (outside the lock) and kept when missing."""
        value = self.get(key)
        if value is None:
            value = make()  # two threads may both make it once; either result is right
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            if self._sizes is not None:
                self._sizes.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def bytes(self) -> int:
        """The weighed size of what is kept (0 without ``weigh``: entries are not weighed)."""
        with self._lock:
            return self._bytes if self._weigh is not None else 0
