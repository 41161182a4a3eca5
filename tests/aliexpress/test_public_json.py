"""The public product shape: strings for amounts, ISO UTC times, ids in the order asked."""

from __future__ import annotations

import json

from affsite.aliexpress.models import Product
from affsite.public_json import available_json, unavailable_json

from .fakes import raw_product


def test_available_product_shape() -> None:
    product = Product.from_api(raw_product(1005004757833857))
    data = available_json(product, 1_700_000_000.25)
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
    data = available_json(Product.from_api(raw_product(1)), 0)

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
    product = Product.from_api(raw_product(1, target_sale_price="1E+3", target_original_price=""))
    assert available_json(product, 0)["price"] == {"amount": "1000", "currency": "EUR"}


def test_unavailable_shape() -> None:
    assert unavailable_json("33006951782", "not_promotable") == {
        "id": "33006951782",
        "available": False,
        "reason": "not_promotable",
    }
