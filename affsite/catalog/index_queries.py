"""The SQLite product index's statements: writing views and fetches, choosing top-ups and
renewals, reading rows. Each runs inside a transaction ``IndexDatabase`` opened, and reads or
writes only the rows it is about, through the indexes ``index_schema`` lists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from affsite.catalog.entries import Entry
from affsite.catalog.index_rows import IndexRow, ViewBatch, bucket_of, half_life
from affsite.catalog.index_spaces import OWN, PUBLIC, Space, load_space

# Below this many rows past half their freshness in a tier, a top-up reads them all and
# sorts them; above it, it walks the tier in rank order and stops when it has enough.
RENEW_CAP = 256

_INSERT_ROW = "INSERT OR IGNORE INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_BLANK = "INSERT OR IGNORE INTO products VALUES (?, ?, 0, 0, 0, 0, ?, 0, 0, 0, 0, 0, ?)"
# A statement rewrites every index holding a column it assigns, even to the value it had:
# views assign only what changes, and a row changes tier (in two indexes) only when it must.
_UPDATE_VIEWS = """
    UPDATE products SET
        views = views + ?1, total_views = total_views + ?1, last_view = MAX(last_view, ?2)
    WHERE ns = ?3 AND product_id = ?4
"""
_UPDATE_SITE_VIEWS = """
    UPDATE products SET
        views = views + ?1, total_views = total_views + ?1, last_view = MAX(last_view, ?2),
        site_view = MAX(site_view, ?5)
    WHERE ns = ?3 AND product_id = ?4
"""
# The tier numbers are ``index_spaces``' DORMANT (2), OWN (0) and PUBLIC (1).
_RETIER = """
    UPDATE products
    SET tier = CASE WHEN last_view < ?1 THEN 2 WHEN site_view >= ?2 THEN 0 ELSE 1 END
    WHERE ns = ?3 AND product_id = ?4
        AND tier != CASE WHEN last_view < ?1 THEN 2 WHEN site_view >= ?2 THEN 0 ELSE 1 END
"""
_UPDATE_FETCHED = """
    UPDATE products SET fresh_until = ?, stale_until = ?, views = 0, negative = ?,
        fetched_at = ?, half_life = ?, bucket = ?
    WHERE ns = ? AND product_id = ?
"""

# What choosing a top-up reads of a row (bucket, views, total_views, product_id, half_life,
# last_view, site_view), and through which index.
Candidate = tuple[int, int, int, str, float, float, float]
_PAST_HALF = """
    SELECT count(*) FROM (
        SELECT 1 FROM products INDEXED BY products_renew
        WHERE ns = ? AND tier = ? AND half_life <= ? LIMIT ?
    )
"""
_ALL_PAST_HALF = """
    SELECT bucket, views, total_views, product_id, half_life, last_view, site_view
    FROM products INDEXED BY products_renew
    WHERE ns = ? AND tier = ? AND half_life <= ?
"""
_IN_RANK_ORDER = """
    SELECT bucket, views, total_views, product_id, half_life, last_view, site_view
    FROM products INDEXED BY products_rank
    WHERE ns = ? AND tier = ? AND bucket <= ? AND half_life <= ? AND last_view >= ?
        AND (site_view >= ?) = ?
    ORDER BY bucket, views DESC, total_views DESC, product_id LIMIT ?
"""
_SITE_BETWEEN = """
    SELECT bucket, views, total_views, product_id, half_life, last_view, site_view
    FROM products INDEXED BY products_site
    WHERE ns = ? AND site_view >= ? AND site_view < ? AND tier != 2
"""
_DORMANT_SEEN = """
    SELECT bucket, views, total_views, product_id, half_life, last_view, site_view
    FROM products INDEXED BY products_seen
    WHERE ns = ? AND last_view >= ? AND last_view < ? AND tier = 2
"""
# Whole rows, in ``IndexRow``'s field order.
_DUE_LIVE = """
    SELECT product_id, fresh_until, stale_until, views, total_views, last_view, negative,
        fetched_at, site_view
    FROM products INDEXED BY products_rank
    WHERE ns = ? AND tier = ? AND bucket <= ? AND fresh_until < ? AND last_view >= ?
