"""A short shared log of records every machine reads: ``Journal``, and ``MemoryJournal``.

Some state is kept on each machine, in its own folder, because a shared document of it would
cost more the bigger the site (the product index: ``affsite.catalog.index_journal``). Each
machine then appends what it changed to the journal and reads, now and then, what the others
appended after the last record it read, so that every machine's copy follows the same
changes. The journal keeps records for a while only (``KEEP_SECONDS``): a machine that was
away for longer misses some, which is acceptable only for state that is a hint.

Positions are opaque strings that sort as the records were appended (``position_after``).
With Redis the journal is a stream (``redis_journal``); ``MemoryJournal`` is one process's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

KEEP_SECONDS = 3600.0  # records older than this may be dropped
START = "0-0"  # the position before every record


class Journal(Protocol):
    """What the machines share: records appended in order, read from a position on."""

    def append(self, record: dict[str, Any]) -> bool:
        """Add ``record`` (JSON-safe) at the end; False when it could not be (it is lost)."""
        ...

    def read_after(self, position: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``limit`` records after ``position``, oldest first, each with its
        position; [] when there are none or the journal cannot be read now."""
        ...

    def last_position(self) -> str | None:
        """The position of the newest record (``START`` when there is none), or None when
        the journal cannot be read now."""
        ...


def position_key(position: str) -> tuple[int, int]:
    """A position as a sortable pair (``"1700000000000-3"`` -> ``(1700000000000, 3)``).

    >>> position_key("12-3") < position_key("12-10") < position_key("13-0")
    True
    """
    first, _, second = position.partition("-")
    try:
        return int(first), int(second or 0)
    except ValueError:
        return 0, 0


class MemoryJournal:
    """A ``Journal`` in this process's memory (tests, and one machine without Redis)."""

    def __init__(
        self, *, keep_seconds: float = KEEP_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._records: list[tuple[str, float, dict[str, Any]]] = []
        self._counter = 0
        self.failing = False  # tests: as if the shared journal could not be reached

    def append(self, record: dict[str, Any]) -> bool:
        if self.failing:
            return False
        now = self._clock()
        with self._lock:
            self._counter += 1
            self._records.append((f"{int(now * 1000)}-{self._counter}", now, dict(record)))
            self._records = [item for item in self._records if item[1] >= now - self.keep_seconds]
        return True

    def read_after(self, position: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        if self.failing:
            return []
        after = position_key(position)
        with self._lock:
            found = [(pos, rec) for pos, _, rec in self._records if position_key(pos) > after]
        return [(pos, dict(rec)) for pos, rec in found[:limit]]

    def last_position(self) -> str | None:
        if self.failing:
            return None
        with self._lock:
            return self._records[-1][0] if self._records else START
