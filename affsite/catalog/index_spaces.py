"""One namespace of the SQLite product index: its bookkeeping row and the tiers its rows are in.

Every row is in one tier (``index_schema``): 2 (dormant) when it was last viewed before
``dormant_before``, else 0 (the site's own) when the site asked for it at or after
``site_before``, else 1. A write computes the tier of the rows it touches; when a threshold
moves (``settle``), only the rows between its old and new value change tier, found through an
index, so keeping tiers current costs what changed, not the size of the table.

The thresholds follow the windows the catalog asks with (``now - active window`` and ``now -
keep window``), but only after they drift by ``SWEEP_LAG`` seconds: queries read the few rows
misfiled meanwhile through the same indexes (``index_queries``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass
from typing import Any

from affsite.catalog.index_rows import bucket_of

# Bucket width of a new namespace (the default cache expiration / 48).
DEFAULT_WIDTH = 1_800.0
# Seconds a tier threshold may lag behind the window it follows before rows are moved.
SWEEP_LAG = 60.0
# Rows of a namespace nobody uses any more deleted per write (a write stays short).
EXPIRE_CHUNK = 5_000

DORMANT, OWN, PUBLIC = 2, 0, 1


@dataclass
class Space:
    """The bookkeeping of one namespace (one row of ``spaces``)."""

    ns: str
    count: int = 0  # rows in ``products``
    width: float = DEFAULT_WIDTH  # seconds per expiry bucket
    dormant_before: float = 0.0
    site_before: float = 0.0
    max_lifetime: float = 0.0  # the longest fresh_until - fetched_at written
    written_at: float = 0.0
    migrated: bool = False  # rows of the old JSON index read in (or none were found)

    def tier(self, last_view: float, site_view: float) -> int:
        if last_view < self.dormant_before:
            return DORMANT
        return OWN if site_view >= self.site_before else PUBLIC


def load_space(connection: sqlite3.Connection, ns: str) -> Space | None:
    found = connection.execute(
        "SELECT ns, count, width, dormant_before, site_before, max_lifetime, written_at, "
        "migrated FROM spaces WHERE ns = ?",
        (ns,),
    ).fetchone()
    if found is None:
        return None
    values: list[Any] = list(found)
    values[-1] = bool(values[-1])
    return Space(*values)


def ensure_space(connection: sqlite3.Connection, ns: str, now: float) -> Space:
    """The namespace's bookkeeping, created if new (inside a write transaction)."""
    space = load_space(connection, ns)
    if space is None:
        space = Space(ns, written_at=now)
        save_space(connection, space)
    return space


def save_space(connection: sqlite3.Connection, space: Space) -> None:
    values = list(astuple(space))
    values[-1] = int(values[-1])
    connection.execute("INSERT OR REPLACE INTO spaces VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)


# keeping tiers current ---------------------------------------------------------------------


def needs_settling(space: Space, *, width: float, site_since: float, active_since: float) -> bool:
    """Whether a top-up asking with these values must (or should, the lag being past) move
    rows between tiers or buckets first."""
    return (
        space.width != width
        or site_since < space.site_before
        or site_since - space.site_before > SWEEP_LAG
        or active_since < space.dormant_before
        or active_since - space.dormant_before > SWEEP_LAG
    )


def settle(
    connection: sqlite3.Connection,
    ns: str,
    *,
    width: float | None = None,
    site_since: float | None = None,
    active_since: float | None = None,
) -> Space | None:
    """Bring the namespace's buckets and tiers in line with the values a query asks with
    (inside a write transaction); None is left as it is. Returns the namespace (None: none).

    A new bucket width renumbers every row of the namespace (once per change of the cache
    expiration); the thresholds move only the rows between their old and new values.
    """
    space = load_space(connection, ns)
    if space is None:
        return None
    if width is not None and width != space.width:
        connection.execute(
            "UPDATE products SET bucket = bucket_of(fresh_until, ?) WHERE ns = ?", (width, ns)
        )
        space.width = width
    if site_since is not None and site_since != space.site_before:
        _move_site(connection, space, site_since)
    if active_since is not None and active_since != space.dormant_before:
        _move_dormant(connection, space, active_since)
    save_space(connection, space)
    return space


def _move_site(connection: sqlite3.Connection, space: Space, new: float) -> None:
    old = space.site_before
    if new > old:  # asked for by the site longer ago than the window: public only now
        connection.execute(
            "UPDATE products INDEXED BY products_site SET tier = ? "
            "WHERE ns = ? AND site_view >= ? AND site_view < ? AND tier = ?",
            (PUBLIC, space.ns, old, new, OWN),
        )
    else:  # a longer window: the site's own again
        connection.execute(
            "UPDATE products INDEXED BY products_site SET tier = ? "
            "WHERE ns = ? AND site_view >= ? AND site_view < ? AND tier = ?",
            (OWN, space.ns, new, old, PUBLIC),
        )
    space.site_before = new


def _move_dormant(connection: sqlite3.Connection, space: Space, new: float) -> None:
    old = space.dormant_before
    if new > old:
        connection.execute(
            "UPDATE products INDEXED BY products_seen SET tier = ? "
            "WHERE ns = ? AND last_view >= ? AND last_view < ? AND tier != ?",
            (DORMANT, space.ns, old, new, DORMANT),
        )
    else:
        connection.execute(
            "UPDATE products INDEXED BY products_seen "
            "SET tier = CASE WHEN site_view >= ? THEN ? ELSE ? END "
            "WHERE ns = ? AND last_view >= ? AND last_view < ?",
            (space.site_before, OWN, PUBLIC, space.ns, new, old),
        )
    space.dormant_before = new


# staying within bounds ---------------------------------------------------------------------


def evict(connection: sqlite3.Connection, space: Space, max_ids: int) -> None:
    """Forget the rows viewed longest ago beyond ``max_ids`` (O(k log n) for k forgotten)."""
    excess = space.count - max_ids
    if excess <= 0:
        return
    removed = connection.execute(
        "DELETE FROM products WHERE ns = ? AND product_id IN ("
        " SELECT product_id FROM products INDEXED BY products_seen WHERE ns = ?"
        " ORDER BY last_view, product_id LIMIT ?)",
        (space.ns, space.ns, excess),
    ).rowcount
    space.count -= removed


def expire_spaces(connection: sqlite3.Connection, keep: str, written_before: float) -> None:
    """Delete (a chunk of) a namespace nobody wrote since ``written_before``: settings no one
    uses any more. A chunk per call keeps every write short."""
    found = connection.execute(
        "SELECT ns FROM spaces WHERE written_at < ? AND ns != ? LIMIT 1", (written_before, keep)
    ).fetchone()
    if found is None:
        return
    ns = found[0]
    removed = connection.execute(
        "DELETE FROM products WHERE ns = ? AND product_id IN ("
        " SELECT product_id FROM products WHERE ns = ? LIMIT ?)",
        (ns, ns, EXPIRE_CHUNK),
    ).rowcount
    if removed < EXPIRE_CHUNK:
        connection.execute("DELETE FROM spaces WHERE ns = ?", (ns,))
    else:
        connection.execute("UPDATE spaces SET count = count - ? WHERE ns = ?", (removed, ns))


def register_functions(connection: sqlite3.Connection) -> None:
    """The Python functions the statements above use (per connection)."""
    connection.create_function("bucket_of", 2, bucket_of, deterministic=True)