"""
_DUE_DORMANT = """
    SELECT product_id, fresh_until, stale_until, views, total_views, last_view, negative,
        fetched_at, site_view
    FROM products INDEXED BY products_seen
    WHERE ns = ? AND last_view >= ? AND last_view < ? AND tier = 2 AND fresh_until < ?
"""
_ALL_ROWS = """
    SELECT product_id, fresh_until, stale_until, views, total_views, last_view, negative,
        fetched_at, site_view
    FROM products WHERE ns = ?
"""
_SITE_VIEWS = """
    SELECT product_id, site_view FROM products
    WHERE ns = ? AND product_id IN (SELECT value FROM json_each(?))
"""


def row_of(found: Any) -> IndexRow:
    """An ``IndexRow`` from one row's columns, in the order of its fields."""
    pid, fresh, stale, views, total, last, negative, fetched, site = found
    return IndexRow(
        product_id=pid,
        fresh_until=fresh,
        stale_until=stale,
        views=views,
        total_views=total,
        last_view=last,
        negative=bool(negative),
        fetched_at=fetched,
        site_view=site,
    )


# writing -----------------------------------------------------------------------------------


def insert_rows(connection: sqlite3.Connection, space: Space, rows: Iterable[IndexRow]) -> None:
    """Add whole rows (the old JSON index's); rows already there are kept as they are."""
    rows = list(rows)
    values = [
        (
            space.ns,
            row.product_id,
            row.fresh_until,
            row.stale_until,
            row.views,
            row.total_views,
            row.last_view,
            int(row.negative),
            row.fetched_at,
            row.site_view,
            row.half_life(),
            bucket_of(row.fresh_until, space.width),
            space.tier(row.last_view, row.site_view),
        )
        for row in rows
    ]
    space.count += connection.executemany(_INSERT_ROW, values).rowcount
    lifetimes = [row.fresh_until - row.fetched_at for row in rows if row.fresh_until]
    space.max_lifetime = max([space.max_lifetime, *lifetimes])


def record_views(
    connection: sqlite3.Connection, space: Space, batch: ViewBatch, now: float
) -> None:
    """Add a batch of views: counts, last views, the site's last views, and the tiers."""
    blank = [(space.ns, pid, 0.0, PUBLIC) for pid in batch.views]
    space.count += connection.executemany(_INSERT_BLANK, blank).rowcount
    public, site = [], []
    for pid, count in batch.views.items():
        seen = (count, batch.last_view.get(pid, now), space.ns, pid)
        if pid in batch.site_view:
            site.append((*seen, batch.site_view[pid]))
        else:
            public.append(seen)
    connection.executemany(_UPDATE_VIEWS, public)
    connection.executemany(_UPDATE_SITE_VIEWS, site)
    connection.executemany(
        _RETIER,
        [(space.dormant_before, space.site_before, space.ns, pid) for pid in batch.views],
    )


def record_fetched(
    connection: sqlite3.Connection, space: Space, entries: Mapping[str, Entry], now: float
) -> None:
    """Entries a gateway call just stored: their lifetimes, and view counts starting again.
    An id new to the index counts as viewed now (it was asked for), not by the site."""
    blank = [(space.ns, pid, now, space.tier(now, 0.0)) for pid in entries]
    space.count += connection.executemany(_INSERT_BLANK, blank).rowcount
    connection.executemany(
        _UPDATE_FETCHED,
        [
            (
                entry.fresh_until,
                entry.stale_until,
                int(entry.negative),
                entry.fetched_at,
                half_life(entry.fetched_at, entry.fresh_until),
                bucket_of(entry.fresh_until, space.width),
                space.ns,
                pid,
            )
            for pid, entry in entries.items()
        ],
    )
    lifetimes = (entry.fresh_until - entry.fetched_at for entry in entries.values())
    space.max_lifetime = max(space.max_lifetime, *lifetimes)


# choosing ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TopUp:
    """What a top-up asks for (see ``ProductIndex.top_up``)."""

    exclude: Collection[str]
    now: float
    active_since: float
    site_since: float
    limit: int

    def eligible(self, found: Candidate, *, own: bool) -> bool:
        _, _, _, _, renew_from, last_view, site_view = found
        return (
            renew_from <= self.now
            and last_view >= self.active_since
            and (site_view >= self.site_since) == own
        )


