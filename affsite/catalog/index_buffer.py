"""View counts kept in memory and written now and then: what every product index shares.

A page view must not cost a write: views are counted per process and written in one batch at
most every ``flush_interval`` seconds (and whenever the catalog flushes). A batch that cannot
be written stays in memory for the next flush. Subclasses say how a batch is written
(``_write_views``) and how the site views of stored rows are read (``_stored_site_views``).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping

from affsite.catalog.index_rows import DEFAULT_MAX_IDS, ViewBatch
from affsite.clock import Clock

FlushListener = Callable[[Mapping[str, int], Mapping[str, float]], None]


class BufferedIndex(ABC):
    """The in-memory half of a product index (see the module docstring)."""

    def __init__(
        self,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_ids: int = DEFAULT_MAX_IDS,
        on_flush: FlushListener | None = None,
    ) -> None:
        """``on_flush`` is called with the view counts per product each flush has just
        written and when each product was last viewed (the click log counts views per day
        with them)."""
        self._clock = clock
        self._on_flush = on_flush
        self.flush_interval = flush_interval
        self.max_ids = max_ids
        self._lock = threading.Lock()
        self._pending: defaultdict[str, ViewBatch] = defaultdict(ViewBatch)
        self._last_flush = clock()

    # what subclasses provide --------------------------------------------------------------

    @abstractmethod
    def _write_views(self, ns: str, batch: ViewBatch) -> bool:
        """Write one namespace's views; False when it could not be written (nothing was)."""

    @abstractmethod
    def _stored_site_views(self, ns: str, ids: Collection[str]) -> Mapping[str, float]:
        """When the site last asked for each of ``ids``, as written (missing: never)."""

    def _written(self, ns: str, batch: ViewBatch) -> None:  # noqa: B027 (a hook, optional)
        """Called under the lock when ``batch`` leaves memory for the store."""

    # counting views -----------------------------------------------------------------------

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
                pending.add(product_id, now, by_site=by_site)

    def flush(self, *, force: bool = False) -> None:
        """Write the buffered views (unless ``flush_interval`` has not passed and not
        ``force``); a namespace whose batch cannot be written keeps it for the next flush."""
        now = self._clock()
        with self._lock:
            if not force and now - self._last_flush < self.flush_interval:
                return
            self._last_flush = now
            pending = dict(self._pending)
            self._pending.clear()
            for ns, batch in pending.items():
                self._written(ns, batch)
        for ns, batch in pending.items():
            if not batch.views:
                continue
            if not self._write_views(ns, batch):
                with self._lock:  # keep the counts for the next flush
                    self._pending[ns].merge(batch)
            elif self._on_flush is not None:
                self._on_flush(batch.views, batch.last_view)

    def for_site(self, ns: str, ids: Collection[str], *, since: float) -> set[str]:
        """The ids of ``ids`` the site asked for since ``since`` (asked for in this process:
        known at once; in others: once they flushed)."""
        with self._lock:
            pending = self._pending[ns].site_view if ns in self._pending else {}
            mine = {pid for pid in ids if pid in pending and pending[pid] >= since}
        rest = [pid for pid in ids if pid not in mine]
        if rest:
            stored = self._stored_site_views(ns, rest)
            mine.update(pid for pid in rest if stored.get(pid, 0.0) and stored[pid] >= since)
        return mine

    def _forget(self, ns: str) -> None:
        """Drop what is buffered for ``ns`` (the index of ``ns`` is being cleared)."""
        with self._lock:
            self._pending.pop(ns, None)
