"""The site's own lists kept with their queries (what ``affsite refresh`` renews): queries
read back as they were, at most a bounded number of lists, old and damaged ones left out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.aliexpress import HotProductQuery, ProductQuery, ProductSort
from affsite.cache import CacheStores, StoreError, open_stores
from affsite.catalog.list_entries import list_token
from affsite.catalog.site_lists import SiteLists, describe_query, rebuild_query, site_lists_key

NS = "0123456789abcdef"
HOUR = 3600.0


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[CacheStores]:
    opened = open_stores(tmp_path / "cache")
    yield opened
    opened.close()


def note(site_lists: SiteLists, query: ProductQuery, at: float, keep: float = 10 * HOUR) -> None:
    site_lists.note(NS, list_token(query), query, at, keep=keep)


@pytest.mark.parametrize(
    "query",
    [
        ProductQuery(keywords="usb", page_size=4),
        HotProductQuery(keywords="usb", page_size=3, sort=ProductSort.DISCOUNT_DESC),
        ProductQuery(category_ids=("44", 7), min_price=100, max_price=2500, delivery_days=3),
    ],
)
def test_a_query_reads_back_as_the_same_list(query: ProductQuery) -> None:
    rebuilt = rebuild_query(describe_query(query))
    assert rebuilt == query and type(rebuilt) is type(query)
    assert rebuilt is not None and list_token(rebuilt) == list_token(query)


def test_queries_that_no_longer_build_are_none() -> None:
    assert rebuild_query({"kind": "search", "query": {"page_size": 0}}) is None
    assert rebuild_query({"kind": "other", "query": {}}) is None
    assert rebuild_query({"kind": "search", "query": {"min_price": "cheap"}}) is None
    assert rebuild_query(["search"]) is None
    # A field a newer version wrote is left out, not a failure.
    assert rebuild_query({"kind": "hot", "query": {"keywords": "mug", "future": 1}}) == (
        HotProductQuery(keywords="mug")
    )


def test_the_lists_the_site_used_most_recently_are_kept_up_to_the_limit(
    stores: CacheStores,
) -> None:
    site_lists = SiteLists(stores.ctl, limit=3)
    queries = [ProductQuery(keywords=f"word{n}") for n in range(5)]
    for at, query in enumerate(queries):
        note(site_lists, query, float(at))
    note(site_lists, queries[0], 10.0)  # used again: the most recent now

    kept = site_lists.recent(NS, since=0)
    assert [item.query for item in kept] == [queries[0], queries[4], queries[3]]
    assert [item.used_at for item in kept] == [10.0, 4.0, 3.0]


def test_lists_the_site_stopped_using_are_forgotten(stores: CacheStores) -> None:
    site_lists = SiteLists(stores.ctl)
    old, new = ProductQuery(keywords="old"), ProductQuery(keywords="new")
    note(site_lists, old, 0.0)
    note(site_lists, new, 5 * HOUR, keep=2 * HOUR)  # writing prunes what is past ``keep``
    assert [item.query for item in site_lists.recent(NS, since=0)] == [new]
    assert site_lists.recent(NS, since=6 * HOUR) == []


def test_a_damaged_or_altered_record_is_skipped(stores: CacheStores) -> None:
    site_lists = SiteLists(stores.ctl)
    good = ProductQuery(keywords="good")
    note(site_lists, good, 1.0)
    document = stores.ctl.get(site_lists_key(NS))
    # A query kept under another list's token would renew the wrong list: left out.
    document["lists"]["list-000000000000000000000000"] = {
        **describe_query(ProductQuery(keywords="other")),
        "at": 2.0,
    }
    document["lists"]["list-broken"] = {"kind": "search", "query": {}, "at": "yesterday"}
    stores.ctl.set(site_lists_key(NS), document)
    assert [item.query for item in site_lists.recent(NS, since=0)] == [good]

    stores.ctl.set(site_lists_key(NS), "not a document")
    assert site_lists.recent(NS, since=0) == []
    note(site_lists, good, 3.0)  # writing over a damaged document starts it again
    assert [item.used_at for item in site_lists.recent(NS, since=0)] == [3.0]


def test_a_store_that_refuses_the_write_loses_only_the_note(
    stores: CacheStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise StoreError("the disk is full")

    monkeypatch.setattr(stores.ctl, "atomic", refuse)
    site_lists = SiteLists(stores.ctl)
    note(site_lists, ProductQuery(keywords="usb"), 1.0)
    assert site_lists.recent(NS, since=0) == []
