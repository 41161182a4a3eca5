"""Stores without a disk: ``NullStore`` (keeps nothing) and ``MemoryStore`` (one process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from affsite.cache.protocol import T, Tx

# A MemoryStore stays bounded even if callers forget to expire keys.
MEMORY_STORE_ITEMS = 100_000


class NullStore:
    """Remembers nothing: every read is a miss. Used when the data cache cannot be opened."""

    def __init__(self, name: str = "data") -> None:
        self.name = name

    def get(self, key: str, default: Any = None) -> Any:
        return default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        return False

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return False

    def delete(self, key: str) -> bool:
        return False

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        return operation(_NullTx())

    def clear(self) -> int:
        return 0

    def count(self) -> int:
        return 0

    def volume(self) -> int:
        return 0

    def close(self) -> None:
        return None

    def not_shared_reason(self) -> str | None:
        # Limits kept here would hold nothing: never a store for them.
        return "this store keeps nothing"


class _NullTx:
    def get(self, key: str, default: Any = None) -> Any:
        return default

    def set(self, key: str, value: Any, expire: float | None = None) -> None:
        return None

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return True

    def delete(self, key: str) -> bool:
        return False


class MemoryStore:
    """A per-process dict with expiry.

    Chosen on purpose as a control store (one process on its own, tests), it is that
    process's whole truth, so it reports no sharing problem. ``ControlStore`` also uses one
    while its disk fails, and then reports the problem itself.

    ``read_through`` (optional) is consulted for keys this store has never seen, so state
    read from a disk that still reads but no longer writes (a full disk) carries over.
    ``clock`` (monotonic seconds) decides expiry.
    """

    def __init__(
        self,
        name: str = "ctl",
        *,
        read_through: Callable[[str], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._items: dict[str, tuple[Any, float | None]] = {}
        self._lock = threading.RLock()
        self._read_through = read_through
        self._clock = clock

    def _live(self, key: str) -> tuple[bool, Any]:
        item = self._items.get(key)
        if item is None:
            if self._read_through is not None:
                value = self._read_through(key)
                self._items[key] = (value, None)  # remembered, also when absent
                return value is not None, value
            return False, None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._items[key]
            return False, None
        return value is not None, value  # None marks a key deleted here

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            found, value = self._live(key)
            return value if found else default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        with self._lock:
            deadline = self._clock() + expire if expire is not None else None
            self._items[key] = (value, deadline)
            if len(self._items) > MEMORY_STORE_ITEMS:
                self._items.pop(next(iter(self._items)))
            return True

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        with self._lock:
            found, _ = self._live(key)
            if found:
                return False
            return self.set(key, value, expire)

    def delete(self, key: str) -> bool:
        with self._lock:
            found, _ = self._live(key)
            if self._read_through is not None:
                self._items[key] = (None, None)  # must not come back from the disk
            else:
                self._items.pop(key, None)
            return found

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        with self._lock:
            return operation(_MemoryTx(self))

    def clear(self) -> int:
        with self._lock:
            count = len(self._items)
            self._items.clear()
            return count

    def count(self) -> int:
        with self._lock:
            return len(self._items)

    def volume(self) -> int:
        return 0

    def close(self) -> None:
        return None

    def not_shared_reason(self) -> str | None:
        return None


class _MemoryTx:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def get(self, key: str, default: Any = None) -> Any:
        return self._store.get(key, default)

    def set(self, key: str, value: Any, expire: float | None = None) -> None:
        self._store.set(key, value, expire)

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return self._store.add(key, value, expire)

    def delete(self, key: str) -> bool:
        return self._store.delete(key)
