"""The product index as an indexed SQLite table in the cache folder, shared by every worker.

What a page view, a gateway call or a refresh costs here depends on the rows it touches, not
on how many products the site shows: views are added in one batch per flush (each product
viewed reached by its primary key), a fetch updates the rows it fetched, and a top-up or a
refresh reads the rows it returns through an index kept in renewal order (``index_schema``).
Counting the rows for eviction and for the dashboard reads one bookkeeping row.

The index is a hint. When the file is busy past the timeout, on a full disk, or while it is
rebuilt after damage (``index_db``), reads find nothing (no top-up this time, nothing due),
buffered views wait for the next flush and a fetch goes unrecorded (its ids only look due
sooner than they are); no page fails for it.

Rows of the JSON index kept in the control store by earlier versions (``index:<ns>``) are
moved in the first time a process uses their namespace, then deleted from the store.

With the shared state in Redis each machine keeps this index in its own folder and follows
the others' writes through the site's journal (``index_journal``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

from affsite.cache import Journal, Store
from affsite.catalog.entries import Entry
from affsite.catalog.index_buffer import BufferedIndex, FlushListener
from affsite.catalog.index_db import BUSY_TIMEOUT, IndexDatabase, IndexUnavailable
from affsite.catalog.index_journal import (
    MAX_RECORDS,
    apply_records,
    cleared_record,
    fetched_record,
    follower_state,
    start_following,
    views_record,
)
from affsite.catalog.index_queries import (
    TopUp,
    all_rows,
    insert_rows,
    record_fetched,
    record_views,
    select_due,
    select_top_up,
    site_views,
)
from affsite.catalog.index_rows import (
    DEFAULT_MAX_IDS,
    KEEP_INDEX_SECONDS,
    IndexRow,
    ViewBatch,
    bucket_width,
    ranked,
)
from affsite.catalog.index_spaces import (
    SWEEP_LAG,
    Space,
    ensure_space,
    evict,
    expire_spaces,
    load_space,
    needs_settling,
    save_space,
    settle,
)
from affsite.catalog.index_store import index_key, rows_from_json
from affsite.clock import Clock

log = logging.getLogger(__name__)

R = TypeVar("R")


class SqliteIndex(BufferedIndex):
    """The product index in ``folder`` (see the module docstring). Thread-safe; one per
    process, every process of a site on the same folder."""

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_ids: int = DEFAULT_MAX_IDS,
        on_flush: FlushListener | None = None,
        legacy: Store | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
        journal: Journal | None = None,
    ) -> None:
        """``legacy``: the store an earlier version kept its JSON index in; ``journal``: the
        one other machines of the site write theirs to (see ``index_journal``)."""
        super().__init__(clock, flush_interval=flush_interval, max_ids=max_ids, on_flush=on_flush)
        self._db = IndexDatabase(folder, busy_timeout=busy_timeout)
        self._legacy = legacy
        self._ready: set[str] = set()
        self._journal = journal
        self._followed_at = float("-inf")

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def database(self) -> IndexDatabase:
        """The file, as this process uses it (for diagnostics and tests)."""
        return self._db

    def _read(self, operation: Callable[[sqlite3.Connection], R], fallback: R) -> R:
        try:
            return self._db.read(operation)
        except IndexUnavailable as error:
            log.warning("product index %s not read: %s", self.path, error)
            return fallback

    def _write(self, operation: Callable[[sqlite3.Connection], object]) -> bool:
        try:
            self._db.write(operation)
        except IndexUnavailable as error:
            log.warning("product index %s not written: %s", self.path, error)
            return False
        return True

    def _prepare(self, ns: str) -> None:
        """Once per namespace and process: move in the rows of the old JSON index."""
        if ns in self._ready:
            return
        space = self._read(lambda connection: load_space(connection, ns), None)
        if space is not None and space.migrated:
            self._ready.add(ns)
            return
        raw = self._legacy.get(index_key(ns)) if self._legacy is not None else None
        legacy = rows_from_json(raw)
        now = self._clock()

        def write(connection: sqlite3.Connection) -> None:
            space = ensure_space(connection, ns, now)
            if not space.migrated:
                insert_rows(connection, space, legacy.values())
                evict(connection, space, self.max_ids)
                space.migrated = True
                save_space(connection, space)

        if self._write(write):
            self._ready.add(ns)
            if raw is not None and self._legacy is not None:
                self._legacy.delete(index_key(ns))

    # writing ------------------------------------------------------------------------------

    def _written_space(
        self, ns: str, change: Callable[[sqlite3.Connection, Space, float], None]
    ) -> bool:
        """Apply ``change`` to the namespace in one write, then keep it within bounds."""
        self._prepare(ns)
        return self._write(lambda connection: self._change(connection, ns, change))

    def _change(
        self,
        connection: sqlite3.Connection,
        ns: str,
        change: Callable[[sqlite3.Connection, Space, float], None],
    ) -> None:
        """Apply ``change`` to the namespace within the caller's write."""
        now = self._clock()
        space = ensure_space(connection, ns, now)
        change(connection, space, now)
        space.written_at = now
        evict(connection, space, self.max_ids)
        save_space(connection, space)
        expire_spaces(connection, ns, now - KEEP_INDEX_SECONDS)

    def _write_views(self, ns: str, batch: ViewBatch) -> bool:
        written = self._written_space(
            ns, lambda connection, space, now: record_views(connection, space, batch, now)
        )
        if written:
            self._publish(lambda origin: views_record(origin, ns, batch))
        return written

    def fetched(self, ns: str, entries: Mapping[str, Entry]) -> None:
        """Record entries just stored by a gateway call (their view counts start again).
        When that cannot be written, the ids look due sooner than they are: harmless."""
        if entries and self._written_space(
            ns, lambda connection, space, now: record_fetched(connection, space, entries, now)
        ):
            self._publish(lambda origin: fetched_record(origin, ns, entries))

    # following the other machines ---------------------------------------------------------

    def _follow(self) -> tuple[str, str] | None:
        """This machine's ``(origin, position)`` in the journal, following it from its
        newest record the first time; None without a journal, or while neither can be read.
        Read each time (one row): a file rebuilt after damage follows again under a new
        origin."""
        if self._journal is None:
            return None
        state = self._read(follower_state, None)
        if state is None:
            newest = self._journal.last_position()
            if newest is None:
                return None
            try:
                state = self._db.write(lambda connection: start_following(connection, newest))
            except IndexUnavailable as error:
                log.warning("product index %s cannot follow the journal: %s", self.path, error)
                return None
        return state

    def _publish(self, record_for: Callable[[str], dict[str, Any]]) -> None:
        state = self._follow()
        if state is not None and self._journal is not None:
            self._journal.append(record_for(state[0]))

    def flush(self, *, force: bool = False) -> None:
        """Write the buffered views; then, at most every ``flush_interval`` unless ``force``,
        apply what the other machines wrote since (with a journal)."""
        super().flush(force=force)
        if self._journal is None:
            return
        now = self._clock()
        if not force and 0 <= now - self._followed_at < self.flush_interval:
            return
        self._followed_at = now
        state = self._follow()
        if state is None:
            return
        records = self._journal.read_after(state[1], MAX_RECORDS)
        if not records:
            return
        for ns in {r.get("ns") for _, r in records if isinstance(r.get("ns"), str)}:
            self._prepare(str(ns))
        self._write(lambda connection: apply_records(connection, records, self._change))

    def clear(self, ns: str) -> None:
        self._forget(ns)
        now = self._clock()

        def write(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM products WHERE ns = ?", (ns,))
            save_space(connection, Space(ns, written_at=now, migrated=True))

        if self._write(write):
            self._publish(lambda origin: cleared_record(origin, ns))
        if self._legacy is not None:
            self._legacy.delete(index_key(ns))

    # choosing -----------------------------------------------------------------------------

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
        (or never cached), viewed since ``active_since``, in renewal order
        (``index_rows.rank_key``; the site's own are those it asked for since
        ``site_since``). Entries with more than half their freshness left are not renewed:
        that would only shorten their cycle.
        """
        if limit <= 0:
            return []
        self.flush()  # views of the last flush interval may wait: they barely move the order
        self._prepare(ns)
        width = bucket_width(bucket)
        space = self._read(lambda connection: load_space(connection, ns), None)
        if space is None:
            return []
        if needs_settling(space, width=width, site_since=site_since, active_since=active_since):
            moved = self._write(
                lambda connection: settle(
                    connection,
                    ns,
                    width=width,
                    site_since=site_since,
                    active_since=active_since,
                )
            )
            if not moved and space.width != width:
                return []  # buckets numbered for another width: not in renewal order
        query = TopUp(
            exclude=exclude,
            now=now,
            active_since=active_since,
            site_since=site_since,
            limit=limit,
        )
        return self._read(lambda connection: select_top_up(connection, ns, query), [])

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
        viewed since ``active_since``, in renewal order (``index_rows.rank_key``)."""
        self.flush(force=True)
        self._prepare(ns)
        space = self._read(lambda connection: load_space(connection, ns), None)
        if space is None:
            return []
        if active_since - space.dormant_before > SWEEP_LAG:
            # Rows not viewed in this window will not be asked for: out of the live tiers.
            self._write(lambda connection: settle(connection, ns, active_since=active_since))
        nothing: list[IndexRow] = []
        found = self._read(
            lambda connection: select_due(connection, ns, before=before, active_since=active_since),
            nothing,
        )
        return ranked(found, bucket, site_since)

    # reading ------------------------------------------------------------------------------

    def _stored_site_views(self, ns: str, ids: Collection[str]) -> Mapping[str, float]:
        self._prepare(ns)
        return self._read(lambda connection: site_views(connection, ns, ids), {})

    def rows(self, ns: str) -> dict[str, IndexRow]:
        """Every row of the namespace (reads them all: for diagnostics and tests)."""
        self._prepare(ns)
        return self._read(lambda connection: all_rows(connection, ns), {})

    def count(self, ns: str) -> int:
        """How many products the namespace's index holds (one row read)."""
        self._prepare(ns)
        space = self._read(lambda connection: load_space(connection, ns), None)
        return space.count if space is not None else 0

    def close(self) -> None:
        """Close this process's connections (after the last flush)."""
        self._db.close()
