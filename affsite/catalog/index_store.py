"""The product index as one JSON document per namespace in a key-value store.

For stores without a cache folder (``MemoryStore`` in tests, one process; a shared store that
brings no folder). The whole document is read, decoded, changed and written back on every
write and every top-up, so its cost grows with the number of products: with a cache folder the
catalog uses ``index_sqlite`` instead, and moves documents found here into it once.

One JSON object per namespace (``index:<ns>``), mapping product id to ``[fresh_until,
stale_until, views_since_fetch, total_views, last_view, negative, fetched_at, site_view]``
(``site_view``: when the site's pages, commands or admin actions last asked for it; 0 for
never). It expires ``KEEP_INDEX_SECONDS`` after its last write.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.catalog.entries import Entry
from affsite.catalog.index_buffer import BufferedIndex, FlushListener
from affsite.catalog.index_rows import (
    DEFAULT_MAX_IDS,
    KEEP_INDEX_SECONDS,
    IndexRow,
    ViewBatch,
    ranked,
)
from affsite.clock import Clock

_FIELDS = 8


def index_key(ns: str) -> str:
    return f"index:{ns}"


def row_from_json(product_id: str, raw: Any) -> IndexRow | None:
    """The row a document holds for ``product_id``; None when it is not one.

    Rows written before ``site_view`` existed have 7 fields: they count as the site's own as
    of their last view, so nothing the site shows stops being renewed on upgrade.
    """
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


def rows_from_json(raw: Any) -> dict[str, IndexRow]:
    """Every readable row of a document (anything else in it is skipped)."""
    if not isinstance(raw, dict):
        return {}
    rows = {}
    for product_id, value in raw.items():
        row = row_from_json(product_id, value) if isinstance(product_id, str) else None
        if row is not None:
            rows[product_id] = row
    return rows


def row_to_json(row: IndexRow) -> list[Any]:
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


class StoreIndex(BufferedIndex):
    """The product index in a ``Store`` (see the module docstring)."""

    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_ids: int = DEFAULT_MAX_IDS,
        on_flush: FlushListener | None = None,
    ) -> None:
        super().__init__(clock, flush_interval=flush_interval, max_ids=max_ids, on_flush=on_flush)
        self._ctl = ctl
        self._snapshot_lock = threading.Lock()
        # Per namespace: when the index was read, and when the site last asked for each id.
        self._site_snapshot: dict[str, tuple[float, dict[str, float]]] = {}

    key = staticmethod(index_key)

    # reading ------------------------------------------------------------------------------

    def rows(self, ns: str) -> dict[str, IndexRow]:
        return rows_from_json(self._ctl.get(index_key(ns)))

    def count(self, ns: str) -> int:
        return len(self.rows(ns))

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
        if limit <= 0:
            return []
        self.flush()  # views of the last flush interval may wait: they barely move the order
        eligible = (
            row
            for row in self.rows(ns).values()
            if row.product_id not in exclude
            and row.half_life() <= now
            and row.last_view >= active_since
        )
        return [row.product_id for row in ranked(eligible, bucket, site_since)[:limit]]

    def due(
        self,
        ns: str,
        *,
        before: float,
        active_since: float,
        site_since: float,
        bucket: float,
    ) -> list[IndexRow]:
        self.flush(force=True)
        eligible = (
            row
            for row in self.rows(ns).values()
            if row.fresh_until < before and row.last_view >= active_since
        )
        return ranked(eligible, bucket, site_since)

    def _stored_site_views(self, ns: str, ids: Collection[str]) -> Mapping[str, float]:
        """Read from the whole document at most every ``flush_interval`` (this is asked for
        every refresh a public request schedules)."""
        now = self._clock()
        with self._snapshot_lock:
            snapshot = self._site_snapshot.get(ns)
        if snapshot is not None and 0 <= now - snapshot[0] < self.flush_interval:
            return snapshot[1]
        views = {pid: row.site_view for pid, row in self.rows(ns).items()}
        with self._snapshot_lock:
            self._site_snapshot[ns] = (now, views)
        return views

    def _written(self, ns: str, batch: ViewBatch) -> None:
        with self._snapshot_lock:  # what was pending stays known to ``for_site``
            if ns in self._site_snapshot:
                self._site_snapshot[ns][1].update(batch.site_view)

    # writing ------------------------------------------------------------------------------

    def fetched(self, ns: str, entries: Mapping[str, Entry]) -> None:
        """Record entries just stored by a gateway call (their view counts start again)."""
        if entries:
            self._update(ns, fetched=entries)

    def _write_views(self, ns: str, batch: ViewBatch) -> bool:
        return self._update(ns, views=batch)

    def _update(
        self,
        ns: str,
        *,
        views: ViewBatch | None = None,
        fetched: Mapping[str, Entry] | None = None,
    ) -> bool:
        key = index_key(ns)
        now = self._clock()

        def write(tx: Tx) -> None:
            current = tx.get(key)
            table: dict[str, Any] = current if isinstance(current, dict) else {}
            for product_id, count in (views.views if views else {}).items():
                seen = views.last_view.get(product_id, now) if views else now
                row = row_from_json(product_id, table.get(product_id)) or IndexRow(
                    product_id=product_id, last_view=seen
                )
                site = views.site_view.get(product_id, 0.0) if views else 0.0
                table[product_id] = row_to_json(
                    replace(
                        row,
                        views=row.views + count,
                        total_views=row.total_views + count,
                        last_view=max(row.last_view, seen),
                        site_view=max(row.site_view, site),
                    )
                )
            for product_id, entry in (fetched or {}).items():
                row = row_from_json(product_id, table.get(product_id)) or IndexRow(
                    product_id=product_id, last_view=now
                )
                table[product_id] = row_to_json(
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
            return False
        return True

    def clear(self, ns: str) -> None:
        self._forget(ns)
        with self._snapshot_lock:
            self._site_snapshot.pop(ns, None)
        self._ctl.delete(index_key(ns))

    def close(self) -> None:
        """Nothing to close: the store belongs to the caller."""
