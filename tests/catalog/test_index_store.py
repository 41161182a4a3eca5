"""The product index as a JSON document in a store (stores without a cache folder): what is
written where, rows of earlier versions, a store that fails, what other workers wrote."""

from __future__ import annotations

import pytest

from affsite.cache import MemoryStore, StoreError
from affsite.catalog.index_store import StoreIndex, index_key, row_from_json, row_to_json
from affsite.clock import FakeClock


@pytest.fixture
def ctl(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def index(ctl: MemoryStore, clock: FakeClock) -> StoreIndex:
    return StoreIndex(ctl, clock, flush_interval=30)


def test_views_are_one_document_per_namespace_written_per_flush(
    index: StoreIndex, ctl: MemoryStore, clock: FakeClock
) -> None:
    index.viewed("ns", ["1"], by_site=True)
    assert ctl.get(index_key("ns")) is None, "not per view"
    index.flush(force=True)
    assert ctl.get(index_key("ns")) == {"1": [0.0, 0.0, 1, 1, clock(), 0, 0.0, clock()]}
    assert index_key("ns") == StoreIndex.key("ns") == "index:ns"


def test_rows_written_before_site_views_count_as_the_sites_own_as_of_their_last_view(
    index: StoreIndex, ctl: MemoryStore, clock: FakeClock
) -> None:
    old = [clock() + 100, clock() + 200, 3, 7, clock() - 50, 0, clock()]
    ctl.set(index_key("ns"), {"1": old, "2": [1, 2, 3], "3": ["x", 0, 0, 0, 0, 0, 0]})
    rows = index.rows("ns")
    assert set(rows) == {"1"}
    assert (rows["1"].total_views, rows["1"].site_view) == (7, clock() - 50)
    assert row_from_json("1", row_to_json(rows["1"])) == rows["1"]


def test_views_that_cannot_be_written_wait_for_the_next_flush(
    index: StoreIndex, ctl: MemoryStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.viewed("ns", ["1"], by_site=True)

    def broken(operation: object) -> None:
        raise StoreError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(ctl, "atomic", broken)
        index.flush(force=True)
    index.flush(force=True)
    row = index.rows("ns")["1"]
    assert (row.views, row.site_view) == (1, clock())


def test_what_other_workers_showed_is_known_once_they_flushed_and_the_index_is_reread(
    ctl: MemoryStore, clock: FakeClock
) -> None:
    mine, other = StoreIndex(ctl, clock), StoreIndex(ctl, clock)
    assert mine.for_site("ns", ["1"], since=0) == set()  # reads (and keeps) the index
    other.viewed("ns", ["1"], by_site=True)
    other.flush(force=True)
    assert mine.for_site("ns", ["1"], since=0) == set(), "the index is not read per call"
    clock.advance(mine.flush_interval)
    assert mine.for_site("ns", ["1"], since=0) == {"1"}
    mine.viewed("ns", ["2"], by_site=True)
    mine.flush(force=True)
    assert mine.for_site("ns", ["2"], since=0) == {"2"}, "its own flushed views stay known"
