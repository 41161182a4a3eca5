"""The iframe embed: one product box other websites can show, safely and cacheably."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress.models import Money, Product
from affsite.product_answer import FALLBACK, HIT, ProductAnswer

from .conftest import MakeApp
from .helpers import log_in

EARBUDS = "1005004757833857"
IFRAME = f"/embed/iframe/{EARBUDS}"


class OneAnswer:
    """A catalog that answers every id with ``answer`` (and records how it was asked)."""

    def __init__(self, answer: ProductAnswer) -> None:
        self.answer = answer
        self.asked: list[tuple[str, bool]] = []

    def product(self, pid: str, *, purpose: str = "view", anonymous: bool = False) -> ProductAnswer:
        self.asked.append((pid, anonymous))
        return self.answer


def test_the_box_shows_the_product_with_compliance_details(client: FlaskClient) -> None:
    response = client.get(IFRAME)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wireless Earbuds" in page
    assert '<span class="product-price-now">$12.34</span>' in page
    assert re.search(r'Price as of <time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">', page)
    assert 'rel="sponsored nofollow noopener" target="_blank"' in page
    assert "(opens in a new tab)" in page
    assert "As an AliExpress affiliate we earn from qualifying purchases." in page
    assert 'width="220" height="220" loading="lazy"' in page
    assert "<script" not in page


def test_headers_let_any_site_frame_it_and_caches_keep_it(client: FlaskClient) -> None:
    response = client.get(IFRAME)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors *" in csp
    assert "style-src 'self'" in csp and "script-src" not in csp
    assert "base-uri 'none'" in csp and "form-action 'none'" in csp
    assert "X-Frame-Options" not in headers
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["Cache-Control"].startswith("public, max-age=300")
    assert headers["X-Cache"] == "MISS"
    assert client.get(IFRAME).headers["X-Cache"] == "HIT"


def test_only_the_allowed_sites_may_frame_it(admin: FlaskClient) -> None:
    admin.post(
        "/admin/settings",
        data={"allowed_embed_origins": "https://blog.example.com\nhttps://shop.example.org:8443"},
    )
    csp = admin.get(IFRAME).headers["Content-Security-Policy"]
    assert "frame-ancestors https://blog.example.com https://shop.example.org:8443;" in csp


def test_the_session_is_never_touched_even_for_a_signed_in_admin(admin: FlaskClient) -> None:
    response = admin.get(IFRAME)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_hostile_product_data_stays_inert(make_app: MakeApp) -> None:
    app = make_app()
    hostile = Product(
        EARBUDS,
        title='"><script>alert(1)</script><img src=x onerror=alert(2)>',
        detail_url="javascript:alert(3)",
        image="javascript:alert(4)",
        price=Money(Decimal("1.50"), "USD"),
    )
    app.extensions["affsite.catalog"] = OneAnswer(ProductAnswer(EARBUDS, hostile, HIT, None, 1.7e9))
    page = app.test_client().get(IFRAME).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert 'href="#"' in page


def test_an_unavailable_product_is_a_graceful_box_not_an_error(make_app: MakeApp) -> None:
    app = make_app()
    catalog = OneAnswer(ProductAnswer(EARBUDS, None, FALLBACK, "gateway_down"))
    app.extensions["affsite.catalog"] = catalog
    response = app.test_client().get(IFRAME)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This product is not available right now." in page
    assert "As an AliExpress affiliate" in page
    assert response.headers["X-Cache"] == "FALLBACK"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert catalog.asked == [(EARBUDS, True)]  # a public request: new ids cost the allowance


@pytest.mark.parametrize("product_id", ["abc", "12", "<x-marker>", "1" * 40])
def test_an_unusable_id_is_a_404_box_that_says_what_to_use(
    client: FlaskClient, product_id: str
) -> None:
    response = client.get(f"/embed/iframe/{product_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "This embed address does not name a product." in page
    assert "x-marker" not in page and product_id not in page.replace("1005004757833857", "")
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_a_regional_id_shows_its_global_product(client: FlaskClient) -> None:
    regional = str(int(EARBUDS) + 2**51)  # the aliexpress.us form of the same product
    page = client.get(f"/embed/iframe/{regional}").get_data(as_text=True)
    assert f'data-product-id="{EARBUDS}"' in page


def test_the_home_page_offers_the_iframe_code_and_shows_it_live(app: Flask) -> None:
    client = app.test_client()
    log_in(client)
    page = client.get("/").get_data(as_text=True)
    assert f"&lt;iframe src=&#34;http://localhost/embed/iframe/{EARBUDS}&#34;" in page
    assert "allow-popups allow-popups-to-escape-sandbox" in page
    assert f'<iframe class="embed-preview" src="/embed/iframe/{EARBUDS}"' in page
