"""The two diskcache stores under ``<instance>/cache`` and what happens when the disk misbehaves.

Layout (every folder owner-only, mode 0700, created here before diskcache touches it)::

    <instance>/cache/data/   FanoutCache: product entries. Evicting (size limit): losing one
                             only costs a gateway call.
    <instance>/cache/ctl/    Cache(eviction_policy="none"): quota counter, speed limiter,
                             fetch locks, circuit breaker, ban, statistics. Never evicted: an
                             evicted bucket or lock would silently reset a limit.

Values go through ``JsonDisk``: numbers and strings are stored natively (so ``incr`` works),
everything else as JSON. Nothing is pickled, and a pickled value found on disk is refused,
because unpickling runs code.

Failure policy (nothing in here ever raises into a request):

* A store that cannot be opened because its database is corrupt ("file is not a database") is
  moved aside to ``<name>.corrupt-<UTC time>`` and created afresh.
* A store that cannot be opened for any other reason (disk full, permissions) is replaced by a
  stand-in with the same interface: ``NullStore`` for data (fetch without caching) and
  ``MemoryStore`` for control state (limits still hold, per process).
* At run time, a failed read is a miss; a read that finds the database corrupt quarantines and
  recreates it; a failed write is dropped (data) or makes the control store continue in memory
  for a while (``ControlStore``), so quotas and locks keep working on a full disk.
* Every problem is counted and described in plain words by ``CacheHealth`` for the dashboard.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import diskcache
from diskcache.core import MODE_PICKLE, UNKNOWN

from affsite.files import ensure_private_dir

log = logging.getLogger(__name__)

T = TypeVar("T")

DATA_SIZE_LIMIT = 512 * 1024 * 1024
DATA_SHARDS = 4
# Seconds a store waits for SQLite's write lock before giving up (it then counts as a failure).
DATA_TIMEOUT = 1.0
CONTROL_TIMEOUT = 5.0
# After a control-store write fails, stay in memory this long before trying the disk again.
CONTROL_RETRY_SECONDS = 60.0
# Quarantine at most once a minute per store, and keep only the newest few quarantined copies.
RECOVERY_INTERVAL = 60.0
KEEP_QUARANTINED = 3

_JSON_PREFIX = b"J"

# Errors diskcache lets through from SQLite and the file system.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error,
    OSError,
    diskcache.Timeout,
    ValueError,
    TypeError,
)


class StoreError(Exception):
    """An atomic operation on a store could not be carried out (nothing was changed)."""


def describe_error(error: BaseException) -> str:
    """Plain words for a storage failure, as shown on the dashboard."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the cache folder is not writable"
    if isinstance(error, diskcache.Timeout):
        return "the cache database stayed busy too long"
    message = str(error).strip() or type(error).__name__
    if "disk is full" in message:
        return "the disk is full"
    if "not a database" in message or "malformed" in message:
        return "the cache database is corrupt"
    if "locked" in message:
        return "the cache database stayed busy too long"
    return message


def is_corruption(error: BaseException) -> bool:
    """True for SQLite errors that mean the database file itself is damaged."""
    if isinstance(error, sqlite3.OperationalError):
        return False  # locked, disk full, I/O: the file may be fine
    return isinstance(error, sqlite3.DatabaseError)


class JsonDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache serialisation without pickle: str keys; int/float/str values natively,
    anything else JSON-encoded (``None``, bool, dict, list). Pickled rows are refused.
    """

    def put(self, key: Any) -> Any:
        if type(key) is not str:
            raise TypeError("cache keys are strings")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise ValueError("refusing a pickled cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> Any:
        if read:
            raise TypeError("file values are not stored in the cache")
        if type(value) in (int, float, str):
            return super().store(value, read, key=key)
        encoded = _JSON_PREFIX + json.dumps(value, separators=(",", ":")).encode("utf-8")
        return super().store(encoded, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_PICKLE:
            raise ValueError("refusing a pickled cache value")
        data = super().fetch(mode, filename, value, read)
        if isinstance(data, bytes):
            if not data.startswith(_JSON_PREFIX):
                raise ValueError("unknown cache value encoding")
            return json.loads(data[len(_JSON_PREFIX) :])
        return data


# --- the interface every store offers ----------------------------------------------------


class Tx(Protocol):
    """What an atomic block may do; every call belongs to the same transaction."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, expire: float | None = None) -> None: ...
    def add(self, key: str, value: Any, expire: float | None = None) -> bool: ...
    def delete(self, key: str) -> bool: ...


