"""The product index: views counted in memory, flushed now and then; what is due, what tops
up a batch, and which products the site itself asked for.
"""

from __future__ import annotations

import pytest

from affsite.cache import MemoryStore, StoreError
from affsite.catalog.entries import Entry
from affsite.catalog.index import ProductIndex
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500)


@pytest.fixture
def ctl(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def index(ctl: MemoryStore, clock: FakeClock) -> ProductIndex:
    return ProductIndex(ctl, clock, flush_interval=30)


def fetched(index: ProductIndex, clock: FakeClock, *ids: str, factor: float = 1.0) -> None:
    entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=factor)
    index.fetched("ns", dict.fromkeys(ids, entry))


def test_views_are_written_at_most_once_per_flush_interval(
    index: ProductIndex, ctl: MemoryStore, clock: FakeClock
) -> None:
    index.viewed("ns", ["1", "2", "1"], by_site=True)
    index.flush()
    assert ctl.get(ProductIndex.key("ns")) is None, "not per view"
    clock.advance(30)
    index.flush()
    rows = index.rows("ns")
    assert (rows["1"].views, rows["1"].total_views, rows["2"].views) == (2, 2, 1)
    assert rows["1"].site_view == rows["1"].last_view == clock() - 30


def test_a_fetch_starts_the_view_count_again(index: ProductIndex, clock: FakeClock) -> None:
    index.viewed("ns", ["1"], by_site=False)
    index.flush(force=True)
    fetched(index, clock, "1")
    row = index.rows("ns")["1"]
    assert (row.views, row.total_views, row.fresh_until) == (0, 1, clock() + 1000)
    assert row.site_view == 0.0, "public requests do not make a product the site's"


def test_views_that_cannot_be_written_wait_for_the_next_flush(
    index: ProductIndex, ctl: MemoryStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
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


def test_the_site_asked_for_what_its_pages_showed_lately(
    index: ProductIndex, clock: FakeClock
) -> None:
    index.viewed("ns", ["site"], by_site=True)
    index.viewed("ns", ["public"], by_site=False)
    assert index.for_site("ns", ["site", "public"], since=clock()) == {"site"}  # unflushed
    index.flush(force=True)
    assert index.for_site("ns", ["site", "public", "unknown"], since=clock()) == {"site"}
    clock.advance(10)
    assert index.for_site("ns", ["site"], since=clock() - 5) == set()


def test_rows_written_before_site_views_count_as_the_sites_own_as_of_their_last_view(
    index: ProductIndex, ctl: MemoryStore, clock: FakeClock
) -> None:
    old = [clock() + 100, clock() + 200, 3, 7, clock() - 50, 0, clock()]
    ctl.set(ProductIndex.key("ns"), {"1": old, "2": [1, 2, 3]})
    rows = index.rows("ns")
    assert set(rows) == {"1"}
    assert (rows["1"].total_views, rows["1"].site_view) == (7, clock() - 50)


def test_due_and_top_up_rank_the_sites_own_first_then_soonest_then_most_viewed(
    index: ProductIndex, clock: FakeClock
) -> None:
    since = clock()
    fetched(index, clock, "early-public", factor=0.9)
    fetched(index, clock, "late-site", "busy-site", factor=1.1)
    index.viewed("ns", ["early-public"], by_site=False)
    index.viewed("ns", ["late-site", "busy-site", "busy-site"], by_site=True)
    clock.advance(600)  # past half their freshness

    due = index.due("ns", before=clock() + 1000, active_since=0, site_since=since, bucket=20)
    assert [row.product_id for row in due] == ["busy-site", "late-site", "early-public"]
    top = index.top_up(
        "ns",
        exclude={"busy-site"},
        now=clock(),
        active_since=0,
        site_since=since,
        bucket=20,
        limit=5,
    )
    assert top == ["late-site", "early-public"]
    fresh = index.top_up(
        "ns", exclude=(), now=clock() - 200, active_since=0, site_since=0, bucket=20, limit=5
    )
    assert fresh == [], "entries with more than half their freshness left are not renewed"


def test_the_index_forgets_the_products_viewed_longest_ago(
    ctl: MemoryStore, clock: FakeClock
) -> None:
    index = ProductIndex(ctl, clock, max_ids=2)
    for pid in ("1", "2", "3"):
        index.viewed("ns", [pid], by_site=True)
        index.flush(force=True)
        clock.advance(1)
    assert set(index.rows("ns")) == {"2", "3"}
    index.clear("ns")
    assert index.rows("ns") == {}


def test_what_other_workers_showed_is_known_once_they_flushed_and_the_index_is_reread(
    ctl: MemoryStore, clock: FakeClock
) -> None:
    mine, other = ProductIndex(ctl, clock), ProductIndex(ctl, clock)
    assert mine.for_site("ns", ["1"], since=0) == set()  # reads (and keeps) the index
    other.viewed("ns", ["1"], by_site=True)
    other.flush(force=True)
    assert mine.for_site("ns", ["1"], since=0) == set(), "the index is not read per call"
    clock.advance(mine.flush_interval)
    assert mine.for_site("ns", ["1"], since=0) == {"1"}
    mine.viewed("ns", ["2"], by_site=True)
    mine.flush(force=True)
    assert mine.for_site("ns", ["2"], since=0) == {"2"}, "its own flushed views stay known"
