"""Each machine's product index kept in step with the others' (the shared state in Redis).

With Redis, every machine keeps the product index in its own folder (``index_sqlite``, whose
costs do not grow with the catalog) and appends what it wrote to the site's journal
(``affsite.cache.journal``): views counted, entries fetched, a namespace cleared. At most every
flush interval each process reads what the other machines appended after the position its
machine's index file records, and applies it in the same write that moves the position on,
so a record is applied once per machine however many of its workers read it. A machine's own
records (its origin: a random name drawn when its file starts following) are skipped.

A machine starts following at the newest record. One that was away for longer than the journal
keeps records misses some changes; its index then learns them as pages are viewed and products
fetched (the index is a hint: it fills batches and orders renewals, never answers a page).
"""

from __future__ import annotations

import math
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from affsite.cache import position_key
from affsite.catalog.entries import Entry
from affsite.catalog.index_queries import record_fetched, record_views
from affsite.catalog.index_rows import ViewBatch
from affsite.catalog.index_spaces import Space

__all__ = [
    "MAX_RECORDS",
    "Change",
    "apply_records",
    "cleared_record",
    "fetched_record",
    "follower_state",
    "start_following",
    "views_record",
]

MAX_RECORDS = 500  # records read per catch-up; the rest wait for the next
MAX_ID_LENGTH = 40  # longer than any product id

_TABLE = (
    "CREATE TABLE IF NOT EXISTS journal ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, position TEXT NOT NULL)"
)

# Applies one change to a namespace in the caller's write (``SqliteIndex._change``).
Change = Callable[[sqlite3.Connection, str, Callable[..., None]], None]


# --- records ---------------------------------------------------------------------------------


def views_record(origin: str, ns: str, batch: ViewBatch) -> dict[str, Any]:
    return {
        "o": origin,
        "ns": ns,
        "k": "views",
        "views": batch.views,
        "last": batch.last_view,
        "site": batch.site_view,
    }


def fetched_record(origin: str, ns: str, entries: Mapping[str, Entry]) -> dict[str, Any]:
    lives = {
        pid: [entry.fresh_until, entry.stale_until, int(entry.negative), entry.fetched_at]
        for pid, entry in entries.items()
    }
    return {"o": origin, "ns": ns, "k": "fetched", "entries": lives}


def cleared_record(origin: str, ns: str) -> dict[str, Any]:
    return {"o": origin, "ns": ns, "k": "cleared"}


# --- following -------------------------------------------------------------------------------


def follower_state(connection: sqlite3.Connection) -> tuple[str, str] | None:
    """``(origin, position)`` of the machine whose file this is; None before it follows."""
    try:
        found = connection.execute("SELECT origin, position FROM journal WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table: this file never followed a journal
        return None
    return (str(found[0]), str(found[1])) if found else None


def start_following(connection: sqlite3.Connection, position: str) -> tuple[str, str]:
    """Follow from ``position`` with a new origin, unless another worker started first."""
    connection.execute(_TABLE)
    connection.execute(
        "INSERT OR IGNORE INTO journal (id, origin, position) VALUES (1, ?, ?)",
        (uuid.uuid4().hex, position),
    )
    state = follower_state(connection)
    assert state is not None  # written just above, in this transaction
    return state


def apply_records(
    connection: sqlite3.Connection,
    records: Iterable[tuple[str, dict[str, Any]]],
    change: Change,
) -> int:
    """Apply the records other machines appended after this file's position, then move the
    position to the last one read; how many were applied."""
    state = follower_state(connection)
    if state is None:
        return 0
    origin, position = state
    applied, newest = 0, position
    for found, record in records:
        if position_key(found) <= position_key(newest):
            continue  # applied already (another worker of this machine was quicker)
        newest = found
        if record.get("o") != origin and _apply(connection, record, change):
            applied += 1
    connection.execute("UPDATE journal SET position = ? WHERE id = 1", (newest,))
    return applied


def _apply(connection: sqlite3.Connection, record: dict[str, Any], change: Change) -> bool:
    ns, kind = record.get("ns"), record.get("k")
    if not isinstance(ns, str) or not ns:
        return False
    if kind == "views":
        batch = _batch(record)
        if batch is None:
            return False
        change(connection, ns, lambda c, space, now: record_views(c, space, batch, now))
        return True
    if kind == "fetched":
        entries = _entries(record.get("entries"))
        if not entries:
            return False
        change(connection, ns, lambda c, space, now: record_fetched(c, space, entries, now))
        return True
    if kind == "cleared":
        change(connection, ns, _emptied)
        return True
    return False


def _emptied(connection: sqlite3.Connection, space: Space, now: float) -> None:
    connection.execute("DELETE FROM products WHERE ns = ?", (space.ns,))
    space.count = 0


def _batch(record: dict[str, Any]) -> ViewBatch | None:
    views = {pid: n for pid, n in _pairs(record.get("views")) if isinstance(n, int) and n > 0}
    if not views:
        return None
    last = {pid: float(t) for pid, t in _pairs(record.get("last")) if _moment(t)}
    site = {pid: float(t) for pid, t in _pairs(record.get("site")) if _moment(t)}
    return ViewBatch(
        views=views,
        last_view={pid: t for pid, t in last.items() if pid in views},
        site_view={pid: t for pid, t in site.items() if pid in views},
    )


def _entries(raw: Any) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for pid, lives in _pairs(raw):
        if not isinstance(lives, list) or len(lives) != 4:
            continue
        fresh, stale, negative, fetched = lives
        if not all(_moment(t) for t in (fresh, stale, fetched)) or negative not in (0, 1):
            continue
        entries[pid] = Entry(
            data=None if negative else {},
            fetched_at=float(fetched),
            fresh_until=float(fresh),
            stale_until=float(stale),
        )
    return entries


def _pairs(raw: Any) -> list[tuple[str, Any]]:
    if not isinstance(raw, dict):
        return []
    return [
        (pid, value)
        for pid, value in raw.items()
        if isinstance(pid, str) and 0 < len(pid) <= MAX_ID_LENGTH
    ]


def _moment(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