class Store(Protocol):
    """A key-value store with expiry (seconds from now, wall clock) that never raises from
    ``get``/``set``/``add``/``delete``; only ``atomic`` raises (``StoreError``).
    """

    name: str

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, expire: float | None = None) -> bool: ...
    def add(self, key: str, value: Any, expire: float | None = None) -> bool: ...
    def delete(self, key: str) -> bool: ...
    def atomic(self, operation: Callable[[Tx], T]) -> T: ...
    def clear(self) -> int: ...
    def count(self) -> int: ...
    def volume(self) -> int: ...
    def close(self) -> None: ...


# --- health ------------------------------------------------------------------------------


@dataclass
class StoreProblem:
    store: str
    message: str
    at: float


@dataclass
class CacheHealth:
    """Shared record of what went wrong with the stores of this process (thread-safe)."""

    modes: dict[str, str] = field(default_factory=dict)  # store -> "disk"|"memory"|"off"
    read_errors: int = 0
    write_errors: int = 0
    quarantined: list[str] = field(default_factory=list)
    problems: list[StoreProblem] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, store: str, message: str, *, write: bool | None = None) -> None:
        with self._lock:
            if write is True:
                self.write_errors += 1
            elif write is False:
                self.read_errors += 1
            if not self.problems or self.problems[-1].message != message:
                self.problems.append(StoreProblem(store, message, time.time()))
                del self.problems[:-10]

    def set_mode(self, store: str, mode: str) -> None:
        with self._lock:
            self.modes[store] = mode

    @property
    def degraded(self) -> bool:
        return any(mode != "disk" for mode in self.modes.values())

    def summary(self) -> str:
        """One sentence for the dashboard and ``affsite cache stats``."""
        data, ctl = self.modes.get("data", "disk"), self.modes.get("ctl", "disk")
        last = self.problems[-1].message if self.problems else None
        if data == "off":
            return (
                f"Caching is off ({last or 'the cache could not be opened'}): products are "
                "fetched without caching, which spends more of the daily quota."
            )
        if ctl == "memory":
            return (
                f"Shared limits are kept in memory ({last or 'the control store failed'}): "
                "quota and locks hold per worker process until the disk works again."
            )
        if self.write_errors:
            return f"Cache writes failed {self.write_errors} time(s); last problem: {last}."
        if self.quarantined:
            return f"A corrupt cache was moved aside to {self.quarantined[-1]} and rebuilt."
        return "Cache working normally."


# --- stand-ins ---------------------------------------------------------------------------


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
    """A per-process dict with expiry; the stand-in for the control store.

    ``read_through`` (optional) is consulted for keys this store has never seen, so state
    read from a disk that still reads but no longer writes (a full disk) carries over.
    """

    def __init__(
        self, name: str = "ctl", *, read_through: Callable[[str], Any] | None = None
    ) -> None:
        self.name = name
        self._items: dict[str, tuple[Any, float | None]] = {}
        self._lock = threading.RLock()
        self._read_through = read_through

    def _live(self, key: str) -> tuple[bool, Any]:
        item = self._items.get(key)
        if item is None:
            if self._read_through is not None:
                value = self._read_through(key)
                self._items[key] = (value, None)  # remembered, also when absent
                return value is not None, value
            return False, None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._items[key]
            return False, None
        return value is not None, value  # None marks a key deleted here

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            found, value = self._live(key)
            return value if found else default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        with self._lock:
            deadline = time.monotonic() + expire if expire is not None else None
            self._items[key] = (value, deadline)
            if len(self._items) > 100_000:  # bounded even if callers forget to expire
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


# --- the real thing ----------------------------------------------------------------------


class _DiskTx:
    def __init__(self, cache: diskcache.Cache) -> None:
        self._cache = cache

    def get(self, key: str, default: Any = None) -> Any:
        return self._cache.get(key, default)

    def set(self, key: str, value: Any, expire: float | None = None) -> None:
        self._cache.set(key, value, expire=expire)

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return bool(self._cache.add(key, value, expire=expire))

    def delete(self, key: str) -> bool:
        return bool(self._cache.delete(key))


Opener = Callable[[Path], Any]


def quarantine(path: Path) -> Path | None:
    """Move a damaged store folder aside (``<name>.corrupt-<UTC time>``); keep the newest few.

    Returns the new name, or None when there was nothing to move or it could not be moved.
    """
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        path.rename(target)
    except OSError as error:
        log.error("could not move the corrupt cache %s aside: %s", path, describe_error(error))
        return None
    log.error("cache %s was corrupt; moved it to %s and started a new one", path, target)
    old = sorted(path.parent.glob(f"{path.name}.corrupt-*"))
    for stale in old[:-KEEP_QUARANTINED]:
        shutil.rmtree(stale, ignore_errors=True)
    return target


