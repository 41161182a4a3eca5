"""The admin area's pages: who gets in, signing in and out, the dashboard, and the
settings page's actions ("Test connection", "Add products by URL", revealing the App Secret).
"""

from __future__ import annotations

import json
import logging
import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.cache import Store
from affsite.catalog import Catalog, client_factory
from affsite.clock import FakeClock
from affsite.product_ids import ShortLinkFollower
from affsite.settings import SettingsStore
from affsite.web.admin_sessions import AdminSessions
from affsite.web.private_db import AuthStoreError

from .conftest import InstallCatalog, MakeApp
from .helpers import (
    ADMIN_PASSWORD,
    CANARY_SECRET,
    field_errors,
    log_in,
    password_store,
    settings_bytes,
)

ADMIN_PAGES = ["/admin/", "/admin/settings", "/admin/no-such-page", "/admin/settings/x"]
ADMIN_POSTS = ["/admin/settings", "/admin/settings/reveal", "/admin/no-such-page"]
CREDENTIALS = {"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "site_1"}
ITEM = "https://www.aliexpress.com/item/{}.html"
PUBLIC_ADDRESS = "47.246.0.10"


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock)


@pytest.fixture
def gateway_catalog(install_catalog: InstallCatalog, sandbox: Sandbox) -> Catalog:
    """The app's catalog, but talking to a sandbox of the test's own (credentials checked)."""
    return install_catalog(client_factory=client_factory(sandbox.transport()))


def notices(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)]


def featured(instance: Path) -> list[str]:
    stored = json.loads((instance / "settings.json").read_text())
    ids: list[str] = stored.get("featured_products", [])
    return ids


def reveal(client: FlaskClient, password: str) -> str:
    return client.post("/admin/settings/reveal", data={"password": password}).get_data(as_text=True)


# --- who gets in ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_pages_redirect_to_login_and_back(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/login?next={path}"


