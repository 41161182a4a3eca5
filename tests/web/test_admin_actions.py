"""The settings page's actions: "Test connection" and "Add products by URL"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite import catalog as catalog_module
from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog
from affsite.catalog_policy import client_factory
from affsite.clock import FakeClock
from affsite.settings import settings_store
from affsite.shortlinks import MemoryCache, ShortLinkFollower

from .helpers import CANARY_SECRET

ITEM = "https://www.aliexpress.com/item/{}.html"
PUBLIC_ADDRESS = "47.246.0.10"


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock)


@pytest.fixture
def gateway_catalog(
    app: Flask, sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> Iterator[Catalog]:
    """The app's catalog, but talking to a sandbox of the test's own (credentials checked)."""

    with app.app_context():
        store = settings_store()
    catalog = Catalog(
        settings=store.load,
        stores=open_stores(tmp_path / "cache"),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    catalog_module.init_app(app, catalog)
    yield catalog
    catalog.close()


def notices(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)]


def featured(instance: Path) -> list[str]:
    stored = json.loads((instance / "settings.json").read_text())
    ids: list[str] = stored.get("featured_products", [])
    return ids


# --- Test connection -----------------------------------------------------------------------


def test_connection_ok_in_demo_mode_and_paid_from_the_admin_reserve(admin: FlaskClient) -> None:
    response = admin.post("/admin/settings/test-connection")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/settings#connection")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Connection OK: the built-in demo sandbox (no credentials are set) accepted" in page
    assert "1 of 5000 used" in admin.get("/admin/").get_data(as_text=True)


def test_connection_ok_with_real_credentials(
    admin: FlaskClient, gateway_catalog: Catalog, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_KEY", DEMO_APP_KEY)
    monkeypatch.setenv("AFFSITE_APP_SECRET", DEMO_APP_SECRET)
    page = admin.post("/admin/settings/test-connection", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Connection OK: AliExpress accepted the request." in notices(page)
    assert sandbox.call_count() == 1


def test_connection_failure_says_what_to_fix_and_never_shows_the_secret(
    admin: FlaskClient, gateway_catalog: Catalog, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_KEY", DEMO_APP_KEY)
    monkeypatch.setenv("AFFSITE_APP_SECRET", CANARY_SECRET + "-0123456789abcdef")
    response = admin.post("/admin/settings/test-connection", follow_redirects=True)
    page = response.get_data(as_text=True)
    [notice] = [n for n in notices(page) if n.startswith("Connection failed")]
    assert "App Secret" in notice  # the fix names the field to correct
    assert CANARY_SECRET not in page
    assert "sign=" not in page.lower()
    assert sandbox.call_count() == 1  # a rejected signature is never retried


def test_connection_during_a_gateway_ban_makes_no_call(
    admin: FlaskClient, gateway_catalog: Catalog, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_KEY", DEMO_APP_KEY)
    monkeypatch.setenv("AFFSITE_APP_SECRET", DEMO_APP_SECRET)
    sandbox.inject("rate_limit", ban_seconds=600)
    first = admin.post("/admin/settings/test-connection", follow_redirects=True)
    assert any(n.startswith("Connection failed") for n in notices(first.get_data(as_text=True)))
    calls = sandbox.call_count()
    second = admin.post("/admin/settings/test-connection", follow_redirects=True)
    [notice] = [n for n in notices(second.get_data(as_text=True)) if "failed" in n]
    assert "ban" in notice.lower()
    assert sandbox.call_count() == calls  # every process waits for the ban to end


# --- Add products by URL -------------------------------------------------------------------


def test_pasted_addresses_become_featured_products_in_order(
    admin: FlaskClient, instance: Path
) -> None:
    text = (
        "My favourites:\n"
        f"{ITEM.format('1005004757833857')}?spm=a2g0o.home\n"
        "https://m.aliexpress.com/item/33006951782.html\n"
        f"and again {ITEM.format('1005004757833857')}\n"
    )
    response = admin.post("/admin/settings/products", data={"products": text})
    assert response.status_code == 303
    assert featured(instance) == ["1005004757833857", "33006951782"]
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Added 2 products to the featured products." in notices(page)
    assert "1005004757833857\n33006951782</textarea>" in page  # the settings field lists them

    home = admin.get("/").get_data(as_text=True)
    assert "Wireless Earbuds" in home


def test_failed_inputs_stay_in_the_box_with_their_reasons(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings/products", data={"products": "33006951782"})
    text = (
        "33006951782\n"
        f"{ITEM.format('1005004757833857')}\n"
        "https://www.aliexpress.com/store/912345678\n"
        "https://aliexpress.com.example.net/item/1005004757833857.html\n"
    )
    response = admin.post("/admin/settings/products", data={"products": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert featured(instance) == ["33006951782", "1005004757833857"]
    assert "Added 1 product to the featured products. 1 was already there." in notices(page)
    box = re.search(r'<textarea id="add-products-text"[^>]*>([^<]*)</textarea>', page)
    assert box is not None
    assert unescape(box.group(1)).splitlines() == [
        "https://www.aliexpress.com/store/912345678",
        "https://aliexpress.com.example.net/item/1005004757833857.html",
    ]
    assert "this is a store page, not a product" in page
    assert "is not an AliExpress site" in page


def test_nothing_usable_is_a_clear_error_and_saves_nothing(
    admin: FlaskClient, instance: Path
) -> None:
    response = admin.post("/admin/settings/products", data={"products": "   "})
    assert response.status_code == 400
    assert "Paste at least one AliExpress product address or product ID." in notices(
        response.get_data(as_text=True)
    )
    assert not (instance / "settings.json").exists()


def test_the_featured_list_is_capped_and_a_refused_paste_is_kept(
    admin: FlaskClient, instance: Path
) -> None:
    first = "\n".join(str(1005000000000000 + n) for n in range(45))
    assert admin.post("/admin/settings/products", data={"products": first}).status_code == 303
    more = "\n".join(str(1005000000001000 + n) for n in range(10))
    response = admin.post("/admin/settings/products", data={"products": more})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "that would make 55 featured products and at most 50 are allowed" in page
    assert str(1005000000001009) in page  # the paste is still in the box
    assert len(featured(instance)) == 45


def test_short_links_are_followed_safely_and_remembered(
    admin: FlaskClient, app: Flask, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.headers['host']}{request.url.path}")
        if request.url.path == "/e/_good":
            return httpx.Response(302, headers={"Location": ITEM.format("1005004757833857")})
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"})

    cache = MemoryCache()

    def follower(_catalog: Catalog) -> ShortLinkFollower:
        return ShortLinkFollower(
            transport=httpx.MockTransport(handle),
            resolve_host=lambda host, port: [PUBLIC_ADDRESS],
            cache=cache,
        )

    monkeypatch.setattr(Catalog, "short_link_follower", follower)
    text = "https://s.click.aliexpress.com/e/_good\nhttps://s.click.aliexpress.com/e/_evil"
    page = admin.post("/admin/settings/products", data={"products": text}).get_data(as_text=True)
    assert featured(instance) == ["1005004757833857"]
    assert "https://s.click.aliexpress.com/e/_evil" in page  # kept, with its reason
    assert all(not target.startswith("127.0.0.1") for target in sent)

    sent.clear()
    admin.post(
        "/admin/settings/products", data={"products": "https://s.click.aliexpress.com/e/_good"}
    )
    assert "s.click.aliexpress.com/e/_good" not in sent  # answered from the cache


def test_featured_products_field_refuses_what_is_not_a_product(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings", data={"tracking_id": "kept"})
    before = (instance / "settings.json").read_bytes()
    response = admin.post(
        "/admin/settings",
        data={"tracking_id": "kept", "featured_products": "33006951782\nhttps://example.com/x"},
    )
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Featured products: not product references: 'https://example.com/x'" in page
    assert (instance / "settings.json").read_bytes() == before