class DiskStore:
    """A diskcache ``Cache``/``FanoutCache`` whose failures never escape (see module doc).

    Reads that fail are misses; writes that fail return False and are counted; a corrupt
    database is quarantined and reopened (at most once per ``RECOVERY_INTERVAL``).
    """

    def __init__(self, name: str, path: Path, opener: Opener, health: CacheHealth) -> None:
        self.name = name
        self.path = path
        self._opener = opener
        self._health = health
        self._lock = threading.Lock()
        self._last_recovery = float("-inf")
        self._cache = self._open()

    def _open(self) -> Any:
        ensure_private_dir(self.path)
        cache = self._opener(self.path)
        self._inode = self.path.stat().st_ino
        return cache

    @classmethod
    def open(cls, name: str, path: Path, opener: Opener, health: CacheHealth) -> DiskStore:
        """Open the store, quarantining a corrupt database once.

        :raise Exception: whatever still fails after that (the caller degrades).
        """
        try:
            return cls(name, path, opener, health)
        except sqlite3.DatabaseError as error:
            if not is_corruption(error):
                raise
            moved = quarantine(path)
            health.record(name, describe_error(error))
            if moved is None:
                raise
            health.quarantined.append(moved.name)
            return cls(name, path, opener, health)

    # reading and writing ------------------------------------------------------------------

    def _failed(self, error: BaseException, *, write: bool) -> None:
        message = describe_error(error)
        self._health.record(self.name, message, write=write)
        log.warning("cache %s: %s failed: %s", self.name, "write" if write else "read", message)
        if is_corruption(error):
            self.recover()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._cache.get(key, default)
        except STORE_ERRORS as error:
            self._failed(error, write=False)
            return default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        try:
            return bool(self._cache.set(key, value, expire=expire))
        except STORE_ERRORS as error:
            self._failed(error, write=True)
            return False

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        try:
            return bool(self._cache.add(key, value, expire=expire))
        except STORE_ERRORS as error:
            self._failed(error, write=True)
            return False

    def delete(self, key: str) -> bool:
        try:
            return bool(self._cache.delete(key))
        except STORE_ERRORS as error:
            self._failed(error, write=True)
            return False

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        """Run ``operation`` in one write transaction (other processes wait for it).

        :raise StoreError: the transaction could not run or commit; nothing was changed.
        """
        cache = self._cache
        try:
            with cache.transact():
                return operation(_DiskTx(cache))
        except STORE_ERRORS as error:
            self._failed(error, write=True)
            raise StoreError(describe_error(error)) from error

    def clear(self) -> int:
        try:
            return int(self._cache.clear())
        except STORE_ERRORS as error:
            self._failed(error, write=True)
            return 0

    def count(self) -> int:
        try:
            return len(self._cache)
        except STORE_ERRORS as error:
            self._failed(error, write=False)
            return 0

    def volume(self) -> int:
        try:
            return int(self._cache.volume())
        except STORE_ERRORS as error:
            self._failed(error, write=False)
            return 0

    def close(self) -> None:
        with contextlib.suppress(*STORE_ERRORS):
            self._cache.close()

    # recovery -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Quarantine a corrupt database and open a fresh one (rate-limited, never raises).

        Another process may already have replaced the folder: then it is only reopened.
        """
        with self._lock:
            now = time.monotonic()
            if now - self._last_recovery < RECOVERY_INTERVAL:
                return
            self._last_recovery = now
            self.close()
            try:
                same_folder = self.path.stat().st_ino == self._inode
            except OSError:
                same_folder = False
            if same_folder:
                moved = quarantine(self.path)
                if moved is not None:
                    self._health.quarantined.append(moved.name)
            try:
                self._cache = self._open()
            except Exception as error:  # noqa: BLE001 - must not escape into a request
                self._health.record(self.name, describe_error(error))
                log.error("cache %s could not be reopened: %s", self.name, error)


class ControlStore:
    """The control store on disk, continuing in memory while the disk refuses writes.

    A failed write (full disk, read-only folder, corrupt file) switches this process to a
    ``MemoryStore`` that reads through to the disk for keys it has not seen, so the quota
    count carries on from the shared value. After ``CONTROL_RETRY_SECONDS`` the disk is tried
    again. While in memory, limits hold per process rather than machine-wide.
    """

    def __init__(self, disk: DiskStore, health: CacheHealth) -> None:
        self.name = disk.name
        self._disk = disk
        self._health = health
        self._memory: MemoryStore | None = None
        self._memory_since = 0.0
        self._lock = threading.Lock()

    def _current(self) -> Store:
        memory = self._memory
        if memory is None:
            return self._disk
        if time.monotonic() - self._memory_since >= CONTROL_RETRY_SECONDS:
            with self._lock:
                self._memory = None
            self._health.set_mode(self.name, "disk")
            return self._disk
        return memory

    def _to_memory(self) -> MemoryStore:
        with self._lock:
            if self._memory is None:
                self._memory = MemoryStore(self.name, read_through=self._disk.get)
                self._memory_since = time.monotonic()
                self._health.set_mode(self.name, "memory")
                log.error("control store %s: writes fail; keeping limits in memory", self.name)
            return self._memory

    def get(self, key: str, default: Any = None) -> Any:
        return self._current().get(key, default)

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        store = self._current()
        if store.set(key, value, expire):
            return True
        return self._to_memory().set(key, value, expire) if store is self._disk else False

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        store = self._current()
        if store is not self._disk:
            return store.add(key, value, expire)
        try:
            return self._disk.atomic(lambda tx: tx.add(key, value, expire))
        except StoreError:
            return self._to_memory().add(key, value, expire)

    def delete(self, key: str) -> bool:
        store = self._current()
        if store is self._disk:
            try:
                return self._disk.atomic(lambda tx: tx.delete(key))
            except StoreError:
                return self._to_memory().delete(key)
        return store.delete(key)

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        store = self._current()
        if store is self._disk:
            try:
                return self._disk.atomic(operation)
            except StoreError:
                store = self._to_memory()
        return store.atomic(operation)

    def clear(self) -> int:
        return self._current().clear()

    def count(self) -> int:
        return self._current().count()

    def volume(self) -> int:
        return self._disk.volume()

    def close(self) -> None:
        self._disk.close()


# --- opening -----------------------------------------------------------------------------


def open_data_cache(path: Path) -> diskcache.FanoutCache:
    return diskcache.FanoutCache(
        str(path),
        shards=DATA_SHARDS,
        timeout=DATA_TIMEOUT,
        disk=JsonDisk,
        size_limit=DATA_SIZE_LIMIT,
        eviction_policy="least-recently-stored",
    )


def open_control_cache(path: Path) -> diskcache.Cache:
    return diskcache.Cache(
        str(path), timeout=CONTROL_TIMEOUT, disk=JsonDisk, eviction_policy="none"
    )


@dataclass
class CacheStores:
    """The data and control stores of one process, and their health."""

    data: Store
    ctl: Store
    health: CacheHealth
    directory: Path | None = None

    def close(self) -> None:
        self.data.close()
        self.ctl.close()


def memory_stores() -> CacheStores:
    """Stores without any disk (caching off, limits per process): tests and emergencies."""
    health = CacheHealth(modes={"data": "off", "ctl": "memory"})
    return CacheStores(NullStore("data"), MemoryStore("ctl"), health)


def open_stores(
    directory: Path,
    *,
    data_opener: Opener = open_data_cache,
    control_opener: Opener = open_control_cache,
) -> CacheStores:
    """Open (creating, mode 0700) ``directory/data`` and ``directory/ctl``. Never raises:
    whatever cannot be opened is replaced by its stand-in and recorded in ``health``.
    """
    health = CacheHealth()
    try:
        ensure_private_dir(directory)
    except OSError as error:
        health.record("cache", describe_error(error))
    data: Store
    ctl: Store
    try:
        data = DiskStore.open("data", directory / "data", data_opener, health)
        health.set_mode("data", "disk")
    except Exception as error:  # noqa: BLE001 - any failure to open means "no caching"
        log.error("cache %s could not be opened (%s): caching is off", directory, error)
        health.record("data", describe_error(error))
        health.set_mode("data", "off")
        data = NullStore("data")
    try:
        disk_ctl = DiskStore.open("ctl", directory / "ctl", control_opener, health)
        ctl = ControlStore(disk_ctl, health)
        health.set_mode("ctl", "disk")
    except Exception as error:  # noqa: BLE001 - limits then hold per process
        log.error(
            "control store in %s could not be opened (%s): limits in memory", directory, error
        )
        health.record("ctl", describe_error(error))
        health.set_mode("ctl", "memory")
        ctl = MemoryStore("ctl")
    return CacheStores(data, ctl, health, directory)


@contextlib.contextmanager
def opened_stores(directory: Path) -> Iterator[CacheStores]:
    stores = open_stores(directory)
    try:
        yield stores
    finally:
        stores.close()
