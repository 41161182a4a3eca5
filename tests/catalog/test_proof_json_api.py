"""GET /api/v1/products with the real catalog behind it: a JSON array in the order asked,
with X-Cache; with the stores on disk and in Redis (issue 13).
"""

from __future__ import annotations

import pytest
from flask import Flask

from affsite.aliexpress.sandbox import Sandbox

from .conftest import DETAIL
from .helpers import SettingsBox

pytestmark = pytest.mark.parametrize("store_backend", ["disk", "redis"], indirect=True)


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


@pytest.mark.parametrize("route", ["/api/v1/snippet", "/embed/grid"])
def test_boxes_for_unknown_ids_cost_at_most_the_public_share(
    web_app: Flask, sandbox: Sandbox, settings: SettingsBox, promotable: list[str], route: str
) -> None:
    # One call a day for products only public requests asked for (1 % of 100).
    settings.save(daily_quota=100, admin_reserve=10, new_product_share=1, batch_size=2)
    client = web_app.test_client()

    first = client.get(route, query_string={"ids": ",".join(promotable[:2])})
    assert first.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    assert sandbox.call_count(DETAIL) == 1

    past = client.get(route, query_string={"ids": ",".join(promotable[2:4])})
    assert past.status_code == 200  # never an HTTP error
    assert sandbox.call_count(DETAIL) == 1  # the share is spent: no gateway call
    assert past.headers["X-Cache"] == "FALLBACK"
    assert past.headers["Cache-Control"] == "public, max-age=30"
    html = past.get_data(as_text=True)
    for pid in promotable[2:4]:
        assert f'data-product-id="{pid}"' in html
    assert html.count("This product is not available right now.") == 2
    items = client.get("/api/v1/products", query_string={"ids": promotable[2]}).get_json()
    assert items == [{"id": promotable[2], "available": False, "reason": "new_product_limit"}]
    assert sandbox.call_count(DETAIL) == 1


def test_an_unchanged_json_answer_is_a_304(web_app: Flask, promotable: list[str]) -> None:
    client = web_app.test_client()
    address = f"/api/v1/products?ids={promotable[0]},{promotable[1]}"
    first = client.get(address)
    assert first.headers["Last-Modified"].endswith(" GMT")
    again = client.get(address, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert again.headers["X-Cache"] == "HIT"
