"""Search and link requests are checked when built and say exactly what goes on the wire."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from affsite.aliexpress.protocol import HOT_PRODUCT_QUERY, PRODUCT_QUERY
from affsite.aliexpress.queries import (
    Defaults,
    HotProductQuery,
    LinkRequest,
    PlatformProductType,
    ProductQuery,
    ProductSort,
)


@pytest.mark.parametrize(
    "bad",
    [
        {"page_size": 51},
        {"page_size": 0},
        {"page_no": 0},
        {"min_price": True},
        {"min_price": 12.5},
        {"min_price": -1},
        {"min_price": 500, "max_price": 100},
        {"delivery_days": 4},
        {"sort": "CHEAPEST"},
        {"platform_product_type": "EBAY"},
        {"category_ids": ["44", "x"]},
    ],
)
def test_search_parameters_are_validated_when_the_query_is_built(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ProductQuery(keywords="x", **bad)


def test_queries_are_keyword_only_and_frozen() -> None:
    with pytest.raises(TypeError):
        ProductQuery("mug")  # type: ignore[call-arg]
    query = ProductQuery(keywords="mug")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.page_no = 2  # type: ignore[misc]


def test_each_query_names_its_method() -> None:
    assert ProductQuery().method == PRODUCT_QUERY
    assert HotProductQuery().method == HOT_PRODUCT_QUERY


def test_text_values_become_their_enums_and_ids_their_digit_strings() -> None:
    query = ProductQuery(
        sort="LAST_VOLUME_DESC",  # type: ignore[arg-type]
        platform_product_type="PLAZA",  # type: ignore[arg-type]
        category_ids=[44, " 200003803 "],
    )
    assert query.sort is ProductSort.LAST_VOLUME_DESC
    assert query.platform_product_type is PlatformProductType.PLAZA
    assert query.category_ids == ("44", "200003803")


def test_params_fill_open_fields_from_the_defaults_and_leave_the_rest_empty() -> None:
    defaults = Defaults(country="FR", currency="EUR", language="FR", tracking_id="blog")
    params = ProductQuery(keywords="  ", currency="USD").params(defaults)
    assert params["keywords"] is None
    assert params["ship_to_country"] == "FR" and params["target_currency"] == "USD"
    assert params["target_language"] == "FR" and params["tracking_id"] == "blog"
    assert (params["page_no"], params["page_size"]) == (1, 20)
    assert ProductQuery().params()["ship_to_country"] is None


def test_link_requests_strip_and_deduplicate_urls_in_order() -> None:
    request = LinkRequest(urls=[" https://a.aliexpress.com/1 ", "https://b.aliexpress.com/2"] * 2)
    assert request.urls == ("https://a.aliexpress.com/1", "https://b.aliexpress.com/2")
    assert request.link_type == 0
    assert LinkRequest(urls=[], hot=True).link_type == 2


@pytest.mark.parametrize("url", ["", "   ", "https://x.test/a,b"])
def test_a_url_link_generate_cannot_carry_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        LinkRequest(urls=[url])
