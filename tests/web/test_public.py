"""What the site owner and visitors see: the settings page, the dashboard, the home page."""

from __future__ import annotations

import html as html_lib
import logging
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from affsite.aliexpress import Money, Product
from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Reason, Status
from affsite.errors import AffsiteError
from affsite.settings import GROUPS, SCHEMA

from .conftest import MakeApp

DEMO_TEXT = (
    "Demo mode:</strong> no AliExpress credentials are set; products come from the built-in "
    "sandbox."
)


def test_settings_page_shows_every_setting_in_its_group_with_help(admin: FlaskClient) -> None:
    page = admin.get("/admin/settings").get_data(as_text=True)
    titles = [g.title for g in GROUPS]
    assert titles[:5] == [
        "Credentials",
        "Locale",
        "Cache & limits",
        "Display & compliance",
        "Embedding",
    ]
    positions = [page.index(f'id="group-{g.key}"') for g in GROUPS]
    assert positions == sorted(positions)
    for f in SCHEMA:
        block = page.split(f'id="field-{f.name}"', 1)[1].split('id="field-', 1)[0]
        assert f'name="{f.name}"' in block, f.name
        assert f.help.split(".")[0].replace("'", "&#39;") in block, f.name


def test_a_successful_save_says_so_and_shows_the_new_values(admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/settings",
        data={"tracking_id": "new_id", "country": "DE", "currency": "EUR", "language": "DE"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Settings saved." in page
    assert 'value="new_id"' in page
    assert '<option value="DE" selected>DE — Germany</option>' in page
    assert '<option value="EUR" selected>EUR</option>' in page


def test_fields_set_by_the_environment_are_read_only(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_COUNTRY", "NL")
    page = admin.get("/admin/settings").get_data(as_text=True)
    block = page.split('id="field-country"', 1)[1].split('id="field-currency"', 1)[0]
    assert "Set by environment" in block and "AFFSITE_COUNTRY" in block
    assert "disabled" in block
    # A forged post cannot change what the environment controls, and is not an error.
    response = admin.post("/admin/settings", data={"country": "FR", "tracking_id": "t_1"})
    assert response.status_code == 303
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert '<option value="NL" selected>' in page


def test_demo_banner_on_every_admin_page_and_the_home_page(admin: FlaskClient) -> None:
    for path in ("/", "/admin/", "/admin/settings"):
        assert DEMO_TEXT in admin.get(path).get_data(as_text=True), path
    admin.post("/admin/logout")
    assert DEMO_TEXT in admin.get("/admin/login").get_data(as_text=True)


def test_no_demo_banner_with_credentials(admin: FlaskClient) -> None:
    admin.post("/admin/settings", data={"app_key": "500000", "app_secret": "s3cret-value-123"})
    for path in ("/", "/admin/", "/admin/settings"):
        assert "Demo mode:" not in admin.get(path).get_data(as_text=True), path
    assert "Live" in admin.get("/admin/").get_data(as_text=True)


def test_dashboard_summarises_the_settings(admin: FlaskClient) -> None:
    admin.post("/admin/settings", data={"tracking_id": "dash_id", "country": "FR"})
    page = admin.get("/admin/").get_data(as_text=True)
    assert "dash_id" in page
    assert "FR · USD · EN" in page
    assert "Missing or invalid:" in page
    assert '<a href="/admin/settings#f-app_key">App Key</a>, ' in page
    assert '<a href="/admin/settings#f-app_secret">App Secret</a>.' in page


def test_home_page_explains_and_shows_working_snippets(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "AliExpress product boxes for any website" in page
    assert "http://localhost/api/v1/products?ids=1005004757833857,33006951782" in page
    assert "affsite products 1005004757833857 33006951782 --json" in page
    assert "<script" in page and "static/js/copy.js" in page
    assert not re.search(r"<script>(?!</script>)", page), "no inline scripts (CSP)"
    assert "https://fonts." not in page and "cdn" not in page.lower()


def test_home_page_snippets_answer_as_shown(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    url = re.search(r"http://localhost(/api/v1/products\?ids=[0-9,]+)", page)
    assert url is not None
    items = client.get(url.group(1)).get_json()
    assert [item["id"] for item in items] == ["1005004757833857", "33006951782"]
    assert all(item["available"] for item in items)


def test_demo_home_page_shows_sandbox_boxes_with_local_images(client: FlaskClient) -> None:
    first = client.get("/")
    page = first.get_data(as_text=True)
    assert first.headers["X-Cache"] == "MISS"
    assert "Wireless Earbuds" in page
    images = re.findall(r'<img class="product-image" src="(/sandbox-media/[^"]+)"', page)
    assert len(images) == 2
    image = client.get(images[0])
    assert image.status_code == 200
    assert image.mimetype == "image/svg+xml"
    assert "default-src 'none'" in image.headers["Content-Security-Policy"]
    assert client.get("/").headers["X-Cache"] == "HIT"


def test_sandbox_images_are_not_served_outside_demo_mode(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/sandbox-media/33006951782-0.svg").status_code == 200
    assert client.get("/sandbox-media/..%2Fsecret_key").status_code == 404
    monkeypatch.setenv("AFFSITE_APP_KEY", "12345")
    monkeypatch.setenv("AFFSITE_APP_SECRET", "x" * 32)
    assert client.get("/sandbox-media/33006951782-0.svg").status_code == 404


class FakeCatalog:
    def __init__(self, products: dict[str, Product] | None = None, fail: bool = False) -> None:
        self.products_by_id = products or {}
        self.fail = fail
        self.asked: list[list[str]] = []

    def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
        assert Purpose(purpose) is Purpose.PAGE  # the site's own page: paid from the quota
        self.asked.append(list(ids))
        if self.fail:
            raise AffsiteError("gateway down", fix="Try again in a minute.")
        return [
            ProductAnswer(id=i, product=self.products_by_id[i], status=Status.HIT, fetched_at=1.7e9)
            if i in self.products_by_id
            else ProductAnswer(id=i, status=Status.FALLBACK, reason=Reason.NOT_PROMOTABLE)
            for i in ids
        ]


def fake_product(pid: str, title: str, **fields: Any) -> Product:
    values: dict[str, Any] = {
        "id": pid,
        "title": title,
        "detail_url": f"https://www.aliexpress.com/item/{pid}.html",
        "image": "https://ae01.alicdn.com/kf/a.jpg",
        "price": Money(Decimal("12.34"), "USD"),
    }
    values.update(fields)
    return Product(**values)


def test_home_page_renders_example_boxes_from_the_catalog(make_app: MakeApp) -> None:
    app = make_app(EXAMPLE_PRODUCT_IDS=["111", "222"])
    hostile = fake_product(
        "111", '<script>alert("x")</script> Drone', detail_url="javascript:alert(1)"
    )
    catalog = FakeCatalog({"111": hostile})
    app.extensions[CATALOG_KEY] = catalog
    page = app.test_client().get("/").get_data(as_text=True)
    assert catalog.asked == [["111", "222"]]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Drone" in page
    assert 'href="javascript:' not in page
    assert "$12.34" in page
    assert 'rel="sponsored nofollow noopener"' in page
    assert "AliExpress product 222" in page and "not available right now" in page
    assert "As an AliExpress affiliate we earn" in page


def test_home_page_survives_a_failing_catalog(make_app: MakeApp) -> None:
    app = make_app()
    app.extensions[CATALOG_KEY] = FakeCatalog(fail=True)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "could not be loaded. Try again in a minute." in response.get_data(as_text=True)


def test_one_product_no_one_can_draw_costs_only_its_own_box(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 8 row 1: with a product priced "1e26" featured, the whole home page answered 500
    # for the cache period. Now that price is not shown, and a product whose drawing fails
    # for any reason is its fallback box; the other boxes are drawn.
    app = make_app(EXAMPLE_PRODUCT_IDS=["111", "222", "333"])
    app.extensions[CATALOG_KEY] = FakeCatalog(
        {
            "111": fake_product("111", "Huge Price", price=Money(Decimal("1e26"), "USD")),
            "222": fake_product(
                "222", "Broken Original", original_price=Money(Decimal("sNaN"), "USD")
            ),
            "333": fake_product("333", "Fine Mug"),
        }
    )
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="product-box') == 3
    assert "Huge Price" in page and "Fine Mug" in page and "$12.34" in page
    first = page.split('data-product-id="111"', 1)[1].split("</article>", 1)[0]
    assert "product-price" not in first
    second = page.split('data-product-id="222"', 1)[1].split("</article>", 1)[0]
    assert "not available right now" in second and "Broken Original" not in second
    assert "drawing product '222'" in caplog.text


def test_the_embed_code_never_points_at_a_forged_host(make_app: MakeApp) -> None:
    # Issue 8 row 4: AFFSITE_PROXY_FIX=1 trusted X-Forwarded-Host, and the home page's embed
    # code pointed at whatever host a request named.
    client = make_app(PROXY_FIX=1).test_client()
    response = client.get("/", headers={"X-Forwarded-Host": "evil.example"})
    page = response.get_data(as_text=True)
    assert "evil.example" not in page
    assert "http://localhost/embed/iframe/" in html_lib.unescape(page)
    # Built from the request's own Host header: for that visitor only, never kept by caches.
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "evil.example" not in client.get("/").get_data(as_text=True)


def test_the_embed_code_uses_the_configured_public_address(make_app: MakeApp) -> None:
    client = make_app(PUBLIC_URL="https://shop.example/boxes/").test_client()
    response = client.get("/", headers={"Host": "evil.example"})
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "evil.example" not in page
    assert '<iframe src="https://shop.example/boxes/embed/iframe/' in page
    assert "https://shop.example/boxes/api/v1/products?ids=" in page
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_configured_server_name_is_the_host_of_the_embed_code(make_app: MakeApp) -> None:
    client = make_app(SERVER_NAME="shop.example").test_client()
    response = client.get("/", headers={"Host": "evil.example"})
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "evil.example" not in page
    assert '<iframe src="http://shop.example/embed/iframe/' in page
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_trusted_forwarded_host_is_used(make_app: MakeApp) -> None:
    client = make_app(PROXY_FIX=1, PROXY_FIX_HOST=1).test_client()
    headers = {"X-Forwarded-Host": "shop.example", "X-Forwarded-Proto": "https"}
    page = html_lib.unescape(client.get("/", headers=headers).get_data(as_text=True))
    assert '<iframe src="https://shop.example/embed/iframe/' in page


def test_pages_use_only_local_assets(admin: FlaskClient) -> None:
    for path in ("/", "/admin/", "/admin/settings"):
        page = admin.get(path).get_data(as_text=True)
        # Scripts, images and stylesheets come from this site; only links lead elsewhere.
        for url in re.findall(r'(?:\ssrc="|<link[^>]*\shref=")([^"#]+)"', page):
            assert url.startswith("/") or url.startswith("http://localhost/"), (path, url)
    with admin.get("/static/css/affsite.css") as css:
        assert css.status_code == 200
        assert b"@import" not in css.data and b"url(http" not in css.data
