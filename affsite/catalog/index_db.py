"""The product index's SQLite file: shared by every worker, owner-only, rebuilt when damaged.

``<cache>/index/index.sqlite3`` (folder 0700, files 0600) in WAL mode: readers never wait for
the writer, and a process killed in the middle of a write leaves the last committed state
(the write-ahead log is replayed or ignored when the file is next opened). Writers take the
write lock at the start of their transaction (``BEGIN IMMEDIATE``) and wait at most
``busy_timeout`` seconds for another process's; synchronous=NORMAL, because the index is a
hint: a power cut may cost its last few writes, never its consistency.

sqlite3 connections must not cross threads or ``fork``: each thread of each process opens
its own, and opens it again when the file was replaced (another process rebuilt it).

Nothing here lets an error through but ``IndexUnavailable``: callers carry on without the
index (a page never fails for it). A file that is damaged, unreadable or of an unknown
schema is moved aside (``<cache>/index.corrupt-<UTC time>``, the newest few kept) and a
new, empty one is created, at most once a ``RECOVERY_INTERVAL`` per process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from affsite.cache import RECOVERY_INTERVAL, describe_error, quarantine
from affsite.catalog.index_schema import SCHEMA, SCHEMA_VERSION
from affsite.catalog.index_spaces import register_functions
from affsite.files import ensure_private_dir, make_private_file

log = logging.getLogger(__name__)

INDEX_FOLDER = "index"
INDEX_FILE = "index.sqlite3"
# SQLite creates these beside the database; they copy its mode, which is made 0600 first.
_COMPANIONS = ("-wal", "-shm")
# Seconds a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT = 2.0
# The per-connection page cache, in KiB (negative: SQLite's convention for KiB). Each worker
# thread has its own connection; what does not fit is read from the system's file cache.
CACHE_KIB = 256
# Pages the write-ahead log may hold before a commit copies them into the file (SQLite's
# default is 1,000): a flush of views touches a few pages per product, and each copy ends
# with a sync, so copying less often costs far less in all. The log stays under 16 MiB.
CHECKPOINT_PAGES = 4000
# Fixed statements, written once from the constants above (never from anything read at run
# time): write-ahead logging, so readers never wait for a writer and a killed writer leaves the
# last committed state; fsync at checkpoints only (the index is a hint, rebuilt when lost).
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA cache_size=-{CACHE_KIB}",
    "PRAGMA mmap_size=0",  # the file is read, never mapped into each worker's memory
    f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}",
)
_MARK_SCHEMA = f"PRAGMA user_version={SCHEMA_VERSION}"

R = TypeVar("R")
Operation = Callable[[sqlite3.Connection], R]


class IndexUnavailable(Exception):
    """The index cannot be read or written right now (busy, disk trouble, being rebuilt)."""


class _NotOurs(sqlite3.DatabaseError):
    """The file holds a schema this version does not know."""


def _is_damage(error: BaseException) -> bool:
    """True for errors that mean the file itself is unusable (not busy, not a full disk)."""
    if isinstance(error, sqlite3.OperationalError):
        return False
    return isinstance(error, sqlite3.DatabaseError)


@dataclass(frozen=True)
class _Held:
    connection: sqlite3.Connection
    pid: int
    inode: int | None


class IndexDatabase:
    """The index file of one cache folder, as seen by this process (thread-safe)."""

    def __init__(
        self,
        folder: Path,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.path = folder / INDEX_FILE
        self.busy_timeout = busy_timeout
        self._monotonic = monotonic
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[_Held] = []
        self._last_recovery = float("-inf")
        self._closed = False

    # running operations -------------------------------------------------------------------

    def read(self, operation: Operation[R]) -> R:
        """``operation(connection)`` in one read transaction (a consistent snapshot).

        :raise IndexUnavailable: the file could not be read.
        """
        return self._run(operation, "BEGIN")

    def write(self, operation: Operation[R]) -> R:
        """``operation(connection)`` in one write transaction: all of it or nothing.

        :raise IndexUnavailable: the file could not be written (nothing was).
        """
        return self._run(operation, "BEGIN IMMEDIATE")

    def _run(self, operation: Operation[R], begin: str) -> R:
        if self._closed:
            raise IndexUnavailable("the index is closed")
        try:
            connection = self._connection()
            connection.execute(begin)
            try:
                result = operation(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                raise
            return result
        except (sqlite3.Error, OSError) as error:
            if _is_damage(error):
                self._recover(error)
            raise IndexUnavailable(describe_error(error)) from error

    # connections --------------------------------------------------------------------------

    def _inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except OSError:
            return None

    def _connection(self) -> sqlite3.Connection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.pid == os.getpid() and held.inode == self._inode():
            return held.connection
        if held is not None:
            self._local.held = None
            self._release(held)
        connection = self._open()
        self._local.held = _Held(connection, os.getpid(), self._inode())
        with self._lock:
            self._opened.append(self._local.held)
        return connection

    def _open(self) -> sqlite3.Connection:
        """A connection to a usable file; a damaged or foreign one is moved aside first."""
        try:
            return self._connect()
        except (sqlite3.Error, OSError) as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise  # busy: the file is fine
            if not self.path.exists() or not self._recover(error):
                raise
        return self._connect()

    def _connect(self) -> sqlite3.Connection:
        ensure_private_dir(self.folder)
        make_private_file(self.path)
        for suffix in _COMPANIONS:
            make_private_file(self.path.with_name(self.path.name + suffix), create=False)
        connection = sqlite3.connect(
            str(self.path),
            timeout=self.busy_timeout,
            isolation_level=None,  # transactions are opened explicitly
            check_same_thread=False,  # used by one thread; closed by whichever closes us
        )
        try:
            for pragma in _PRAGMAS:
                connection.execute(pragma)
            register_functions(connection)
            self._create_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    @staticmethod
    def _create_schema(connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version != 0:
            raise _NotOurs(f"unknown index schema {version}")
        connection.execute("BEGIN IMMEDIATE")
        try:
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in SCHEMA:
                    connection.execute(statement)
                connection.execute(_MARK_SCHEMA)
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise

    def _release(self, held: _Held) -> None:
        with self._lock:
            if held in self._opened:
                self._opened.remove(held)
        if held.pid == os.getpid():  # a parent's connection is the parent's to close
            with contextlib.suppress(sqlite3.Error):
                held.connection.close()

    # recovery -----------------------------------------------------------------------------

    def _recover(self, error: BaseException) -> bool:
        """Move a damaged file aside so the next connection starts a new one (rate-limited).
        True when this call moved it."""
        with self._lock:
            now = self._monotonic()
            if now - self._last_recovery < RECOVERY_INTERVAL:
                return False
            self._last_recovery = now
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            self._local.held = None
            self._release(held)
            if held.inode != self._inode():
                return False  # another process has already replaced it
        log.error("the product index %s is unusable (%s); starting a new one", self.path, error)
        return quarantine(self.folder) is not None

    def close(self) -> None:
        """Close every connection this process opened (call when no thread uses them)."""
        self._closed = True
        with self._lock:
            opened, self._opened = self._opened, []
        for held in opened:
            if held.pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    held.connection.close()
