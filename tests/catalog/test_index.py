"""The product index, whichever way it is kept (SQLite in the cache folder, or a JSON document
in a store): views counted in memory, flushed now and then; what is due, what tops up a batch,
and which products the site itself asked for. Implementation details are in
``test_index_sqlite.py`` and ``test_index_store.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from affsite.cache import MemoryStore, open_stores
from affsite.catalog.entries import Entry
from affsite.catalog.index import (
    DEFAULT_MAX_IDS,
    ProductIndex,
    SqliteIndex,
    StoreIndex,
    open_product_index,
)
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500)

MakeIndex = Callable[..., ProductIndex]


@pytest.fixture(params=["sqlite", "store"])
def make_index(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[MakeIndex]:
    made: list[ProductIndex] = []
    ctl = MemoryStore(clock=clock)

    def make(**options: object) -> ProductIndex:
        index: ProductIndex
        if request.param == "sqlite":
            index = SqliteIndex(tmp_path / "index", clock, **options)  # type: ignore[arg-type]
        else:
            index = StoreIndex(ctl, clock, **options)  # type: ignore[arg-type]
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


@pytest.fixture
def index(make_index: MakeIndex) -> ProductIndex:
    return make_index(flush_interval=30)


def fetched(index: ProductIndex, clock: FakeClock, *ids: str, factor: float = 1.0) -> None:
    entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=factor)
    index.fetched("ns", dict.fromkeys(ids, entry))


def test_views_are_written_at_most_once_per_flush_interval(
    index: ProductIndex, clock: FakeClock
) -> None:
    index.viewed("ns", ["1", "2", "1"], by_site=True)
    index.flush()
    assert index.rows("ns") == {}, "not per view"
    clock.advance(30)
    index.flush()
    rows = index.rows("ns")
    assert (rows["1"].views, rows["1"].total_views, rows["2"].views) == (2, 2, 1)
    assert rows["1"].site_view == rows["1"].last_view == clock() - 30
    assert index.count("ns") == 2


def test_a_fetch_starts_the_view_count_again(index: ProductIndex, clock: FakeClock) -> None:
    index.viewed("ns", ["1"], by_site=False)
    index.flush(force=True)
    fetched(index, clock, "1")
    row = index.rows("ns")["1"]
    assert (row.views, row.total_views, row.fresh_until) == (0, 1, clock() + 1000)
    assert row.site_view == 0.0, "public requests do not make a product the site's"


def test_a_fetched_product_never_viewed_counts_as_seen_when_fetched(
    index: ProductIndex, clock: FakeClock
) -> None:
    fetched(index, clock, "1")
    row = index.rows("ns")["1"]
    assert (row.views, row.total_views, row.last_view, row.site_view) == (0, 0, clock(), 0.0)


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


def test_products_not_viewed_lately_are_neither_due_nor_topped_up(
    index: ProductIndex, clock: FakeClock
) -> None:
    fetched(index, clock, "old", "recent")
    index.viewed("ns", ["old"], by_site=True)
    clock.advance(400)
    index.viewed("ns", ["recent"], by_site=True)
    clock.advance(400)
    window = {"active_since": clock() - 500, "site_since": 0.0, "bucket": 20.0}
    due = index.due("ns", before=clock() + 1000, **window)
    assert [row.product_id for row in due] == ["recent"]
    assert index.top_up("ns", exclude=(), now=clock(), limit=5, **window) == ["recent"]
    wider = {**window, "active_since": clock() - 900}
    assert [row.product_id for row in index.due("ns", before=clock() + 1000, **wider)] == [
        "old",
        "recent",
    ]


def test_the_index_forgets_the_products_viewed_longest_ago(
    make_index: MakeIndex, clock: FakeClock
) -> None:
    index = make_index(max_ids=2)
    for pid in ("1", "2", "3"):
        index.viewed("ns", [pid], by_site=True)
        index.flush(force=True)
        clock.advance(1)
    assert set(index.rows("ns")) == {"2", "3"}
    assert index.count("ns") == 2
    index.clear("ns")
    assert index.rows("ns") == {}
    assert index.count("ns") == 0


def test_namespaces_are_kept_apart(index: ProductIndex, clock: FakeClock) -> None:
    index.viewed("one", ["1"], by_site=True)
    index.viewed("two", ["2", "3"], by_site=True)
    index.flush(force=True)
    index.clear("one")
    assert (index.count("one"), index.count("two")) == (0, 2)


def test_flushed_views_are_handed_to_the_listener(make_index: MakeIndex, clock: FakeClock) -> None:
    handed: list[tuple[dict[str, int], dict[str, float]]] = []
    index = make_index(on_flush=lambda views, last: handed.append((dict(views), dict(last))))
    index.viewed("ns", ["1", "1"], by_site=True)
    index.flush(force=True)
    index.flush(force=True)  # nothing new: nothing handed
    assert handed == [({"1": 2}, {"1": clock()})]


def test_a_cache_folder_gets_the_sqlite_index_and_a_store_without_one_the_json_index(
    tmp_path: Path, clock: FakeClock
) -> None:
    stores = open_stores(tmp_path / "cache")
    try:
        on_disk = open_product_index(stores, clock)
        assert isinstance(on_disk, SqliteIndex)
        assert on_disk.path.parent == tmp_path / "cache" / "index"
        assert on_disk.max_ids == DEFAULT_MAX_IDS >= 200_000
        on_disk.close()
    finally:
        stores.close()
    stores.directory = None
    assert isinstance(open_product_index(stores, clock), StoreIndex)


def test_a_top_up_writes_buffered_views_only_when_a_flush_is_due(
    index: ProductIndex, clock: FakeClock
) -> None:
    window = {"active_since": 0.0, "site_since": 0.0, "bucket": 20.0}
    index.viewed("ns", ["1"], by_site=True)
    assert index.top_up("ns", exclude=(), now=clock(), limit=5, **window) == []
    clock.advance(index.flush_interval)
    assert index.top_up("ns", exclude=(), now=clock(), limit=5, **window) == ["1"]
