"""Proofs of hardening.md 1.2 (B, C, A-reflected, G) for the routes that exist today.

Every route is classified in one table; the security suite keeps real CSRF protection on
where CSRF is what is tested. Nothing here talks to the network beyond 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import itsdangerous
import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress.sandbox import DEMO_APP_KEY, Sandbox, serve
from affsite.catalog import get_catalog
from affsite.settings import SettingsStore

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, CANARY_SECRET, log_in, password_store, settings_bytes

# --- C. the route inventory ------------------------------------------------------------------

# Every endpoint of the app, classified once. A new route fails the inventory test until it
# is added here, so nobody ships an admin action that forgot its login check.
PUBLIC = "public"  # anyone, no session needed, never changes settings
LOGIN = "login"  # the one admin endpoint open to anonymous visitors
ADMIN = "admin"  # the signed-in admin only
TOKEN = "token"  # callers with an API token from the settings page, never a cookie

ROUTES = {
    "static": PUBLIC,
    "public.index": PUBLIC,
    "root.healthz": PUBLIC,
    "root.favicon": PUBLIC,
    "root.sandbox_media": PUBLIC,
    "root.go": PUBLIC,
    "root.embed_script": PUBLIC,
    "root.embeds": PUBLIC,
    "root.oembed": PUBLIC,
    "api.products": PUBLIC,
    "api.snippet": PUBLIC,
    "expand_api.expand": TOKEN,
    "embed.iframe": PUBLIC,
    "embed.template_page": PUBLIC,
    "admin.login": LOGIN,
    "admin.logout": ADMIN,
    "admin.dashboard": ADMIN,
    "admin.settings": ADMIN,
    "admin.save_settings": ADMIN,
    "admin.reveal_secret": ADMIN,
    "admin.test_connection": ADMIN,
    "admin.add_products": ADMIN,
    "admin.create_api_token": ADMIN,
    "admin.revoke_api_token": ADMIN,
    "admin.preview": ADMIN,
    "admin._unknown": ADMIN,
}
# Admin actions that change something: GET must never reach them.
STATE_CHANGING = [
    "/admin/logout",
    "/admin/settings/test-connection",
    "/admin/settings/products",
    "/admin/settings/reveal",
    "/admin/settings/api-tokens",
    "/admin/settings/api-tokens/revoke",
]
SAMPLE_ARGUMENTS = {
    "filename": "css/affsite.css",
    "name": "33006951782-0.svg",
    "_anything": "x/y",
    "product_id": "33006951782",
}


def concrete(rule: str) -> str:
    """``rule`` with each ``<converter:name>`` replaced by a sample value."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLE_ARGUMENTS.get(m.group(1), "x"), rule)


def quota_used(app: Flask) -> int:
    with app.app_context():
        used: int = get_catalog().quota().used
    return used


def test_every_route_is_classified_and_admin_routes_live_under_admin(app: Flask) -> None:
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    unclassified = sorted(set(endpoints) - set(ROUTES))
    assert unclassified == [], f"classify these routes in ROUTES: {unclassified}"
    for endpoint, kind in ROUTES.items():
        if kind in (ADMIN, LOGIN) and endpoint in endpoints:
            assert endpoints[endpoint].startswith("/admin/"), endpoint


def test_every_admin_route_and_method_sends_anonymous_visitors_to_the_login(
    app: Flask, client: FlaskClient, instance: Path
) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if ROUTES.get(rule.endpoint) != ADMIN:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            url = concrete(rule.rule)
            response = client.open(
                url, method=method, data={"tracking_id": "intruder", "password": "x"}
            )
            assert response.status_code == 303, (method, url)
            assert response.headers["Location"].startswith("/admin/login"), (method, url)
            checked += 1
    assert checked >= 9
    assert settings_bytes(instance) is None
    assert quota_used(app) == 0  # not even "Test connection" ran


