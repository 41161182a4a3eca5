"""The control store: quota, speed limiter, ban, breaker, fetch locks and statistics, on disk.

Every worker process reads and writes the same database, so the limits hold machine-wide. When
this process cannot keep it on disk (it cannot be opened, or a read or write fails: full disk,
read-only folder, corrupt file), it carries on in a per-process ``MemoryStore`` so that fetch
locks, statistics and the product index keep working, but it says so: ``not_shared_reason``
names the folder and the cause, ``CacheHealth.limits_problem`` shows it, and the attempt gate
(``affsite.limits``) refuses every gateway call meanwhile. Limits kept per process would
multiply the daily quota by the number of workers (and reset it at every restart).

Every ``RECOVERY_INTERVAL`` (monotonic clock, injected) the disk is tried again with a probe
write, reopening it if it never opened; when that works, gateway calls resume by themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from affsite.cache.disk import RECOVERY_INTERVAL, DiskStore, StoreSite
from affsite.cache.health import StoreMode, describe_error
from affsite.cache.memory import MemoryStore
from affsite.cache.protocol import StoreError, T, Tx

log = logging.getLogger(__name__)

PROBE_KEY = "ctl:probe"


def limits_problem(folder: Path, cause: str, *, failed: str = "written") -> str:
    """The sentence shown while the shared limits cannot be kept."""
    return (
        f"the cache folder {folder} cannot be {failed}: {cause}; free disk space or fix permissions"
    )


class ControlStore:
    """The control store on disk, continuing in memory (and saying so) while the disk fails."""

    def __init__(self, site: StoreSite) -> None:
        self.name = site.name
        self.path = site.path
        self._site = site
        self._health = site.health
        self._clock = site.clock
        self._lock = threading.Lock()
        self._disk: DiskStore | None = None
        self._memory: MemoryStore | None = None
        self._problem: str | None = None
        self._failed_at = float("-inf")
        try:
            self._disk = DiskStore.open(site)
        except Exception as error:  # any failure at all: the limits are unavailable
            log.error("control store %s could not be opened: %s", site.path, error)
            self._health.record(site.name, describe_error(error))
            self._to_memory(describe_error(error))
        else:
            self._health.set_mode(site.name, StoreMode.DISK)

    # switching between disk and memory ----------------------------------------------------

    def _to_memory(self, cause: str, *, failed: str = "written") -> MemoryStore:
        problem = limits_problem(self.path.parent, cause, failed=failed)
        with self._lock:
            self._failed_at = self._clock()
            self._problem = problem
            if self._memory is None:
                read = self._disk.get if self._disk is not None else None
                self._memory = MemoryStore(self.name, read_through=read, clock=self._clock)
                log.error("control store %s: %s; gateway calls are stopped", self.path, cause)
            memory = self._memory
        self._health.set_mode(self.name, StoreMode.MEMORY)
        self._health.set_limits(problem, cause)
        return memory

    def _current(self) -> DiskStore | MemoryStore:
        memory = self._memory
        if memory is None:
            assert self._disk is not None  # no memory store means the disk opened
            return self._disk
        if self._clock() - self._failed_at < RECOVERY_INTERVAL:
            return memory
        return self._try_disk() or memory

    def _try_disk(self) -> DiskStore | None:
        """Open the disk if needed and prove it writable; None while it still fails.

        One thread per process tries; the others carry on in memory meanwhile.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._memory is None:
                return self._disk
            if self._clock() - self._failed_at < RECOVERY_INTERVAL:
                return None
            self._failed_at = self._clock()
            disk = self._disk
            try:
                if disk is None:
                    disk = self._disk = DiskStore.open(self._site)
                disk.atomic(lambda tx: tx.set(PROBE_KEY, time.time()))
            except Exception as error:  # still failing: stay in memory
                cause = describe_error(error)
                self._problem = limits_problem(self.path.parent, cause)
                self._health.set_limits(self._problem, cause)
                return None
            self._memory = None
            self._problem = None
        finally:
            self._lock.release()
        self._health.set_mode(self.name, StoreMode.DISK)
        self._health.set_limits(None)
        log.warning("control store %s works again; gateway calls resume", self.path)
        return disk

    def not_shared_reason(self) -> str | None:
        """Why the state here is this process's own right now (tries the disk when due)."""
        self._current()
        return self._problem if self._memory is not None else None

    # the Store interface ------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        store = self._current()
        if isinstance(store, DiskStore):
            try:
                return store.read(key, default)
            except StoreError as error:
                # A limit that cannot be read is not known: treated like one not written.
                self._to_memory(str(error), failed="read")
                return default
        return store.get(key, default)

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        store = self._current()
        if isinstance(store, DiskStore):
            try:
                return store.atomic(operation)
            except StoreError as error:
                store = self._to_memory(str(error))
        return store.atomic(operation)

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        def write(tx: Tx) -> bool:
            tx.set(key, value, expire)
            return True

        return self.atomic(write)

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return self.atomic(lambda tx: tx.add(key, value, expire))

    def delete(self, key: str) -> bool:
        return self.atomic(lambda tx: tx.delete(key))

    def clear(self) -> int:
        return self._current().clear()

    def count(self) -> int:
        return self._current().count()

    def volume(self) -> int:
        return self._disk.volume() if self._disk is not None else 0

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
