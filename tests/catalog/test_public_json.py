"""The public product shape: strings for amounts, ISO UTC times, ids in the order asked."""

from __future__ import annotations

import json
from decimal import Decimal

from affsite.aliexpress import Money, Product
from affsite.catalog.public_json import Reason, available_json, unavailable_json

EARBUDS = Product(
    id="1005004757833857",
    title="Product 1005004757833857",
    detail_url="https://www.aliexpress.com/item/1005004757833857.html",
    image="https://ae-pic-a1.aliexpress-media.com/kf/1005004757833857.jpg",
    images=("https://ae-pic-a1.aliexpress-media.com/kf/1005004757833857.jpg",),
    price=Money(Decimal("11.40"), "EUR"),
    original_price=Money(Decimal("22.80"), "EUR"),
    discount_percent=Decimal("50"),
    rating_percent=Decimal("94.6"),
    orders=1289,
    commission_rate=Decimal("7.0"),
    category="Earphones & Headphones",
    shop_url="https://www.aliexpress.com/store/912345678",
    promotion_link="https://s.click.aliexpress.com/e/_1005004757833857",
)


def test_available_product_shape() -> None:
    data = available_json(EARBUDS, 1_700_000_000.25)
    assert list(data) == [
        "id",
        "available",
        "title",
        "url",
        "affiliate_url",
        "image",
        "images",
        "price",
        "original_price",
        "discount_percent",
        "rating_percent",
        "orders",
        "commission_rate",
        "category",
        "shop_url",
        "fetched_at",
    ]
    assert data["id"] == "1005004757833857" and data["available"] is True
    assert data["price"] == {"amount": "11.40", "currency": "EUR"}
    assert data["original_price"] == {"amount": "22.80", "currency": "EUR"}
    assert data["discount_percent"] == "50"
    assert data["rating_percent"] == "94.6" and data["commission_rate"] == "7.0"
    assert data["orders"] == 1289
    assert data["url"] == "https://www.aliexpress.com/item/1005004757833857.html"
    assert data["affiliate_url"] == "https://s.click.aliexpress.com/e/_1005004757833857"
    assert data["fetched_at"] == "2023-11-14T22:13:20Z"


def test_no_floats_anywhere() -> None:
    data = available_json(EARBUDS, 0)

    def floats(value: object) -> bool:
        if isinstance(value, float):
            return True
        if isinstance(value, dict):
            return any(floats(v) for v in value.values())
        if isinstance(value, list):
            return any(floats(v) for v in value)
        return False

    assert not floats(data)
    json.dumps(data)  # JSON-safe as is


def test_sparse_product_has_nulls_not_missing_keys() -> None:
    data = available_json(Product(id="7"), 0)
    assert data["price"] is None and data["original_price"] is None and data["images"] == []


def test_big_amounts_never_use_exponent_notation() -> None:
    # The gateway's "1E+3" is refused by the parsers; a Decimal can still hold an exponent.
    product = Product(id="1", price=Money(Decimal("1E+3"), "EUR"))
    assert available_json(product, 0)["price"] == {"amount": "1000", "currency": "EUR"}


def test_unavailable_shape() -> None:
    assert unavailable_json("33006951782", Reason.NOT_PROMOTABLE) == {
        "id": "33006951782",
        "available": False,
        "reason": "not_promotable",
    }
