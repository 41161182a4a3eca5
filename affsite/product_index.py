"""Which products a site shows: when each cached entry expires and how often it is viewed.

The catalog uses it to fill every gateway call with a full batch (top-up: the ids closest to
expiry, most viewed first) and ``affsite refresh`` uses it to pick what to renew.

One JSON object per cache namespace in the control store (``index:<ns>``), mapping product id
to ``[fresh_until, stale_until, views_since_fetch, total_views, last_view, negative,
fetched_at]``. A few
thousand products make a few hundred KB; it is rewritten only when a gateway call stored new
entries and when buffered view counts are flushed (at most every ``flush_interval`` seconds per
process), never per page view.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock
from affsite.freshness import Entry

KEEP_INDEX_SECONDS = 30 * 86_400.0


@dataclass(frozen=True)
class IndexRow:
    product_id: str
    fresh_until: float  # 0: never cached successfully
    stale_until: float
    views: int  # since the last fetch
    total_views: int
    last_view: float
    negative: bool
    fetched_at: float = 0.0

    def half_life(self) -> float:
        """When half the entry's freshness is used up (0 for an id never cached)."""
        return (self.fetched_at + self.fresh_until) / 2 if self.fresh_until else 0.0


def _row(product_id: str, raw: Any) -> IndexRow | None:
    if not isinstance(raw, list) or len(raw) != 7:
        return None
    try:
        fresh, stale, views, total, last, negative, fetched = raw
        return IndexRow(
            product_id,
            float(fresh),
            float(stale),
            int(views),
            int(total),
            float(last),
            bool(negative),
            float(fetched),
        )
    except (TypeError, ValueError):
        return None


def _raw(row: IndexRow) -> list[Any]:
    return [
        row.fresh_until,
        row.stale_until,
        row.views,
        row.total_views,
        row.last_view,
        int(row.negative),
        row.fetched_at,
    ]


class ProductIndex:
    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_ids: int = 20_000,
    ) -> None:
        self._ctl = ctl
        self._clock = clock
        self.flush_interval = flush_interval
        self.max_ids = max_ids
        self._lock = threading.Lock()
        self._views: dict[str, dict[str, int]] = defaultdict(dict)
        self._last_view: dict[str, dict[str, float]] = defaultdict(dict)
        self._last_flush = clock()

    @staticmethod
    def key(ns: str) -> str:
        return f"index:{ns}"

    # reading ------------------------------------------------------------------------------

    def rows(self, ns: str) -> dict[str, IndexRow]:
        raw = self._ctl.get(self.key(ns))
        if not isinstance(raw, dict):
            return {}
        rows = {}
        for product_id, value in raw.items():
            row = _row(product_id, value)
            if row is not None:
                rows[product_id] = row
        return rows

    @staticmethod
    def _ranked(rows: Iterable[IndexRow], bucket: float) -> list[IndexRow]:
        """Closest to expiry first; among those expiring about together, most viewed first."""
        width = max(1.0, bucket)
        return sorted(
            rows, key=lambda r: (r.fresh_until // width, -r.views, -r.total_views, r.product_id)
        )

    def top_up(
        self,
        ns: str,
        *,
        exclude: Collection[str],
        now: float,
        active_since: float,
        bucket: float,
        limit: int,
    ) -> list[str]:
        """Up to ``limit`` ids worth adding to a partial batch: past half their freshness
        (or never cached), viewed since ``active_since``, ranked by ``_ranked``. Renewing
        them a little early costs nothing: the call is made anyway. Entries with more than
        half their freshness left are not renewed: that would only shorten their cycle.
        """
        if limit <= 0:
            return []
        self.flush(force=True)
        eligible = (
            row
            for row in self.rows(ns).values()
            if row.product_id not in exclude
            and row.half_life() <= now
            and row.last_view >= active_since
        )
        return [row.product_id for row in self._ranked(eligible, bucket)[:limit]]

    def due(
        self,
        ns: str,
        *,
        before: float,
        active_since: float,
        bucket: float,
        limit: int | None = None,
    ) -> list[str]:
        """Ids whose entry is fresh until before ``before`` (or never cached) and that were
        viewed since ``active_since``, soonest first (most viewed first among equals).
        """
        self.flush(force=True)
        eligible = (
            row
            for row in self.rows(ns).values()
            if row.fresh_until < before and row.last_view >= active_since
        )
        ranked = [row.product_id for row in self._ranked(eligible, bucket)]
        return ranked if limit is None else ranked[:limit]

    # writing ------------------------------------------------------------------------------

    def viewed(self, ns: str, product_ids: Iterable[str]) -> None:
        """Count views in memory (written by ``flush``)."""
        now = self._clock()
        with self._lock:
            views, last = self._views[ns], self._last_view[ns]
            for product_id in product_ids:
                views[product_id] = views.get(product_id, 0) + 1
                last[product_id] = now

    def flush(self, *, force: bool = False) -> None:
        now = self._clock()
        with self._lock:
            if not force and now - self._last_flush < self.flush_interval:
                return
            self._last_flush = now
            pending = {ns: (dict(v), dict(self._last_view[ns])) for ns, v in self._views.items()}
            self._views.clear()
            self._last_view.clear()
        for ns, (views, last) in pending.items():
            if views:
                self._update(ns, views=views, last_view=last)

    def fetched(self, ns: str, entries: Mapping[str, Entry]) -> None:
        """Record entries just stored by a gateway call (their view counts start again)."""
        if entries:
            self._update(ns, fetched=entries)

    def _update(
        self,
        ns: str,
        *,
        views: Mapping[str, int] | None = None,
        last_view: Mapping[str, float] | None = None,
        fetched: Mapping[str, Entry] | None = None,
    ) -> None:
        key = self.key(ns)
        now = self._clock()

        def write(tx: Tx) -> None:
            current = tx.get(key)
            table: dict[str, Any] = current if isinstance(current, dict) else {}
            for product_id, count in (views or {}).items():
                row = _row(product_id, table.get(product_id))
                seen = (last_view or {}).get(product_id, now)
                if row is None:
                    row = IndexRow(product_id, 0.0, 0.0, 0, 0, seen, False)
                table[product_id] = _raw(
                    IndexRow(
                        product_id,
                        row.fresh_until,
                        row.stale_until,
                        row.views + count,
                        row.total_views + count,
                        max(row.last_view, seen),
                        row.negative,
                        row.fetched_at,
                    )
                )
            for product_id, entry in (fetched or {}).items():
                row = _row(product_id, table.get(product_id))
                total, seen = (row.total_views, row.last_view) if row else (0, now)
                table[product_id] = _raw(
                    IndexRow(
                        product_id,
                        entry.fresh_until,
                        entry.stale_until,
                        0,
                        total,
                        seen,
                        entry.negative,
                        entry.fetched_at,
                    )
                )
            if len(table) > self.max_ids:
                # Forget the products viewed longest ago.
                by_age = sorted(table, key=lambda pid: float(table[pid][4]))
                for product_id in by_age[: len(table) - self.max_ids]:
                    del table[product_id]
            tx.set(key, table, expire=KEEP_INDEX_SECONDS)

        try:
            self._ctl.atomic(write)
        except StoreError:
            if views:
                with self._lock:  # keep the counts for the next flush
                    for product_id, count in views.items():
                        self._views[ns][product_id] = self._views[ns].get(product_id, 0) + count

    def clear(self, ns: str) -> None:
        with self._lock:
            self._views.pop(ns, None)
            self._last_view.pop(ns, None)
        self._ctl.delete(self.key(ns))