def _rank(found: Candidate) -> tuple[int, int, int, str]:
    return found[0], -found[1], -found[2], found[3]


def select_top_up(connection: sqlite3.Connection, ns: str, query: TopUp) -> list[str]:
    """Up to ``query.limit`` ids in renewal order: the site's own tier first, then the
    public one, each read in rank order until enough are found, plus the few rows whose
    tier lags behind the query's windows."""
    space = load_space(connection, ns)
    if space is None:
        return []
    misfiled = _misfiled(connection, space, query)
    picked: list[str] = []
    taken: set[str] = set()
    for tier, own in ((OWN, True), (PUBLIC, False)):
        listed = _tier_candidates(connection, space, tier, query, own=own)
        extra = [found for found in misfiled if query.eligible(found, own=own)]
        for found in sorted([*listed, *extra], key=_rank):
            pid = found[3]
            if pid in query.exclude or pid in taken:
                continue
            taken.add(pid)
            picked.append(pid)
            if len(picked) >= query.limit:
                return picked
    return picked


def _tier_candidates(
    connection: sqlite3.Connection, space: Space, tier: int, query: TopUp, *, own: bool
) -> list[Candidate]:
    (past_half,) = connection.execute(
        _PAST_HALF, (space.ns, tier, query.now, RENEW_CAP + 1)
    ).fetchone()
    if past_half <= RENEW_CAP:
        found = connection.execute(_ALL_PAST_HALF, (space.ns, tier, query.now)).fetchall()
        return sorted((row for row in found if query.eligible(row, own=own)), key=_rank)
    # Past half their freshness means expiring within half the longest lifetime.
    last_bucket = bucket_of(query.now + space.max_lifetime / 2, space.width)
    return connection.execute(
        _IN_RANK_ORDER,
        (
            space.ns,
            tier,
            last_bucket,
            query.now,
            query.active_since,
            query.site_since,
            int(own),
            query.limit + len(query.exclude),
        ),
    ).fetchall()


def _misfiled(connection: sqlite3.Connection, space: Space, query: TopUp) -> list[Candidate]:
    """Rows whose tier says other than the query's windows would: asked for by the site
    between the tier threshold and the query's ``site_since``, and dormant rows viewed since
    the query's ``active_since``. Few: thresholds follow the windows closely."""
    found: list[Candidate] = []
    low, high = sorted((space.site_before, query.site_since))
    if low < high:
        found += connection.execute(_SITE_BETWEEN, (space.ns, low, high)).fetchall()
    if query.active_since < space.dormant_before:
        found += connection.execute(
            _DORMANT_SEEN, (space.ns, query.active_since, space.dormant_before)
        ).fetchall()
    return found


def select_due(
    connection: sqlite3.Connection, ns: str, *, before: float, active_since: float
) -> list[IndexRow]:
    """Rows fresh until before ``before`` and viewed since ``active_since`` (unordered):
    the live tiers up to ``before``'s bucket, and the dormant rows viewed in the window."""
    space = load_space(connection, ns)
    if space is None:
        return []
    last_bucket = bucket_of(before, space.width)
    found = []
    for tier in (OWN, PUBLIC):
        found += connection.execute(
            _DUE_LIVE, (ns, tier, last_bucket, before, active_since)
        ).fetchall()
    if active_since < space.dormant_before:
        found += connection.execute(
            _DUE_DORMANT, (ns, active_since, space.dormant_before, before)
        ).fetchall()
    return [row_of(row) for row in found]


# reading -----------------------------------------------------------------------------------


def site_views(connection: sqlite3.Connection, ns: str, ids: Collection[str]) -> dict[str, float]:
    """When the site last asked for each of ``ids`` that has a row (by primary key)."""
    found = connection.execute(_SITE_VIEWS, (ns, json.dumps(list(ids)))).fetchall()
    return dict(found)


def all_rows(connection: sqlite3.Connection, ns: str) -> dict[str, IndexRow]:
    """Every row of the namespace (for diagnostics and tests: reads the whole table)."""
    found = connection.execute(_ALL_ROWS, (ns,))
    return {row[0]: row_of(row) for row in found}
