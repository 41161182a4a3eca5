"""The iframe embed: one product box other websites can show, safely and cacheably."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite import __version__
from affsite.aliexpress import Money, Product
from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Reason, Status
from affsite.render.urls import IMAGE_SOURCES
from affsite.settings import Settings
from affsite.web.embed import content_security_policy

from .conftest import MakeApp
from .helpers import log_in

EARBUDS = "1005004757833857"
IFRAME = f"/embed/iframe/{EARBUDS}"


def hit(product: Product) -> ProductAnswer:
    return ProductAnswer(id=EARBUDS, product=product, status=Status.HIT, fetched_at=1.7e9)


class OneAnswer:
    """A catalog that answers every id with ``answer`` (and records how it was asked)."""

    def __init__(self, answer: ProductAnswer) -> None:
        self.answer = answer
        self.asked: list[tuple[str, Purpose]] = []

    def product(self, pid: str, *, purpose: Purpose) -> ProductAnswer:
        self.asked.append((pid, Purpose(purpose)))
        return self.answer

    def products_with_ticket(
        self, ids: Sequence[str], *, purpose: Purpose
    ) -> tuple[list[ProductAnswer], None]:
        return [self.product(pid, purpose=purpose) for pid in ids], None  # no ticket


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
    # One script, our own file (the wp-embed height and link messages); nothing inline.
    assert re.findall(r"<script\b[^>]*>", page) == [
        f'<script src="/static/js/embed-frame.js?v={__version__}" defer>'
    ]


def test_headers_let_any_site_frame_it_and_caches_keep_it(client: FlaskClient) -> None:
    response = client.get(IFRAME)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors *" in csp
    assert "style-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "base-uri 'none'" in csp and "form-action 'none'" in csp
    assert "X-Frame-Options" not in headers
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["Cache-Control"].startswith("public, max-age=300")
    assert headers["X-Cache"] == "MISS"
    assert client.get(IFRAME).headers["X-Cache"] == "HIT"


def test_only_the_allowed_sites_and_this_one_may_frame_it(admin: FlaskClient) -> None:
    # Issue 8 row 10: without 'self' the home page's own live preview of the embed was
    # blocked as soon as a list was saved.
    admin.post(
        "/admin/settings",
        data={"allowed_embed_origins": "https://blog.example.com\nhttps://shop.example.org:8443"},
    )
    csp = admin.get(IFRAME).headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://blog.example.com https://shop.example.org:8443;" in csp


@pytest.mark.parametrize(
    "api_url",
    [
        "http://127.0.0.1:8765 ; script-src 'unsafe-inline'",
        "http://127.0.0.1:8765;script-src",
        "http://127.0.0.1:8765/sync;report-uri https://evil.example",
        "http://a@127.0.0.1:8765/sync",
        "javascript://127.0.0.1/sync",
    ],
)
def test_a_gateway_url_cannot_add_to_the_csp(api_url: str) -> None:
    # Issue 8 row 10: a Gateway URL with spaces and ';' injected directives. The header is
    # rebuilt from parsed parts; anything odd is left out.
    csp = content_security_policy(Settings(api_url=api_url))
    directives = [part.split()[0] for part in csp.split("; ")]
    assert directives == [
        "default-src",
        "script-src",
        "img-src",
        "style-src",
        "frame-ancestors",
        "base-uri",
        "form-action",
    ]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert "report-uri" not in csp and "@" not in csp
    assert "127.0.0.1" not in csp


def test_the_sandbox_server_may_show_its_pictures_in_demo_mode() -> None:
    csp = content_security_policy(Settings(api_url="http://127.0.0.1:8765/sync"))
    assert f"img-src 'self' {IMAGE_SOURCES} http://127.0.0.1:8765;" in csp
    assert "https://*.alicdn.com" in IMAGE_SOURCES
    live = Settings(app_key="500000", app_secret="s" * 32, api_url="http://127.0.0.1:8765/sync")
    assert "127.0.0.1" not in content_security_policy(live)


def test_embedding_sites_are_rebuilt_from_parsed_parts() -> None:
    odd = Settings(allowed_embed_origins=("https://a.example; script-src *", "https://B.example/x"))
    csp = content_security_policy(odd)
    assert "frame-ancestors 'self' https://b.example;" in csp
    assert csp.count("script-src") == 1 and "script-src *" not in csp
    # Only odd entries: refuse (this site only), never fall open to any site.
    none_left = Settings(allowed_embed_origins=("*; script-src *",))
    assert "frame-ancestors 'self';" in content_security_policy(none_left)


def test_the_session_is_never_touched_even_for_a_signed_in_admin(admin: FlaskClient) -> None:
    response = admin.get(IFRAME)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_hostile_product_data_stays_inert(make_app: MakeApp) -> None:
    app = make_app()
    hostile = Product(
        id=EARBUDS,
        title='"><script>alert(1)</script><img src=x onerror=alert(2)>',
        detail_url="javascript:alert(3)",
        image="javascript:alert(4)",
        price=Money(Decimal("1.50"), "USD"),
    )
    app.extensions[CATALOG_KEY] = OneAnswer(hit(hostile))
    page = app.test_client().get(IFRAME).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert f'href="/go/{EARBUDS}"' in page  # built from the id alone, never product data


def test_links_off_aliexpress_never_reach_the_page(make_app: MakeApp) -> None:
    # Issue 8 row 2 (render side): the audit's promotion link to a phishing page,
    # protocol-relative detail link and image on one of our own admin paths.
    app = make_app()
    hostile = Product(
        id=EARBUDS,
        title="Drone",
        detail_url="//evil.example/x",
        image="/admin/logout",
        price=Money(Decimal("1.50"), "USD"),
        promotion_link="https://evil.example/phish",
    )
    app.extensions[CATALOG_KEY] = OneAnswer(hit(hostile))
    page = app.test_client().get(IFRAME).get_data(as_text=True)
    assert "evil.example" not in page
    assert "/admin/logout" not in page
    box = page.split("<body>", 1)[1]
    # The call to action is this site's /go/<id>, made from the id alone (/go checks the
    # affiliate link again when it redirects).
    assert re.findall(r'(?:href|src)="([^"]*)"', box) == [f"/go/{EARBUDS}"]


def test_a_price_no_one_can_write_is_a_box_without_a_price(make_app: MakeApp) -> None:
    # Issue 8 row 1: target_sale_price "1e26" made money formatting raise, and the embed 500.
    app = make_app()
    product = Product(id=EARBUDS, title="Drone", price=Money(Decimal("1e26"), "USD"))
    app.extensions[CATALOG_KEY] = OneAnswer(hit(product))
    response = app.test_client().get(IFRAME)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Drone" in page and "product-price" not in page


def test_a_product_that_cannot_be_drawn_is_a_fallback_box(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 8 row 1: whatever goes wrong drawing one product is that product's fallback.
    app = make_app()
    product = Product(id=EARBUDS, title="Drone", price=Money(Decimal("2"), "USD"))

    def surprise(*args: object, **kwargs: object) -> None:
        raise ArithmeticError("a number no one expected")

    monkeypatch.setattr("affsite.render.renderer.view_of", surprise)
    app.extensions[CATALOG_KEY] = OneAnswer(hit(product))
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(IFRAME)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This product is not available right now." in page
    assert "As an AliExpress affiliate" in page
    assert "showing its fallback" in caplog.text


def test_an_unavailable_product_is_a_graceful_box_not_an_error(make_app: MakeApp) -> None:
    app = make_app()
    catalog = OneAnswer(
        ProductAnswer(id=EARBUDS, status=Status.FALLBACK, reason=Reason.GATEWAY_DOWN)
    )
    app.extensions[CATALOG_KEY] = catalog
    response = app.test_client().get(IFRAME)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This product is not available right now." in page
    assert "As an AliExpress affiliate" in page
    assert response.headers["X-Cache"] == "FALLBACK"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert catalog.asked == [(EARBUDS, Purpose.PUBLIC)]  # new ids cost the allowance


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


def test_a_forged_url_root_never_reaches_another_visitor(client: FlaskClient) -> None:
    # Issue 8 row 4: gunicorn fills SCRIPT_NAME from a request header sent from 127.0.0.1;
    # one forged request made the kept page hand everyone a stylesheet on //evil.example.
    forged = client.get(IFRAME, environ_overrides={"SCRIPT_NAME": "//evil.example"})
    assert "evil.example" not in forged.get_data(as_text=True)
    other = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    answer = client.get(IFRAME, headers=other)
    # Only the oEmbed discovery link names a host, and without PUBLIC_URL that is the one
    # asked for: the answer varies on it, and no address on the page is taken from it.
    assert answer.headers["Vary"] == "Host"
    addresses = re.findall(r'(?:href|src)="([^"]*)"', answer.get_data(as_text=True))
    assert [a for a in addresses if "evil.example" in a] == [
        "http://evil.example/oembed?url=http%3A%2F%2Fevil.example%2Fembed%2Fiframe%2F"
        f"{EARBUDS}&amp;format=json"
    ]
    clean = client.get(IFRAME).get_data(as_text=True)
    assert "evil.example" not in clean
    assert 'href="/static/css/box.css?v=' in clean


@pytest.mark.parametrize("count", [1, 2])
def test_a_forwarded_prefix_is_not_trusted_unless_configured(make_app: MakeApp, count: int) -> None:
    # Issue 8 row 4: AFFSITE_PROXY_FIX=1 used to trust X-Forwarded-Prefix too.
    client = make_app(PROXY_FIX=count).test_client()
    forged = {"X-Forwarded-Prefix": "//evil.example, //evil.example"}
    assert "evil.example" not in client.get(IFRAME, headers=forged).get_data(as_text=True)
    assert "evil.example" not in client.get(IFRAME).get_data(as_text=True)


def test_a_trusted_prefix_is_used_when_it_is_a_plain_path(make_app: MakeApp) -> None:
    client = make_app(PROXY_FIX=1, PROXY_FIX_PREFIX=1).test_client()
    page = client.get(IFRAME, headers={"X-Forwarded-Prefix": "/shop"}).get_data(as_text=True)
    assert 'href="/shop/static/css/box.css?v=' in page
    forged = client.get(IFRAME, headers={"X-Forwarded-Prefix": "//evil.example"})
    assert "evil.example" not in forged.get_data(as_text=True)
    assert 'href="/static/css/box.css?v=' in client.get(IFRAME).get_data(as_text=True)


def test_the_home_page_offers_the_iframe_code_and_shows_it_live(app: Flask) -> None:
    client = app.test_client()
    log_in(client)
    page = client.get("/").get_data(as_text=True)
    assert f"&lt;iframe src=&#34;http://localhost/embed/iframe/{EARBUDS}&#34;" in page
    assert "allow-popups allow-popups-to-escape-sandbox" in page
    assert f'<iframe class="embed-preview" src="/embed/iframe/{EARBUDS}"' in page
