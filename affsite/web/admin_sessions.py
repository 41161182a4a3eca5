"""Admin sessions recorded on the server, so that signing out really ends them.

The session cookie is signed, not secret-free storage: a copy taken before "Sign out" would
stay valid for its whole lifetime if the cookie alone proved the session. So the cookie
carries only a random session token, and a session is live while the server holds a record
of it (kept as a SHA-256 digest: the file alone does not let anyone forge a cookie):

* signing out deletes the record, in every worker process at once;
* each record names the password it was opened with, so a new password (``affsite admin
  set-password``, from any process) ends every session opened with the old one;
* a record older than the session lifetime is dead whatever the cookie says.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from affsite.clock import Clock, system_clock
from affsite.web.private_db import PrivateDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    started REAL NOT NULL
);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AdminSessions:
    def __init__(self, db_path: Path, *, lifetime: float, clock: Clock = system_clock) -> None:
        self.db = PrivateDatabase(db_path, _SCHEMA)
        self.lifetime = lifetime
        self.clock = clock

    def start(self, password: str) -> str:
        """Record a new session for the password with fingerprint ``password``; returns the
        token for the cookie. Dead sessions are cleared out on the way.
        """
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.transaction() as db:
            db.execute(
                "DELETE FROM sessions WHERE started <= ? OR password != ?",
                (now - self.lifetime, password),
            )
            db.execute(
                "INSERT INTO sessions (digest, password, started) VALUES (?, ?, ?)",
                (_digest(token), password, now),
            )
        return token

    def is_live(self, token: str, password: str) -> bool:
        """True when ``token`` names a session that was not ended, is younger than the
        lifetime and was opened with the password whose fingerprint is ``password``.
        """
        with self.db.connect() as db:
            row = db.execute(
                "SELECT password, started FROM sessions WHERE digest = ?", (_digest(token),)
            ).fetchone()
        if row is None:
            return False
        opened_with, started = row
        return bool(opened_with == password and started > self.clock() - self.lifetime)

    def end(self, token: str) -> None:
        with self.db.transaction() as db:
            db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(token),))
