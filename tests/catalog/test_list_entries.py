"""Cached lists: their tokens, keys and stored form, read back only when whole."""

from __future__ import annotations

import pytest

from affsite.aliexpress import HotProductQuery, ProductQuery, ProductSort
from affsite.cache import MemoryStore
from affsite.catalog.list_entries import ListEntries, ListEntry, list_key, list_token
from affsite.settings import Settings

SETTINGS = Settings(list_ttl=1000, stale_ttl=500)


def test_equal_queries_name_one_list_and_any_difference_another() -> None:
    base = ProductQuery(keywords="usb c", page_size=4)
    assert list_token(base) == list_token(ProductQuery(keywords="usb c", page_size=4))
    others = [
        ProductQuery(keywords="usb c", page_size=5),
        ProductQuery(keywords="usb c", page_size=4, sort=ProductSort.SALE_PRICE_ASC),
        ProductQuery(keywords="usb c", page_size=4, category_ids=("44",)),
        ProductQuery(keywords="usb c", page_size=4, min_price=100),
        HotProductQuery(keywords="usb c", page_size=4),
    ]
    tokens = {list_token(query) for query in [base, *others]}
    assert len(tokens) == len(others) + 1
    assert all(token.startswith("list-") and len(token) == 29 for token in tokens)


def test_keys_carry_the_namespace() -> None:
    token = list_token(ProductQuery(keywords="mug"))
    assert list_key("aaaa", token) != list_key("bbbb", token)


def test_a_list_lives_the_list_expiration_time_then_the_stale_limit() -> None:
    entry = ListEntry.make(("1005004757833857",), now=100.0, settings=SETTINGS)
    assert (entry.fresh_until, entry.stale_until) == (1100.0, 1600.0)
    assert entry.fresh(1099.9) and not entry.fresh(1100.0)
    assert entry.servable(1599.9) and not entry.servable(1600.0)


def test_lists_round_trip_through_the_store() -> None:
    lists = ListEntries(MemoryStore(), MemoryStore())
    entry = ListEntry.make(("1005004757833857", "33006951782"), now=100.0, settings=SETTINGS)
    lists.write("ns", "list-x", entry, now=100.0)
    assert lists.read("ns", "list-x") == entry
    assert lists.read("other", "list-x") is None
    assert lists.site_use("ns", "list-x") == 0.0
    lists.mark_site_use("ns", "list-x", 150.0, keep=86_400)
    assert lists.site_use("ns", "list-x") == 150.0


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "text",
        {"v": 2, "ids": [], "fetched_at": 1, "fresh_until": 2, "stale_until": 3},
        {"v": 1, "ids": "1005004757833857", "fetched_at": 1, "fresh_until": 2, "stale_until": 3},
        {"v": 1, "ids": [], "fetched_at": "1", "fresh_until": 2, "stale_until": 3},
        {"v": 1, "ids": [], "fetched_at": 1, "fresh_until": float("nan"), "stale_until": 3},
        {"v": 1, "ids": [], "fetched_at": 1, "fresh_until": 2},
    ],
)
def test_a_damaged_list_is_no_list(raw: object) -> None:
    assert ListEntry.from_dict(raw) is None


def test_ids_read_back_are_product_ids_each_once() -> None:
    raw = {
        "v": 1,
        "ids": ["1005004757833857", "<script>", 1.5, "1005004757833857", "33006951782"],
        "fetched_at": 1,
        "fresh_until": 2,
        "stale_until": 3,
    }
    entry = ListEntry.from_dict(raw)
    assert entry is not None and entry.ids == ("1005004757833857", "33006951782")
