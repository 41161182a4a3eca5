"""Each machine's product index following the others' through the shared journal (the state
in Redis): views, fetches and clears made on one machine reach the others' indexes once, on
their next flush, and a machine never applies its own writes twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import MemoryJournal, open_stores
from affsite.catalog import Catalog, Purpose
from affsite.catalog.entries import Entry
from affsite.catalog.index import SqliteIndex, open_product_index
from affsite.clock import FakeClock
from affsite.settings import Settings

from .helpers import TRACKING_IDS, transport_factory

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500)

Machine = Callable[[str], SqliteIndex]


@pytest.fixture
def journal(clock: FakeClock) -> MemoryJournal:
    return MemoryJournal(clock=clock)


@pytest.fixture
def machine(tmp_path: Path, clock: FakeClock, journal: MemoryJournal) -> Iterator[Machine]:
    """``machine("a")``: a worker's index on machine a's folder (more workers: call again)."""
    made: list[SqliteIndex] = []

    def make(name: str) -> SqliteIndex:
        index = SqliteIndex(tmp_path / name / "index", clock, journal=journal)
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


def views(index: SqliteIndex, ns: str = "ns") -> dict[str, tuple[int, int]]:
    return {pid: (row.views, row.total_views) for pid, row in index.rows(ns).items()}


def test_views_counted_on_one_machine_reach_the_other_once(
    machine: Machine, clock: FakeClock
) -> None:
    a, b, b_again = machine("a"), machine("b"), machine("b")
    b.flush(force=True)  # b follows the journal from here
    a.viewed("ns", ["1", "2", "1"], by_site=True)
    a.flush(force=True)
    assert views(a) == {"1": (2, 2), "2": (1, 1)}
    assert views(b) == {}, "not before b's next flush"

    clock.advance(1)
    b.flush(force=True)
    b_again.flush(force=True)  # another worker of machine b: nothing applied twice
    assert views(b) == views(b_again) == {"1": (2, 2), "2": (1, 1)}
    assert b.for_site("ns", ["1", "2", "3"], since=0) == {"1", "2"}
    a.flush(force=True)
    assert views(a) == {"1": (2, 2), "2": (1, 1)}, "a does not apply its own writes"


def test_fetches_and_clears_reach_the_other_machine(machine: Machine, clock: FakeClock) -> None:
    a, b = machine("a"), machine("b")
    b.flush(force=True)
    entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=1.0)
    a.fetched("ns", {"1": entry, "2": entry})
    b.flush(force=True)
    rows = b.rows("ns")
    assert {pid: row.fresh_until for pid, row in rows.items()} == {
        "1": entry.fresh_until,
        "2": entry.fresh_until,
    }
    assert b.due("ns", before=clock() + 10, active_since=0, site_since=0, bucket=60) == []

    a.clear("ns")
    b.flush(force=True)
    assert b.rows("ns") == {} and b.count("ns") == 0


def test_a_machine_that_cannot_reach_the_journal_keeps_its_own_index(
    machine: Machine, journal: MemoryJournal
) -> None:
    a, b = machine("a"), machine("b")
    b.flush(force=True)
    journal.failing = True
    a.viewed("ns", ["1"], by_site=False)
    a.flush(force=True)
    assert views(a) == {"1": (1, 1)}
    journal.failing = False
    b.flush(force=True)
    assert views(b) == {}, "a write the journal did not take is not seen elsewhere"


def test_damaged_records_are_skipped_once(machine: Machine, journal: MemoryJournal) -> None:
    a, b = machine("a"), machine("b")
    b.flush(force=True)
    journal.append({"o": "someone", "ns": "ns", "k": "views", "views": {"1": "many"}})
    journal.append({"o": "someone", "ns": 7, "k": "fetched"})
    journal.append({"o": "someone", "ns": "ns", "k": "views", "views": {"2": 3}})
    b.flush(force=True)
    assert views(b) == {"2": (3, 3)}
    assert a.rows("ns") == {}


def test_with_redis_each_machine_keeps_its_index_in_its_folder_and_follows_the_others(
    tmp_path: Path, clock: FakeClock, redis_url: str, redis_prefix: str
) -> None:
    sandbox = Sandbox(clock=clock, tracking_ids=TRACKING_IDS)
    catalogs = []
    for name in ("a", "b"):
        stores = open_stores(tmp_path / name, redis_url=redis_url, redis_prefix=redis_prefix)
        index = open_product_index(stores, clock)
        assert isinstance(index, SqliteIndex) and index.path.is_relative_to(tmp_path / name)
        index.close()
        catalogs.append(
            Catalog(
                settings=lambda: Settings(rate_limit=1000.0),
                stores=stores,
                client_factory=transport_factory(sandbox.transport()),
                clock=clock,
                sleep=clock.sleep,
            )
        )
    a, b = catalogs
    b.flush()  # b follows the journal from here
    shown = sandbox.catalog.promotable_ids()[:20]
    a.products(shown, purpose=Purpose.PAGE)  # viewed and fetched on machine a only
    a.flush()
    clock.advance(0.95 * 86_400)

    # The cron job runs on machine b: it renews what machine a's pages showed.
    assert set(b.due_for_refresh()) == set(shown)
    report = b.refresh(budget=3)
    assert report.calls == 1 and set(report.ids) == set(shown)
    a.flush()
    clock.advance(60)
    assert a.due_for_refresh() == [], "machine a learns of b's renewal"
    for catalog in catalogs:
        catalog.close()
