"""Admin password checks, throttled per visitor and bounded per process.

Every check of the admin password (signing in, revealing the App Secret) goes through
``LoginThrottle.check``, which decides, in this order:

1. **At most ``checks_at_once`` hashes run at once in this process.** One scrypt check takes
   128 MiB and half a second; a burst of requests is answered "busy" at once, without
   hashing, instead of growing the worker by 128 MiB per request.
2. **The attempt is counted before the password is checked**, in one ``BEGIN IMMEDIATE``
   transaction of a SQLite file that every worker shares: compare with the limit and record
   the attempt in one atomic step, so concurrent requests from one visitor, in any number of
   threads and processes, get at most the limit of checks. A right password then wipes the
   visitor's count; a wrong one stays counted.
3. **Limits are per source, never global.** A source is one IPv4 address or one IPv6 /64
   (what one subscriber usually holds). A source with ``max_per_source`` failures within
   ``window`` seconds waits until the oldest leaves the window.

When every source together has ``max_global`` failures in the window (a password-guessing
attack from many addresses), each source's limit drops to ``max_per_source_under_attack``:
the attack gets fewer guesses per address, while a visitor with a fresh address, the admin
among them, still has their password checked. A global lock-out would hand strangers the
power to keep the admin out, so there is none.

Time comes from an injected clock so tests do not sleep.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from affsite.clock import Clock, system_clock
from affsite.web.private_db import PrivateDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_client_at ON failures (client, at);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);
"""
_MAX_SOURCE_LENGTH = 64  # a malformed forwarded address is kept as text, but never long


class Verdict(StrEnum):
    """What became of one password attempt."""

    ACCEPTED = "accepted"  # checked: the right password
    WRONG = "wrong"  # checked: not the password (counted)
    THROTTLED = "throttled"  # not checked: this source has used up its attempts
    BUSY = "busy"  # not checked: this process is already checking as many as it may


@dataclass(frozen=True, kw_only=True)
class Outcome:
    verdict: Verdict
    retry_after: int = 0  # seconds to wait (THROTTLED, BUSY)


def source_of(address: str) -> str:
    """The key a client address is throttled under.

    >>> source_of("203.0.113.7")
    '203.0.113.7'
    >>> source_of("2001:db8:1:2:3:4:5:6")
    '2001:db8:1:2::/64'
    >>> source_of("::ffff:203.0.113.7")
    '203.0.113.7'
    >>> source_of("not an address")
    'not an address'
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:_MAX_SOURCE_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    def __init__(
        self,
        db_path: Path,
        *,
        max_per_source: int = 5,
        max_global: int = 50,
        max_per_source_under_attack: int = 2,
        window: float = 900.0,
        checks_at_once: int = 1,
        clock: Clock = system_clock,
    ) -> None:
        self.db = PrivateDatabase(db_path, _SCHEMA)
        self.max_per_source = max_per_source
        self.max_global = max_global
        self.max_per_source_under_attack = min(max_per_source_under_attack, max_per_source)
        self.window = window
        self.checks_at_once = checks_at_once
        self.clock = clock
        self._checks = threading.BoundedSemaphore(checks_at_once)

    def check(self, address: str, password_is_right: Callable[[], bool]) -> Outcome:
        """Run ``password_is_right`` for a visitor at ``address`` if the limits allow it.

        :raise AuthStoreError: the shared count cannot be kept; nothing was checked.
        """
        if not self._checks.acquire(blocking=False):
            return Outcome(verdict=Verdict.BUSY, retry_after=1)
        try:
            source = source_of(address)
            wait = self._admit(source)
            if wait:
                return Outcome(verdict=Verdict.THROTTLED, retry_after=wait)
            if not password_is_right():
                return Outcome(verdict=Verdict.WRONG)
            self._forget(source)
            return Outcome(verdict=Verdict.ACCEPTED)
        finally:
            self._checks.release()

    def _admit(self, source: str) -> int:
        """Record an attempt for ``source`` and return 0, or return the seconds it must wait
        (recording nothing): one atomic step for every thread and process.
        """
        now = self.clock()
        with self.db.transaction() as db:
            db.execute("DELETE FROM failures WHERE at <= ?", (now - self.window,))
            (everyone,) = db.execute("SELECT COUNT(*) FROM failures").fetchone()
            limit = (
                self.max_per_source
                if everyone < self.max_global
                else self.max_per_source_under_attack
            )
            times: list[float] = [
                float(at)
                for (at,) in db.execute(
                    "SELECT at FROM failures WHERE client = ? ORDER BY at", (source,)
                )
            ]
            if len(times) >= limit:
                # Allowed again once enough of the oldest failures have left the window.
                oldest_that_counts = times[len(times) - limit]
                return max(1, math.ceil(oldest_that_counts + self.window - now))
            db.execute("INSERT INTO failures (client, at) VALUES (?, ?)", (source, now))
        return 0

    def _forget(self, source: str) -> None:
        # The right password: this source's earlier mistakes no longer count.
        with self.db.transaction() as db:
            db.execute("DELETE FROM failures WHERE client = ?", (source,))
