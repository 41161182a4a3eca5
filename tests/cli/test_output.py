"""What the commands print: a safe, aligned product table or the public JSON array."""

from __future__ import annotations

import json
from typing import Any

from affsite.aliexpress.models import Product
from affsite.catalog.public_json import available_json, unavailable_json
from affsite.cli.output import format_json, format_table, printable


def raw_product(product_id: int, **fields: Any) -> dict[str, Any]:
    """A product object shaped like the gateway's (the fields the table shows)."""
    product: dict[str, Any] = {
        "product_id": product_id,
        "product_title": f"Product {product_id}",
        "product_detail_url": f"https://www.aliexpress.com/item/{product_id}.html",
        "promotion_link": f"https://s.click.aliexpress.com/e/_{product_id}",
        "target_sale_price": "11.40",
        "target_sale_price_currency": "EUR",
        "target_original_price": "22.80",
        "target_original_price_currency": "EUR",
        "evaluate_rate": "94.6%",
        "lastest_volume": 1289,
    }
    product.update(fields)
    return product


def test_table_lists_items_in_order_with_unavailable_ones_marked() -> None:
    items = [
        available_json(Product.from_api(raw_product(1005004757833857)), 0),
        unavailable_json("33006951782"),
    ]
    lines = format_table(items).splitlines()
    assert lines[0].split() == ["ID", "PRICE", "WAS", "ORDERS", "RATING", "TITLE"]
    assert lines[1].startswith("1005004757833857  11.40 EUR  22.80 EUR")
    assert "94.6%" in lines[1] and "Product 1005004757833857" in lines[1]
    assert lines[2].startswith("33006951782") and "(not available: not promotable)" in lines[2]


def test_table_neutralises_terminal_escapes_and_bidi_overrides() -> None:
    title = "\x1b[2J\x1b]0;pwned\x07Mug \u202eevil\u202c\r\nline two"
    item = available_json(Product.from_api(raw_product(1, product_title=title)), 0)
    table = format_table([item])
    assert "\x1b" not in table and "\u202e" not in table and "\r" not in table
    assert len(table.splitlines()) == 2


def test_long_titles_are_cut() -> None:
    assert printable("x" * 100, 60) == "x" * 59 + "…"


def test_json_is_an_array_in_the_order_given() -> None:
    items = [unavailable_json("2"), unavailable_json("1")]
    assert [item["id"] for item in json.loads(format_json(items))] == ["2", "1"]
