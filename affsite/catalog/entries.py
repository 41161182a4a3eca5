"""Cache entries and their lifetimes (fresh, then servable-stale, then gone), and their keys.

An entry is a JSON-safe dict in the data store::

    {"v": 1, "data": <Product.to_dict()> or null, "fetched_at": t,
     "fresh_until": t + cache_ttl * j, "stale_until": fresh_until + stale_ttl}

``data`` null is a negative entry: the gateway did not return the product (not promotable or
unknown); it lives ``negative_ttl`` instead of ``cache_ttl``. ``j`` is a jitter factor in
[0.9, 1.1], drawn once per gateway call: entries fetched together expire together (so one
call refreshes them again) while separate imports spread out.

Keys carry a namespace: a hash of every setting that changes the answer (country, currency,
language, tracking id, app key, gateway URL). Saving different settings therefore starts a
fresh namespace; old entries are never served again and age out of the store.

Beside each entry the control store may hold a failure memo (``err:``): a fetch that failed
is not retried for a while, and a fetch lock (``lock:``) while one worker fetches the id.

Every process may remember entries it read, as long as the ``Generation`` it read them under
is still current: every write and clear, by any process, moves the generation on, and finding
out costs one ``stat`` (no database read). See ``Catalog`` for the answers kept that way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.catalog.answers import Failure
from affsite.catalog.public_json import Reason
from affsite.files import make_private_file, write_private_file
from affsite.settings import Settings

log = logging.getLogger(__name__)

ENTRY_VERSION = 1
JITTER = 0.10
# Keep an entry on disk this long beyond its stale limit (real seconds): the limit itself is
# enforced in code against the injected clock.
STORE_GRACE = 3600.0
# A failure memo stays in the store a minute past its end (garbage collection only).
MEMO_GRACE = 60.0
# The generation file, in the cache folder; started afresh past this size (a byte a change).
GENERATION_FILE = "entries.generation"
GENERATION_MAX_BYTES = 1 << 20


def namespace(settings: Settings) -> str:
    """16 hex digits naming every setting that changes what the gateway answers."""
    material = json.dumps(
        [
            ENTRY_VERSION,
            settings.country,
            settings.currency,
            settings.language,
            settings.tracking_id,
            settings.app_key,
            settings.api_url,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def entry_key(ns: str, product_id: str) -> str:
    """
    >>> entry_key("0123456789abcdef", "1005004757833857")
    'p1:0123456789abcdef:1005004757833857'
    """
    return f"p{ENTRY_VERSION}:{ns}:{product_id}"


def memo_key(ns: str, product_id: str) -> str:
    return f"err:{ns}:{product_id}"


def lock_key(ns: str, product_id: str) -> str:
    return f"lock:{ns}:{product_id}"


def jitter_factor(rng: random.Random) -> float:
    return 1.0 + rng.uniform(-JITTER, JITTER)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Entry:
    """One cached gateway answer for one product id."""

    data: dict[str, Any] | None
    fetched_at: float
    fresh_until: float
    stale_until: float

    @property
    def negative(self) -> bool:
        return self.data is None

    def fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def servable(self, now: float) -> bool:
        """Fresh, or expired but still within the stale limit."""
        return now < self.stale_until

    @classmethod
    def make(
        cls,
        data: dict[str, Any] | None,
        *,
        now: float,
        settings: Settings,
        factor: float,
    ) -> Entry:
        lifetime = settings.negative_ttl if data is None else settings.cache_ttl
        fresh_until = now + lifetime * factor
        return cls(
            data=data,
            fetched_at=now,
            fresh_until=fresh_until,
            stale_until=fresh_until + settings.stale_ttl,
        )

    def store_expire(self, now: float) -> float:
        """Seconds the data store should keep this entry (garbage collection only)."""
        return max(60.0, self.stale_until - now) + STORE_GRACE

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": ENTRY_VERSION,
            "data": self.data,
            "fetched_at": self.fetched_at,
            "fresh_until": self.fresh_until,
            "stale_until": self.stale_until,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Entry | None:
        """The entry ``raw`` describes, or None when it is not one (damaged, other version)."""
        if not isinstance(raw, dict) or raw.get("v") != ENTRY_VERSION:
            return None
        data = raw.get("data")
        times = [_finite(raw.get(name)) for name in ("fetched_at", "fresh_until", "stale_until")]
        if (data is not None and not isinstance(data, dict)) or None in times:
            return None
        fetched_at, fresh_until, stale_until = (t for t in times if t is not None)
        return cls(
            data=data, fetched_at=fetched_at, fresh_until=fresh_until, stale_until=stale_until
        )


GenerationMark = tuple[int, int, int]


class Generation:
    """Which version of the entries every process sees: it moves on after each write or clear
    by any process. Memories of entries made under the current generation are still the
    store's; finding that out costs one ``stat``.

    Kept as a small file in the cache folder (inode, size, modification time): each change
    appends a byte, so the size grows with every change even within one tick of the file
    system's clock; past ``GENERATION_MAX_BYTES`` the file is replaced by an empty one (a new
    inode, hence a new generation too). ``current()`` is None when there is no such file or it
    cannot be read: then nothing may be answered from memory.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._name = None if path is None else os.fspath(path)
        if path is not None:
            try:
                make_private_file(path)
            except OSError as error:
                log.warning("cannot create %s (%s): entries are read from the store", path, error)

    def current(self) -> GenerationMark | None:
        if self._name is None:
            return None
        try:
            st = os.stat(self._name)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def bump(self) -> None:
        """Move the generation on (after a write or clear). If that fails, remove the file so
        that no process answers from memory until the next change makes it again."""
        if self._name is None or self.path is None:
            return
        try:
            fd = os.open(self._name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, b".")
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size >= GENERATION_MAX_BYTES:
                write_private_file(self.path, b"")
        except OSError as error:
            log.error("cannot move %s on (%s); entries are read from the store", self.path, error)
            try:
                os.unlink(self._name)
            except FileNotFoundError:
                pass
            except OSError as second:
                log.error(
                    "cannot remove %s either (%s): other workers may answer entries "
                    "they read before this change until those expire",
                    self.path,
                    second,
                )