@pytest.mark.parametrize("path", STATE_CHANGING)
def test_get_never_reaches_a_state_changing_admin_action(
    app: Flask, admin: FlaskClient, instance: Path, path: str
) -> None:
    admin.post("/admin/settings", data={"tracking_id": "kept_id"})
    before = settings_bytes(instance)
    response = admin.get(path, query_string={"products": "33006951782", "password": "x"})
    assert response.status_code in (404, 405)
    assert settings_bytes(instance) == before
    assert quota_used(app) == 0
    assert admin.get("/admin/").status_code == 200  # still signed in


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("affsite_session")
    assert cookie is not None
    return cookie.value


def flip_first(part: str) -> str:
    """``part`` with its first base64 character changed (a compressed payload starts '.')."""
    body = part.lstrip(".")
    return ("A" if body[0] != "A" else "B") + body[1:]


def test_a_tampered_session_cookie_is_rejected(app: Flask, admin: FlaskClient) -> None:
    value = session_cookie(admin)
    payload, _, signature = value.rpartition(".")
    forged = [
        # The first character of each part: the last one of a base64 text may only carry
        # padding bits, and changing it can leave the decoded bytes as they were.
        f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",  # signature
        f"{'.' if payload.startswith('.') else ''}{flip_first(payload)}.{signature}",  # payload
        "eyJhZG1pbiI6dHJ1ZX0.x.y",  # {"admin": true}, unsigned
        "",
    ]
    for cookie in forged:
        other = app.test_client()
        other.set_cookie("affsite_session", cookie)
        assert other.get("/admin/").status_code == 303, cookie
        assert other.post("/admin/settings", data={"tracking_id": "x"}).status_code == 303


