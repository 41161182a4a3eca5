"""One product's values as a box shows them: the caller's title, and the discount, rating and
orders written for the site's language (or left out when they make no sense)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from affsite.render import BoxSettings, Options
from affsite.render.view import ProductView, view_of

from .helpers import EARBUDS, answer

ENGLISH = BoxSettings(language="EN", disclosure="Ad.")


def view(language: str = "EN", options: Options | None = None, **fields: Any) -> ProductView:
    look = replace(ENGLISH, language=language)
    return view_of(answer(**fields), look, options or Options())


def test_the_callers_title_replaces_the_products_and_schema_org_keeps_its_own() -> None:
    own = view(options=Options(title="My favourite earbuds"))
    assert (own.title, own.own_title) == ("My favourite earbuds", True)
    plain = view()
    assert (plain.title, plain.own_title) == ("Wireless Earbuds", False)
    look = replace(ENGLISH, json_ld=True)
    titled = view_of(answer(), look, Options(title="My pick"))
    assert titled.json_ld is not None and '"name": "Wireless Earbuds"' in titled.json_ld


def test_a_product_without_a_title_takes_the_callers() -> None:
    assert view(title=None, options=Options(title="Mug")).title == "Mug"
    assert view(title=None).title == f"AliExpress product {EARBUDS}"


@pytest.mark.parametrize(
    ("percent", "stars"),
    [
        (Decimal("96"), "4.8"),
        (Decimal("97.8"), "4.9"),  # 4.89, rounded half up
        (Decimal("92.1"), "4.6"),
        (Decimal("100"), "5.0"),
        (Decimal("1"), "0.1"),
        (Decimal("0.5"), "0.0"),
        (99, "5.0"),  # 4.95
    ],
)
def test_the_positive_feedback_rate_is_a_rating_out_of_five(percent: Decimal, stars: str) -> None:
    assert view(rating_percent=percent).stars == stars


@pytest.mark.parametrize(
    "percent", [None, Decimal("0"), Decimal("-5"), Decimal("100.1"), Decimal("NaN"), "96%", True]
)
def test_no_rating_or_nonsense_is_no_rating(percent: object) -> None:
    shown = view(rating_percent=percent)
    assert shown.stars is None and shown.rating is None


@pytest.mark.parametrize(
    ("language", "rating", "stars", "discount", "orders"),
    [
        ("EN", "97.8%", "4.9", "50%", "12,345"),
        ("DE", "97,8\xa0%", "4,9", "50\xa0%", "12.345"),
        ("FR", "97,8\xa0%", "4,9", "50\xa0%", "12\u202f345"),
        ("TR", "%97,8", "4,9", "%50", "12.345"),
        ("AR", "97.8%", "4.9", "50%", "12,345"),
        ("HE", "97.8%", "4.9", "50%", "12,345"),
    ],
)
def test_numbers_are_written_for_the_sites_language(
    language: str, rating: str, stars: str, discount: str, orders: str
) -> None:
    shown = view(
        language,
        rating_percent=Decimal("97.84"),
        discount_percent=Decimal("50"),
        orders=12345,
    )
    assert (shown.rating, shown.stars, shown.discount, shown.orders) == (
        rating,
        stars,
        discount,
        orders,
    )


def test_a_discount_is_only_shown_next_to_the_price_it_comes_off() -> None:
    assert view(discount_percent=Decimal("50")).discount == "50%"
    assert view(discount_percent=Decimal("50"), original_price=None).discount is None
    undated = view_of(
        replace(answer(discount_percent=Decimal("50")), fetched_at=None), ENGLISH, Options()
    )
    assert undated.price is None and undated.discount is None


@pytest.mark.parametrize("orders", [None, 0, -3, 10**9, True, "12"])
def test_no_orders_or_nonsense_is_no_count(orders: object) -> None:
    assert view(orders=orders).orders is None
