"""Which products a site shows: when each cached entry expires, how often it is viewed, and
whether the site itself asked for it.

The catalog uses it to fill every gateway call with a full batch (top-up: the ids closest to
expiry, most viewed first, the site's own before the others), ``affsite refresh`` uses it to
pick what to renew, and the public share (``policy.PublicShare``) to tell the site's own
products from those only public requests asked for.

One JSON object per cache namespace in the control store (``index:<ns>``), mapping product id
to ``[fresh_until, stale_until, views_since_fetch, total_views, last_view, negative,
fetched_at, site_view]`` (``site_view``: when the site's pages, commands or admin actions last
asked for it; 0 for never). A few thousand products make a few hundred KB; it is rewritten
only when a gateway call stored new entries and when buffered view counts are flushed (at most
every ``flush_interval`` seconds per process), never per page view.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.catalog.entries import Entry
from affsite.clock import Clock

KEEP_INDEX_SECONDS = 30 * 86_400.0
_FIELDS = 8


@dataclass(frozen=True, kw_only=True)
class IndexRow:
    product_id: str
    fresh_until: float = 0.0  # 0: never cached successfully
    stale_until: float = 0.0
    views: int = 0  # since the last fetch
    total_views: int = 0
    last_view: float = 0.0
    negative: bool = False
    fetched_at: float = 0.0
    site_view: float = 0.0  # last time the site itself asked for it; 0: never

    def half_life(self) -> float:
        """When half the entry's freshness is used up (0 for an id never cached)."""
        return (self.fetched_at + self.fresh_until) / 2 if self.fresh_until else 0.0


def _row(product_id: str, raw: Any) -> IndexRow | None:
    # Rows written before ``site_view`` existed have 7 fields: they count as the site's own
    # as of their last view, so nothing the site shows stops being renewed on upgrade.
    if not isinstance(raw, list) or len(raw) not in (_FIELDS - 1, _FIELDS):
        return None
    try:
        fresh, stale, views, total, last, negative, fetched = raw[:7]
        return IndexRow(
            product_id=product_id,
            fresh_until=float(fresh),
            stale_until=float(stale),
            views=int(views),
            total_views=int(total),
            last_view=float(last),
            negative=bool(negative),
            fetched_at=float(fetched),
            site_view=float(raw[7]) if len(raw) == _FIELDS else float(last),
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
        row.site_view,
    ]


@dataclass
class _Pending:
    """Views counted in memory since the last flush, for one namespace."""

    views: dict[str, int] = field(default_factory=dict)
    last_view: dict[str, float] = field(default_factory=dict)
    site_view: dict[str, float] = field(default_factory=dict)