def test_a_session_older_than_twelve_hours_is_rejected(
    app: Flask, admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cookie = session_cookie(admin)

    def replayed_after(hours: float) -> int:
        """The status of /admin/ for a copy of the cookie presented ``hours`` later."""
        monkeypatch.setattr(
            itsdangerous.TimestampSigner,
            "get_timestamp",
            lambda self: int(time.time() + hours * 3600),
        )
        replay = app.test_client()
        replay.set_cookie("affsite_session", cookie)
        return replay.get("/admin/").status_code

    assert replayed_after(11) == 200  # still in time
    assert replayed_after(13) == 303  # too old: signed in again or nothing


# --- B. CSRF over HTTPS ----------------------------------------------------------------------

HTTPS = "https://localhost"


@pytest.fixture
def https_admin(make_app: MakeApp) -> FlaskClient:
    app = make_app(WTF_CSRF_ENABLED=True, HTTPS=True)
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    page = client.get("/admin/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/admin/login",
        base_url=HTTPS,
        data={"password": ADMIN_PASSWORD, "csrf_token": token.group(1)},
        headers={"Referer": f"{HTTPS}/admin/login"},
    )
    assert response.status_code == 303
    return client


def settings_token(client: FlaskClient) -> str:
    page = client.get("/admin/settings", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/admin/settings", "http://localhost/admin/settings"],
    ids=["no-referer", "cross-site", "downgraded"],
)
def test_over_https_a_valid_token_from_another_origin_changes_nothing(
    https_admin: FlaskClient, instance: Path, referer: str | None
) -> None:
    token = settings_token(https_admin)
    saved = https_admin.post(
        "/admin/settings",
        base_url=HTTPS,
        data={"csrf_token": token, "tracking_id": "owner_id"},
        headers={"Referer": f"{HTTPS}/admin/settings"},
    )
    assert saved.status_code == 303
    before = settings_bytes(instance)

    # The Amazonify case: a forged post that only swaps the tracking id.
    headers = {"Referer": referer} if referer else {}
    forged = https_admin.post(
        "/admin/settings",
        base_url=HTTPS,
        data={"csrf_token": token, "tracking_id": "attacker_id"},
        headers=headers,
    )
    assert forged.status_code == 400
    assert settings_bytes(instance) == before
    assert SettingsStore(instance).load().tracking_id == "owner_id"


# --- the login throttle trusts only the real peer address ------------------------------------


def attempt(client: FlaskClient, password: str, forwarded_for: str) -> int:
    return client.post(
        "/admin/login",
        data={"password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    ).status_code


def test_x_forwarded_for_cannot_dodge_the_lockout_without_a_configured_proxy(
    client: FlaskClient,
) -> None:
    for n in range(5):
        assert attempt(client, "wrong guess", f"198.51.100.{n}") == 401
    assert attempt(client, ADMIN_PASSWORD, "198.51.100.77") == 429


def test_x_forwarded_for_names_the_client_behind_a_configured_proxy(make_app: MakeApp) -> None:
    app = make_app(PROXY_FIX=1)
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, "wrong guess", "198.51.100.1") == 401
    assert attempt(client, ADMIN_PASSWORD, "198.51.100.1") == 429
    assert attempt(client, ADMIN_PASSWORD, "198.51.100.2") == 303  # another visitor


# --- A. reflected input ----------------------------------------------------------------------

MARKER = "\"'><x-marker>"
PARAMETERS = ("next", "ids", "q", "x", "name", "url")


def reflected_in(response_text: str, mimetype: str) -> bool:
    return mimetype != "application/json" and "<x-marker" in response_text


def test_no_get_route_reflects_markup_from_the_query_or_path(app: Flask) -> None:
    anonymous, admin = app.test_client(), app.test_client()
    log_in(admin)
    urls = {
        concrete(rule.rule) for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())
    }
    urls |= {"/nope/" + MARKER, "/admin/" + MARKER, "/static/" + MARKER}
    urls |= {"/sandbox-media/" + MARKER, "/api/v1/" + MARKER}
    checked = 0
    for url in sorted(urls):
        for visitor in (anonymous, admin):
            for name in PARAMETERS:
                with visitor.get(url, query_string={name: MARKER}) as response:
                    text = response.get_data(as_text=True)
                assert not reflected_in(text, response.mimetype or ""), (url, name)
                if "<x-marker" in text:  # JSON may quote input; browsers must never sniff it
                    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
                checked += 1
    assert checked > 100


def test_posted_values_come_back_only_escaped(admin: FlaskClient) -> None:
    for response in (
        admin.post("/admin/settings", data={"tracking_id": MARKER, "country": MARKER}),
        admin.post("/admin/settings/products", data={"products": MARKER}),
        admin.post("/admin/login", data={"password": "x", "next": MARKER}),
    ):
        text = response.get_data(as_text=True)
        assert "<x-marker" not in text
    page = admin.post("/admin/settings", data={"tracking_id": MARKER}).get_data(as_text=True)
    assert unescape(MARKER) in unescape(page)  # it is shown back to be corrected, escaped


# --- G. the App Secret -----------------------------------------------------------------------


def test_submitting_the_mask_shown_on_the_page_keeps_the_stored_secret(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings", data={"app_key": "500000", "app_secret": CANARY_SECRET})
    page = admin.get("/admin/settings").get_data(as_text=True)
    mask = re.search(r'data-testid="secret-mask">([^<]+)<', page)
    assert mask is not None
    for typed in (unescape(mask.group(1)), "••••", "••••••••"):
        admin.post("/admin/settings", data={"app_secret": typed, "tracking_id": "t_1"})
        assert SettingsStore(instance).load().app_secret == CANARY_SECRET, typed


@pytest.mark.parametrize(
    "path",
    [
        "/settings.json",
        "/instance/settings.json",
        "/static/../settings.json",
        "/static/..%2Fsettings.json",
        "/static/%2e%2e/%2e%2e/instance/settings.json",
        "/secret_key",
        "/admin_password",
        "/static/../../instance/secret_key",
        "/sandbox-media/..%2Fsettings.json",
        "/sandbox-media/..%2F..%2Fsecret_key",
    ],
)
def test_instance_files_are_never_served(
    admin: FlaskClient, app: Flask, instance: Path, path: str
) -> None:
    admin.post("/admin/settings", data={"app_key": "500000", "app_secret": CANARY_SECRET})
    secret_key = app.config["SECRET_KEY"]
    for visitor in (admin, app.test_client()):
        with visitor.get(path) as response:
            text = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert CANARY_SECRET not in text and secret_key not in text


@pytest.fixture
def gateway_url() -> Iterator[str]:
    """A real sandbox gateway on 127.0.0.1 (it refuses the canary secret, as AliExpress
    would refuse a wrong one)."""
    with serve(Sandbox(), "127.0.0.1", 0) as handle:
        yield handle.sync_url


def test_a_refused_canary_secret_never_reaches_a_public_answer_the_dashboard_or_a_log(
    admin: FlaskClient, app: Flask, gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    saved = admin.post(
        "/admin/settings",
        data={"app_key": DEMO_APP_KEY, "app_secret": CANARY_SECRET, "api_url": gateway_url},
    )
    assert saved.status_code == 303
    visitor = app.test_client()
    bodies = []
    api = visitor.get("/api/v1/products?ids=1005004757833857,33006951782")
    assert api.status_code == 200
    assert {item["reason"] for item in api.get_json()} == {"credentials_rejected"}
    bodies.append(api.get_data(as_text=True))
    for path in ("/", "/healthz", "/sandbox-media/33006951782-0.svg", "/static/css/affsite.css"):
        with visitor.get(path) as response:
            bodies.append(response.get_data(as_text=True))
    tested = admin.post("/admin/settings/test-connection", follow_redirects=True)
    bodies.append(tested.get_data(as_text=True))
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert "Credentials rejected" in dashboard  # the failure is explained...
    bodies.append(dashboard)

    for body in bodies:
        assert CANARY_SECRET not in body  # ...and the secret is never shown
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "IncompleteSignature" in logged or "credentials" in logged.lower()
    assert CANARY_SECRET not in logged


# --- files stay private whatever the umask ---------------------------------------------------


def test_instance_files_are_private_even_with_a_permissive_umask(
    make_app: MakeApp, instance: Path
) -> None:
    previous = os.umask(0)
    try:
        app = make_app()
        password_store(app).set(ADMIN_PASSWORD)
        client = app.test_client()
        assert log_in(client, "a wrong password").status_code == 401  # throttle file
        log_in(client)
        client.post("/admin/settings", data={"app_secret": CANARY_SECRET, "app_key": "500000"})
    finally:
        os.umask(previous)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    for folder in (instance, instance / "cache", instance / "cache" / "data"):
        assert mode(folder) == 0o700, folder
    files = ("settings.json", "secret_key", "admin_password")
    for name in (*files, "login_failures.sqlite3", "admin_sessions.sqlite3"):
        assert mode(instance / name) == 0o600, name
    for path in instance.iterdir():  # nothing else in the folder is open to others either
        assert mode(path) & 0o077 == 0, path.name


# --- F. SQL built from input -----------------------------------------------------------------

AFFSITE = Path(__file__).resolve().parents[2] / "affsite"


def test_no_sql_statement_is_built_from_strings_at_run_time() -> None:
    import ast

    calls = 0
    for source in sorted(AFFSITE.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "executescript")
                and node.args
            ):
                continue
            calls += 1
            statement = node.args[0]
            built = isinstance(statement, ast.JoinedStr | ast.BinOp) or (
                isinstance(statement, ast.Call)
                and isinstance(statement.func, ast.Attribute)
                and statement.func.attr == "format"
            )
            assert not built, f"{source.name}:{node.lineno} builds SQL from strings"
    assert calls > 0  # the login throttle does use SQLite


def test_sql_metacharacters_in_a_client_address_are_only_data(make_app: MakeApp) -> None:
    app = make_app(PROXY_FIX=1)  # X-Forwarded-For is then the client address
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    hostile = "1.2.3.4'); DELETE FROM failures; --\" % ;"
    for _ in range(5):
        assert attempt(client, "wrong guess", hostile) == 401
    assert attempt(client, ADMIN_PASSWORD, hostile) == 429  # counted, table intact
    assert attempt(client, ADMIN_PASSWORD, "1.2.3.4") == 303


# --- G. the session key ----------------------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["dev", "changeme", "secret-key", "x" * 10])
def test_a_placeholder_secret_key_is_refused_at_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, placeholder: str
) -> None:
    from affsite import create_app

    monkeypatch.setenv("AFFSITE_SECRET_KEY", placeholder)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