@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_anonymous_posts_change_nothing(client: FlaskClient, path: str, instance: Path) -> None:
    response = client.post(path, data={"tracking_id": "intruder", "password": "x"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/login"
    assert settings_bytes(instance) is None


# --- signing in and out ---------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_dashboard(client: FlaskClient) -> None:
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Dashboard" in page.get_data(as_text=True)


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    response = log_in(client, "not the password")
    assert response.status_code == 401
    assert "Wrong password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 303


def test_login_page_explains_how_to_set_a_password_when_none_exists(
    make_app: MakeApp,
) -> None:
    client = make_app().test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    assert "affsite admin set-password" in page
    assert "AFFSITE_ADMIN_PASSWORD" in page
    assert log_in(client, "anything at all").status_code == 200
    assert client.get("/admin/").status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/admin/",
        "https://evil.com",
        "http://evil.com/admin/",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "/\n/evil.com",
        "javascript:alert(1)",
        "evil.com",
        "",
        "///evil.com",
    ],
)
def test_next_never_leads_off_site(client: FlaskClient, target: str) -> None:
    response = log_in(client, query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    form = client.post("/admin/logout")
    assert form.status_code == 303
    response = client.post("/admin/login", data={"password": ADMIN_PASSWORD, "next": target})
    assert response.headers["Location"] == "/admin/"


def test_next_leads_to_the_page_asked_for(client: FlaskClient) -> None:
    login_page = client.get("/admin/settings").headers["Location"]
    response = client.post(login_page, data={"password": ADMIN_PASSWORD})
    assert response.headers["Location"] == "/admin/settings"


def test_login_form_carries_next_through(client: FlaskClient) -> None:
    page = client.get("/admin/login?next=/admin/settings").get_data(as_text=True)
    assert 'name="next" value="/admin/settings"' in page


def test_logout_needs_a_post_and_ends_the_session(admin: FlaskClient) -> None:
    assert admin.get("/admin/logout").status_code in (404, 405)  # a link cannot log out
    assert admin.get("/admin/").status_code == 200
    response = admin.post("/admin/logout")
    assert response.status_code == 303
    assert admin.get("/admin/").status_code == 303


def test_a_sign_out_the_server_could_not_record_says_so(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: AdminSessions, token: str) -> None:
        raise AuthStoreError("cannot use admin_sessions.sqlite3: disk I/O error")

    monkeypatch.setattr(AdminSessions, "end", fail)
    response = admin.post("/admin/logout", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "the server could not record it" in page
    assert "affsite admin set-password" in page
    assert admin.get("/admin/").status_code == 303  # this browser is signed out all the same


# --- the settings page -----------------------------------------------------------------------


def test_after_a_failed_save_the_secret_must_be_typed_again(
    admin: FlaskClient, instance: Path
) -> None:
    response = admin.post("/admin/settings", data={**CREDENTIALS, "batch_size": "0"})
    errors = field_errors(response.get_data(as_text=True))
    assert "type it again" in errors["app_secret"]
    assert SettingsStore(instance).load().app_secret == ""


def test_reveal_needs_the_admin_password_and_shows_the_secret_once(
    admin: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin.post("/admin/settings", data=CREDENTIALS)
    assert CANARY_SECRET not in reveal(admin, "")
    assert CANARY_SECRET not in reveal(admin, "wrong password")
    shown = admin.post("/admin/settings/reveal", data={"password": ADMIN_PASSWORD})
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert CANARY_SECRET in shown.get_data(as_text=True)
    assert CANARY_SECRET not in admin.get("/admin/settings").get_data(as_text=True)
    assert "app_secret revealed" in caplog.text
    assert CANARY_SECRET not in caplog.text


def test_wrong_reveal_passwords_count_towards_the_login_limit(admin: FlaskClient) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    for _ in range(5):
        assert admin.post("/admin/settings/reveal", data={"password": "guess"}).status_code == 401
    locked = admin.post("/admin/settings/reveal", data={"password": ADMIN_PASSWORD})
    assert locked.status_code == 429
    assert CANARY_SECRET not in locked.get_data(as_text=True)


def test_reveal_shows_nothing_when_attempts_cannot_be_counted(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    (instance / "login_failures.sqlite3").write_bytes(b"this is not a database" * 100)
    response = admin.post("/admin/settings/reveal", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 503
    assert CANARY_SECRET not in response.get_data(as_text=True)


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


# --- Test connection -------------------------------------------------------------------------


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


# --- Add products by URL ---------------------------------------------------------------------


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
    admin: FlaskClient, install_catalog: InstallCatalog, instance: Path
) -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.headers['host']}{request.url.path}")
        if request.url.path == "/e/_good":
            return httpx.Response(302, headers={"Location": ITEM.format("1005004757833857")})
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"})

    def follower(cache: Store) -> ShortLinkFollower:
        return ShortLinkFollower(
            transport=httpx.MockTransport(handle),
            resolve_host=lambda host, port: [PUBLIC_ADDRESS],
            cache=cache,
        )

    install_catalog(short_links=follower)
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


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_quota_cache_and_gateway(admin: FlaskClient) -> None:
    page = admin.get("/admin/").get_data(as_text=True)
    for section in ('id="quota"', 'id="cache"', 'id="gateway"', 'id="errors-heading"'):
        assert section in page
    assert 'id="limits-stopped"' not in page


def test_the_dashboard_says_why_gateway_calls_are_stopped(
    make_app: MakeApp, instance: Path
) -> None:
    instance.mkdir(mode=0o700)
    (instance / "cache").write_text("a file where the cache folder should be")
    app = make_app()
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    log_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    alert = unescape(page.split('id="limits-stopped"', 1)[1].split("</div>", 1)[0])
    assert "Gateway calls are stopped" in alert
    assert f"the cache folder {instance / 'cache'} cannot be" in alert  # which folder...
    assert "free disk space or fix permissions" in alert  # ...and what to do
    gateway = page.split('id="gateway"', 1)[1].split("</section>", 1)[0]
    assert "Stopped" in gateway


def test_the_dashboard_shows_clicks_per_product_and_day_with_titles_escaped(
    admin: FlaskClient,
) -> None:
    # A seller-written title with markup, and a click whose headers carry markup (the
    # Pretty Links pattern, CVE-2019-25147): titles are escaped, headers never stored.
    hostile = "1005006188820412"  # "<script>alert(1)</script> Smart Watch ..."
    for _ in range(4):
        assert admin.get(f"/embed/iframe/{hostile}").status_code == 200
    marker = '"><x-marker onerror=alert(1)>'
    browser = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"
    response = admin.get(
        f"/go/{hostile}?ref={marker}",
        headers={"User-Agent": f"{browser} {marker}", "Referer": f"https://x.example/{marker}"},
    )
    assert response.status_code == 302
    admin.get(f"/go/{hostile}", headers={"User-Agent": browser})

    page = admin.get("/admin/").get_data(as_text=True)

    table = page.split('id="clicks-table"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if hostile in r)
    cells = [unescape(c) for c in re.findall(r'<td class="num">([^<]*)</td>', row)]
    assert cells == ["0"] * 6 + ["2", "2", "4", "50.0%"]  # 7 days (today last), totals
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Smart Watch" in row
    assert "<script>alert(1)" not in page
    assert "x-marker" not in page


def test_the_dashboard_says_when_nothing_was_clicked(admin: FlaskClient) -> None:
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="clicks-none"' in page
    assert 'id="clicks-table"' not in page