class Entries:
    """The entries (data store) and failure memos (control store) of every namespace.

    ``generation`` (None: no cache folder) moves on after every write and clear, so that
    processes may keep what they read while it stays current.
    """

    def __init__(self, data: Store, ctl: Store, generation: Generation | None = None) -> None:
        self._data = data
        self._ctl = ctl
        self._generation = generation or Generation(None)

    def generation(self) -> GenerationMark | None:
        """The current generation (None: unknown, do not answer from memory)."""
        return self._generation.current()

    def read(self, ns: str, pid: str) -> Entry | None:
        return Entry.from_dict(self._data.get(entry_key(ns, pid)))

    def write(self, ns: str, pid: str, entry: Entry, now: float) -> None:
        self._data.set(entry_key(ns, pid), entry.to_dict(), expire=entry.store_expire(now))
        self._generation.bump()

    def write_all(self, ns: str, entries: Mapping[str, Entry], now: float) -> None:
        """``write`` for every entry of one gateway call, in one transaction of the data
        store and one move of the generation (a commit per entry costs more than the entry).
        When the transaction fails, the entries are written one by one."""

        def write(tx: Tx) -> None:
            for pid, entry in entries.items():
                tx.set(entry_key(ns, pid), entry.to_dict(), expire=entry.store_expire(now))

        try:
            self._data.atomic(write)
        except StoreError:
            for pid, entry in entries.items():
                self._data.set(entry_key(ns, pid), entry.to_dict(), expire=entry.store_expire(now))
        self._generation.bump()

    def failure(self, ns: str, pid: str, now: float) -> Failure | None:
        """A failed fetch of ``pid`` remembered until after ``now``, if any."""
        memo = self._ctl.get(memo_key(ns, pid))
        if not isinstance(memo, dict):
            return None
        until = memo.get("until")
        if not isinstance(until, int | float) or until <= now:
            return None
        try:
            reason = Reason(str(memo.get("reason")))
        except ValueError:  # damaged, or a word this version does not know
            return None
        problem, fix = memo.get("problem"), memo.get("fix")
        return Failure(
            reason=reason,
            problem=problem if isinstance(problem, str) else None,
            fix=fix if isinstance(fix, str) else None,
        )

    def remember(self, ns: str, pid: str, failure: Failure, *, until: float, now: float) -> None:
        """Remember that fetching ``pid`` failed, until ``until``."""
        memo = {
            "reason": str(failure.reason),
            "problem": failure.problem,
            "fix": failure.fix,
            "until": until,
        }
        self._ctl.set(memo_key(ns, pid), memo, expire=max(0.0, until - now) + MEMO_GRACE)

    def clear(self) -> int:
        """Forget every entry (of every namespace); the number removed."""
        removed = self._data.clear()
        self._generation.bump()
        return removed
