"""A namespace's bookkeeping in the SQLite index: tiers that follow the windows by moving only
the rows between old and new thresholds, eviction, and namespaces nobody uses any more."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.catalog.index_rows import KEEP_INDEX_SECONDS
from affsite.catalog.index_spaces import DORMANT, OWN, PUBLIC, load_space, settle
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.clock import FakeClock


@pytest.fixture
def index(tmp_path: Path, clock: FakeClock) -> Iterator[SqliteIndex]:
    made = SqliteIndex(tmp_path / "index", clock)
    yield made
    made.close()


def _tiers(index: SqliteIndex) -> dict[str, int]:
    return dict(
        index.database.read(
            lambda connection: connection.execute(
                "SELECT product_id, tier FROM products WHERE ns = 'ns'"
            ).fetchall()
        )
    )


def test_rows_change_tier_as_the_windows_pass_them(index: SqliteIndex, clock: FakeClock) -> None:
    index.viewed("ns", ["old-site"], by_site=True)
    clock.advance(100)
    index.viewed("ns", ["public"], by_site=False)
    index.viewed("ns", ["site"], by_site=True)
    index.flush(force=True)
    assert _tiers(index) == {"old-site": OWN, "public": OWN, "site": OWN}  # no window yet

    def move(site_since: float, active_since: float) -> int:
        def write(connection: sqlite3.Connection) -> int:
            before = connection.total_changes
            settle(connection, "ns", site_since=site_since, active_since=active_since)
            return connection.total_changes - before - 1  # the bookkeeping row itself

        return index.database.write(write)

    assert move(clock() - 50, 0.0) == 2  # "old-site" and "public" leave the site's tier
    assert _tiers(index) == {"old-site": PUBLIC, "public": PUBLIC, "site": OWN}
    assert move(clock() - 50, clock() - 50) == 1  # only "old-site" goes dormant
    assert _tiers(index) == {"old-site": DORMANT, "public": PUBLIC, "site": OWN}
    assert move(clock() - 50, clock() - 40) == 0, "nothing between the old and new value"
    assert move(1.0, 0.0) == 1  # windows widened: "old-site" comes back
    assert _tiers(index) == {"old-site": OWN, "public": PUBLIC, "site": OWN}
    index.viewed("ns", ["public"], by_site=True)
    index.flush(force=True)
    assert _tiers(index)["public"] == OWN, "a write files the rows it touches"


def test_eviction_keeps_the_count_right_without_counting(tmp_path: Path, clock: FakeClock) -> None:
    index = SqliteIndex(tmp_path / "index", clock, max_ids=5)
    try:
        for start in range(0, 12, 3):
            index.viewed("ns", [str(n) for n in range(start, start + 3)], by_site=True)
            index.flush(force=True)
            clock.advance(1)
        # Viewed longest ago first; among those viewed together, by id.
        assert set(index.rows("ns")) == {"7", "8", "9", "10", "11"}
        assert index.count("ns") == 5
    finally:
        index.close()


def test_a_namespace_nobody_writes_for_a_month_is_deleted(
    index: SqliteIndex, clock: FakeClock
) -> None:
    index.viewed("old-settings", ["1", "2"], by_site=True)
    index.flush(force=True)
    clock.advance(KEEP_INDEX_SECONDS - 10)
    index.viewed("ns", ["3"], by_site=True)
    index.flush(force=True)
    assert index.count("old-settings") == 2, "not yet"
    clock.advance(20)
    index.viewed("ns", ["3"], by_site=True)
    index.flush(force=True)
    assert index.rows("old-settings") == {}
    assert index.database.read(lambda c: load_space(c, "old-settings")) is None
