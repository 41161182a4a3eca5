"""A diskcache store whose failures never escape, and the quarantine of corrupt databases.

* A store that cannot be opened because its database is corrupt ("file is not a database") is
  moved aside to ``<name>.corrupt-<UTC time>`` and created afresh.
* At run time, a failed read is a miss; a read that finds the database corrupt quarantines and
  recreates it; a failed write is dropped and counted. Only ``atomic`` raises (``StoreError``)
  so that a caller who must know (the control store) can tell.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import diskcache

from affsite.cache.health import CacheHealth, describe_error
from affsite.cache.protocol import StoreError, T, Tx
from affsite.files import ensure_private_dir

log = logging.getLogger(__name__)

# Quarantine at most once a minute per store, and keep only the newest few quarantined copies.
# The control store also tries its disk again at this interval after a failure.
RECOVERY_INTERVAL = 60.0
KEEP_QUARANTINED = 3

# Errors diskcache lets through from SQLite and the file system.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error,
    OSError,
    diskcache.Timeout,
    ValueError,
    TypeError,
)

Opener = Callable[[Path], Any]
R = TypeVar("R")


@dataclass(frozen=True, kw_only=True)
class StoreSite:
    """Where a store on disk lives and whom it tells: what ``DiskStore`` and ``ControlStore``
    are opened with (the control store opens its disk again with it after a failure)."""

    name: str  # the store's name in ``CacheHealth`` ("data", "ctl")
    path: Path  # its folder
    opener: Opener  # opens the diskcache ``Cache``/``FanoutCache`` in that folder
    health: CacheHealth  # where failures and quarantines are recorded
    clock: Callable[[], float] = time.monotonic  # monotonic seconds, pacing recovery


def is_corruption(error: BaseException) -> bool:
    """True for SQLite errors that mean the database file itself is damaged."""
    if isinstance(error, sqlite3.OperationalError):
        return False  # locked, disk full, I/O: the file may be fine
    return isinstance(error, sqlite3.DatabaseError)


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
        # In a folder shared with others, a look-alike name may not be ours to delete.
        with contextlib.suppress(OSError):
            if stale.lstat().st_uid == os.geteuid() and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    return target


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


class DiskStore:
    """A diskcache ``Cache``/``FanoutCache`` whose failures never escape (see module doc).

    Reads that fail are misses; writes that fail return False and are counted; a corrupt
    database is quarantined and reopened (at most once per ``RECOVERY_INTERVAL`` of the
    site's ``clock``, monotonic seconds).
    """

    def __init__(self, site: StoreSite) -> None:
        self.name = site.name
        self.path = site.path
        self._site = site
        self._lock = threading.Lock()
        self._last_recovery = float("-inf")
        self._cache = self._open()

    def _open(self) -> Any:
        ensure_private_dir(self.path)
        cache = self._site.opener(self.path)
        self._inode = self.path.stat().st_ino
        return cache

    @classmethod
    def open(cls, site: StoreSite) -> DiskStore:
        """Open the store, quarantining a corrupt database once.

        :raise Exception: whatever still fails after that (the caller degrades).
        """
        try:
            return cls(site)
        except sqlite3.DatabaseError as error:
            if not is_corruption(error):
                raise
            moved = quarantine(site.path)
            site.health.record(site.name, describe_error(error))
            if moved is None:
                raise
            site.health.quarantined.append(moved.name)
            return cls(site)

    # reading and writing ------------------------------------------------------------------

    def _failed(self, error: BaseException, *, write: bool) -> None:
        message = describe_error(error)
        self._site.health.record(self.name, message, write=write)
        log.warning("cache %s: %s failed: %s", self.name, "write" if write else "read", message)
        if is_corruption(error):
            self.recover()

    def _or_fallback(self, operation: Callable[[], R], fallback: R, *, write: bool) -> R:
        """``operation()``, or ``fallback`` once a store error is recorded: what every call
        but ``read`` and ``atomic`` does, so that no failure escapes into a request."""
        try:
            return operation()
        except STORE_ERRORS as error:
            self._failed(error, write=write)
            return fallback

    def read(self, key: str, default: Any = None) -> Any:
        """``get`` for callers that must tell a store that fails from a miss. A value that
        cannot be decoded (say, a pickle planted on disk) is a miss: the store itself works.

        :raise StoreError: the store could not be read.
        """
        try:
            return self._cache.get(key, default)
        except (ValueError, TypeError) as error:
            self._failed(error, write=False)
            return default
        except STORE_ERRORS as error:
            self._failed(error, write=False)
            raise StoreError(describe_error(error)) from error

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.read(key, default)
        except StoreError:
            return default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        return self._or_fallback(
            lambda: bool(self._cache.set(key, value, expire=expire)), False, write=True
        )

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        return self._or_fallback(
            lambda: bool(self._cache.add(key, value, expire=expire)), False, write=True
        )

    def delete(self, key: str) -> bool:
        return self._or_fallback(lambda: bool(self._cache.delete(key)), False, write=True)

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
        return self._or_fallback(lambda: int(self._cache.clear()), 0, write=True)

    def count(self) -> int:
        return self._or_fallback(lambda: len(self._cache), 0, write=False)

    def volume(self) -> int:
        return self._or_fallback(lambda: int(self._cache.volume()), 0, write=False)

    def close(self) -> None:
        with contextlib.suppress(*STORE_ERRORS):
            self._cache.close()

    def not_shared_reason(self) -> str | None:
        return None  # on disk, every process opens the same database

    # recovery -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Quarantine a corrupt database and open a fresh one (rate-limited, never raises).

        Another process may already have replaced the folder: then it is only reopened.
        """
        with self._lock:
            now = self._site.clock()
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
                    self._site.health.quarantined.append(moved.name)
            try:
                self._cache = self._open()
            except Exception as error:  # must not escape into a request
                self._site.health.record(self.name, describe_error(error))
                log.error("cache %s could not be reopened: %s", self.name, error)
