"""Failed admin logins, counted across every worker process.

Kept in a small SQLite file in the instance folder so that all gunicorn workers (and a
restart) see the same count. A client is refused once it has ``max_per_client`` failures
within ``window`` seconds; everyone is refused once all clients together reach
``max_global`` (a slow, distributed guess-the-password attack). Time comes from an injected
clock so tests do not sleep.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from affsite.clock import Clock, system_clock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_client_at ON failures (client, at);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);
"""


class LoginThrottle:
    def __init__(
        self,
        db_path: Path,
        *,
        max_per_client: int = 5,
        max_global: int = 50,
        window: float = 900.0,
        clock: Clock = system_clock,
    ) -> None:
        self.db_path = db_path
        self.max_per_client = max_per_client
        self.max_global = max_global
        self.window = window
        self.clock = clock

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self.db_path.exists():
            # Created owner-only before SQLite opens it (SQLite would use 0644).
            os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.db_path, timeout=5.0, isolation_level=None)
        try:
            conn.executescript(_SCHEMA)
            yield conn
        finally:
            conn.close()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        now = self.clock()
        since = now - self.window
        with self._db() as db:
            mine = [
                at
                for (at,) in db.execute(
                    "SELECT at FROM failures WHERE client = ? AND at > ? ORDER BY at",
                    (client, since),
                )
            ]
            everyone = [
                at
                for (at,) in db.execute(
                    "SELECT at FROM failures WHERE at > ? ORDER BY at", (since,)
                )
            ]
        wait = max(
            self._wait(mine, self.max_per_client, now),
            self._wait(everyone, self.max_global, now),
        )
        return math.ceil(wait)

    def _wait(self, times: list[float], limit: int, now: float) -> float:
        # Allowed again once enough of the oldest failures have left the window.
        if len(times) < limit:
            return 0.0
        return max(0.0, times[len(times) - limit] + self.window - now)

    def record_failure(self, client: str) -> None:
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM failures WHERE at <= ?", (now - self.window,))
            db.execute("INSERT INTO failures (client, at) VALUES (?, ?)", (client, now))
            db.execute("COMMIT")

    def reset(self, client: str) -> None:
        """Forget ``client``'s failures (after it logged in successfully)."""
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE client = ?", (client,))