class ProductIndex:
    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_ids: int = 20_000,
        on_flush: Callable[[Mapping[str, int], Mapping[str, float]], None] | None = None,
    ) -> None:
        """``on_flush`` is called with the view counts per product each flush has just
        written and when each product was last viewed (the click log counts views per day
        with them)."""
        self._ctl = ctl
        self._clock = clock
        self._on_flush = on_flush
        self.flush_interval = flush_interval
        self.max_ids = max_ids
        self._lock = threading.Lock()
        self._pending: defaultdict[str, _Pending] = defaultdict(_Pending)
        # Per namespace: when the index was read, and when the site last asked for each id.
        self._site_snapshot: dict[str, tuple[float, dict[str, float]]] = {}
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
    def _ranked(rows: Iterable[IndexRow], bucket: float, site_since: float) -> list[IndexRow]:
        """The site's own first; then closest to expiry first; among those expiring about
        together, most viewed first.
        """
        width = max(1.0, bucket)
        return sorted(
            rows,
            key=lambda r: (
                r.site_view < site_since,
                r.fresh_until // width,
                -r.views,
                -r.total_views,
                r.product_id,
            ),
        )

    def top_up(
        self,
        ns: str,
        *,
        exclude: Collection[str],
        now: float,
        active_since: float,
        site_since: float,
        bucket: float,
        limit: int,
    ) -> list[str]:
        """Up to ``limit`` ids worth adding to a partial batch: past half their freshness
        (or never cached), viewed since ``active_since``, ranked by ``_ranked`` (the site's
        own are those it asked for since ``site_since``). Renewing them a little early costs
        nothing: the call is made anyway. Entries with more than half their freshness left
        are not renewed: that would only shorten their cycle.
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
        return [row.product_id for row in self._ranked(eligible, bucket, site_since)[:limit]]

    def due(
        self,
        ns: str,
        *,
        before: float,
        active_since: float,
        site_since: float,
        bucket: float,
    ) -> list[IndexRow]:
        """Rows whose entry is fresh until before ``before`` (or never cached) and that were
        viewed since ``active_since``: the site's own first, soonest first, most viewed first
        among equals.
        """
        self.flush(force=True)
        eligible = (
            row
            for row in self.rows(ns).values()
            if row.fresh_until < before and row.last_view >= active_since
        )
        return self._ranked(eligible, bucket, site_since)

    def for_site(self, ns: str, ids: Collection[str], *, since: float) -> set[str]:
        """The ids of ``ids`` the site asked for since ``since``.

        Asked for in this process: known at once; in others: once they flushed, and this
        process re-read the index (at most every ``flush_interval``: the whole index is read,
        and this is asked for every refresh a public request schedules).
        """
        with self._lock:
            pending = self._pending[ns].site_view if ns in self._pending else {}
            mine = {pid for pid in ids if pid in pending and pending[pid] >= since}
        if len(mine) < len(ids):
            known = self._site_views(ns)
            mine.update(pid for pid in ids if known.get(pid) and known[pid] >= since)
        return mine

    def _site_views(self, ns: str) -> dict[str, float]:
        now = self._clock()
        with self._lock:
            snapshot = self._site_snapshot.get(ns)
        if snapshot is not None and 0 <= now - snapshot[0] < self.flush_interval:
            return snapshot[1]
        views = {pid: row.site_view for pid, row in self.rows(ns).items()}
        with self._lock:
            self._site_snapshot[ns] = (now, views)
        return views

    # writing ------------------------------------------------------------------------------

    def viewed(self, ns: str, product_ids: Iterable[str], *, by_site: bool) -> None:
        """Count views in memory (written by ``flush``); ``by_site``: the site asked.

        Views buffered more than ``flush_interval`` ago are written first, so one batch of
        views never spans more than a flush interval (``on_flush`` dates them by it).
        """
        now = self._clock()
        if now - self._last_flush >= self.flush_interval:
            self.flush()
        with self._lock:
            pending = self._pending[ns]
            for product_id in product_ids:
                pending.views[product_id] = pending.views.get(product_id, 0) + 1
                pending.last_view[product_id] = now
                if by_site:
                    pending.site_view[product_id] = now

    def flush(self, *, force: bool = False) -> None:
        now = self._clock()
        with self._lock:
            if not force and now - self._last_flush < self.flush_interval:
                return
            self._last_flush = now
            pending = dict(self._pending)
            self._pending.clear()
            for ns, views in pending.items():  # what was pending stays known to ``for_site``
                if ns in self._site_snapshot:
                    self._site_snapshot[ns][1].update(views.site_view)
        for ns, views in pending.items():
            if views.views and self._update(ns, views=views) and self._on_flush is not None:
                self._on_flush(views.views, views.last_view)

    def fetched(self, ns: str, entries: Mapping[str, Entry]) -> None:
        """Record entries just stored by a gateway call (their view counts start again)."""
        if entries:
            self._update(ns, fetched=entries)

    def _update(
        self,
        ns: str,
        *,
        views: _Pending | None = None,
        fetched: Mapping[str, Entry] | None = None,
    ) -> bool:
        """Write views and/or fetched entries; False when the store refused (views are kept
        for the next flush)."""
        key = self.key(ns)
        now = self._clock()

        def write(tx: Tx) -> None:
            current = tx.get(key)
            table: dict[str, Any] = current if isinstance(current, dict) else {}
            for product_id, count in (views.views if views else {}).items():
                seen = views.last_view.get(product_id, now) if views else now
                row = _row(product_id, table.get(product_id)) or IndexRow(
                    product_id=product_id, last_view=seen
                )
                site = views.site_view.get(product_id, 0.0) if views else 0.0
                table[product_id] = _raw(
                    replace(
                        row,
                        views=row.views + count,
                        total_views=row.total_views + count,
                        last_view=max(row.last_view, seen),
                        site_view=max(row.site_view, site),
                    )
                )
            for product_id, entry in (fetched or {}).items():
                row = _row(product_id, table.get(product_id)) or IndexRow(
                    product_id=product_id, last_view=now
                )
                table[product_id] = _raw(
                    replace(
                        row,
                        fresh_until=entry.fresh_until,
                        stale_until=entry.stale_until,
                        views=0,
                        negative=entry.negative,
                        fetched_at=entry.fetched_at,
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
                    pending = self._pending[ns]
                    for product_id, count in views.views.items():
                        pending.views[product_id] = pending.views.get(product_id, 0) + count
                    for name in ("last_view", "site_view"):
                        kept, failed = getattr(pending, name), getattr(views, name)
                        for product_id, moment in failed.items():
                            kept[product_id] = max(kept.get(product_id, 0.0), moment)
            return False
        return True

    def clear(self, ns: str) -> None:
        with self._lock:
            self._pending.pop(ns, None)
            self._site_snapshot.pop(ns, None)
        self._ctl.delete(self.key(ns))
