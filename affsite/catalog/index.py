"""Which products a site shows: when each cached entry expires, how often it is viewed, and
whether the site itself asked for it.

The catalog uses it to fill every gateway call with a full batch (top-up: the ids closest to
expiry, most viewed first, the site's own before the others), ``affsite refresh`` uses it to
pick what to renew, and the public share (``policy.PublicShare``) to tell the site's own
products from those only public requests asked for.

``ProductIndex`` is what the catalog depends on; ``open_product_index`` picks the
implementation for the stores the catalog was given:

* a cache folder: ``index_sqlite.SqliteIndex``, an indexed SQLite table beside the caches,
  shared by every worker, whose costs do not grow with the number of products;
* Redis and this machine's folder: the same, one per machine, each following the other
  machines' writes through the site's journal (``index_journal``);
* no folder (``MemoryStore`` in tests, a store of another kind): ``index_store.StoreIndex``,
  one JSON document per namespace in the control store, fine for a few thousand products.

Both count views in memory and write them at most every ``flush_interval`` seconds per process
(``index_buffer``), never per page view, and rank rows the same way (``index_rows``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

from affsite.cache import CacheStores
from affsite.catalog.entries import Entry
from affsite.catalog.index_buffer import FlushListener
from affsite.catalog.index_db import INDEX_FOLDER
from affsite.catalog.index_rows import DEFAULT_MAX_IDS, KEEP_INDEX_SECONDS, IndexRow, ranked
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.catalog.index_store import StoreIndex
from affsite.clock import Clock

__all__ = [
    "DEFAULT_MAX_IDS",
    "KEEP_INDEX_SECONDS",
    "IndexRow",
    "ProductIndex",
    "SqliteIndex",
    "StoreIndex",
    "open_product_index",
    "ranked",
]


class ProductIndex(Protocol):
    """What the catalog asks of the product index. Thread-safe; one per process.

    No method raises for a store that fails: the index is a hint, and a page never fails for
    it (reads then find nothing, and views wait in memory for the next flush).
    """

    flush_interval: float  # seconds between two writes of buffered views, per process
    max_ids: int  # products remembered per namespace; those viewed longest ago go first

    def viewed(self, ns: str, product_ids: Iterable[str], *, by_site: bool) -> None:
        """Count one view of each id, in memory; ``by_site``: the site itself asked."""

    def flush(self, *, force: bool = False) -> None:
        """Write the buffered views (at most every ``flush_interval`` unless ``force``)."""

    def fetched(self, ns: str, entries: Mapping[str, Entry]) -> None:
        """Record entries a gateway call just stored (their view counts start again)."""

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
        """Up to ``limit`` ids (none of ``exclude``) worth adding to a partial batch: past
        half their freshness (or never cached) and viewed since ``active_since``, in renewal
        order (``index_rows.rank_key``: the site's own, asked for since ``site_since``, first;
        then by expiry bucket of ``bucket`` seconds; then most viewed). Views this process
        counted within the last ``flush_interval`` may not be counted yet (a top-up comes with
        every gateway call: it writes them only when a flush is due)."""
        ...

    def due(
        self,
        ns: str,
        *,
        before: float,
        active_since: float,
        site_since: float,
        bucket: float,
    ) -> list[IndexRow]:
        """Rows fresh until before ``before`` (or never cached) and viewed since
        ``active_since``, in renewal order."""
        ...

    def for_site(self, ns: str, ids: Collection[str], *, since: float) -> set[str]:
        """The ids of ``ids`` the site asked for since ``since``."""
        ...

    def rows(self, ns: str) -> dict[str, IndexRow]:
        """Every row of a namespace (reads them all: for diagnostics and tests)."""
        ...

    def count(self, ns: str) -> int:
        """How many products a namespace's index holds."""
        ...

    def clear(self, ns: str) -> None:
        """Forget every row of a namespace, and its buffered views."""

    def close(self) -> None:
        """Release what the index holds open (after the last flush)."""


def open_product_index(
    stores: CacheStores,
    clock: Clock,
    *,
    flush_interval: float = 30.0,
    max_ids: int = DEFAULT_MAX_IDS,
    on_flush: FlushListener | None = None,
) -> ProductIndex:
    """The product index for ``stores``: in ``<cache folder>/index/`` when they have a
    folder, or this machine's folder beside Redis (following the other machines' writes
    through the journal); else in the control store. What an earlier version kept in the
    control store is moved in. Never raises: a folder that cannot be used shows when the
    index is."""
    folder = stores.directory or stores.local_directory
    if folder is None:
        return StoreIndex(
            stores.ctl, clock, flush_interval=flush_interval, max_ids=max_ids, on_flush=on_flush
        )
    return SqliteIndex(
        folder / INDEX_FOLDER,
        clock,
        flush_interval=flush_interval,
        max_ids=max_ids,
        on_flush=on_flush,
        legacy=stores.ctl,
        journal=stores.journal if stores.directory is None else None,
    )
