"""Small SQLite files in the instance folder that every worker process shares.

The admin's sign-in state (failed attempts, live sessions) must be the same in every gunicorn
worker and survive a restart, and updates must be atomic across processes: SQLite's
``BEGIN IMMEDIATE`` gives one writer at a time. The files are owner-only like everything else
in the instance folder (SQLite gives its journal the database file's mode).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from affsite.errors import AffsiteError
from affsite.files import PRIVATE_FILE_MODE

# Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 5.0


class AuthStoreError(AffsiteError, OSError):
    """The sign-in state in the instance folder cannot be read or written."""

    fix = (
        "Check that the instance folder is writable by the affsite user and that its disk "
        "is not full, then try again."
    )


class PrivateDatabase:
    """One SQLite file with a fixed schema; opened per use (connections are not shared
    between threads).
    """

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode; callers open ``BEGIN IMMEDIATE`` when they write.

        :raise AuthStoreError: the file cannot be created, opened or written.
        """
        try:
            if not self.path.exists():
                # Created owner-only before SQLite opens it (SQLite would use 0644).
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise AuthStoreError(f"cannot open {self.path.name}: {exc}") from exc
        try:
            conn.executescript(self._schema)
            yield conn
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
            raise AuthStoreError(f"cannot use {self.path.name}: {exc}") from exc
        finally:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the file's write lock from the start, so that a
        read followed by a write is one atomic step for every process.
        """
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
                raise
            conn.execute("COMMIT")
