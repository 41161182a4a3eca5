"""GET /api/v1/products with the real catalog behind it: a JSON array in the order asked,
with X-Cache.
"""

from __future__ import annotations

import pytest
from flask import Flask

from affsite.aliexpress.sandbox import Sandbox

from .conftest import DETAIL


def test_products_in_the_order_asked_then_from_the_cache(
    web_app: Flask, sandbox: Sandbox, promotable: list[str]
) -> None:
    client = web_app.test_client()
    hidden = sandbox.catalog.not_promotable_ids()[0]
    ids = [promotable[4], hidden, promotable[1]]

    first = client.get("/api/v1/products", query_string={"ids": ",".join(ids)})
    assert first.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    assert first.headers["X-Cache-Detail"] == "NEGATIVE=1, MISS=2"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    items = first.get_json()
    assert [item["id"] for item in items] == ids
    assert items[1] == {"id": hidden, "available": False, "reason": "not_promotable"}
    assert items[0]["available"] is True
    assert isinstance(items[0]["price"]["amount"], str)

    second = client.get("/api/v1/products", query_string={"ids": ",".join(ids)})
    assert second.headers["X-Cache"] == "NEGATIVE"  # worst of HIT, NEGATIVE, HIT
    assert second.get_json() == items
    assert "max-age=300" in second.headers["Cache-Control"]
    assert sandbox.call_count(DETAIL) == 1


def test_urls_and_repeated_parameters_are_accepted(web_app: Flask, promotable: list[str]) -> None:
    url = f"https://www.aliexpress.com/item/{promotable[0]}.html?spm=a2g0o"
    response = web_app.test_client().get(f"/api/v1/products?ids={url}&ids={promotable[1]}")
    assert [item["id"] for item in response.get_json()] == promotable[:2]


def test_gateway_trouble_is_never_an_http_error(
    web_app: Flask, sandbox: Sandbox, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=503)
    response = web_app.test_client().get(f"/api/v1/products?ids={promotable[0]},junk")
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "FALLBACK"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert response.get_json() == [
        {"id": promotable[0], "available": False, "reason": "gateway_down"},
        {"id": "junk", "available": False, "reason": "invalid_id"},
    ]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "no product ids"),
        ("?ids=,,", "no product ids"),
        ("?ids=" + ",".join(["1005004757833857"] * 51), "too many"),
    ],
)
def test_bad_requests_say_what_to_do(web_app: Flask, query: str, error: str) -> None:
    response = web_app.test_client().get("/api/v1/products" + query)
    assert response.status_code == 400
    body = response.get_json()
    assert error in body["error"] and body["fix"]
