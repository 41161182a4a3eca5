"""Forms need a CSRF token; admin responses are never cached or framed."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, csrf_token, log_in, password_store, settings_bytes

ADMIN_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture
def csrf_app(make_app: MakeApp) -> Flask:
    app = make_app(WTF_CSRF_ENABLED=True)
    password_store(app).set(ADMIN_PASSWORD)
    return app


@pytest.fixture
def csrf_admin(csrf_app: Flask) -> FlaskClient:
    client = csrf_app.test_client()
    assert log_in(client).status_code == 303
    return client


def test_settings_post_without_csrf_token_is_refused_and_changes_nothing(
    csrf_admin: FlaskClient, instance: Path
) -> None:
    token = csrf_token(csrf_admin, "/admin/settings")
    ok = csrf_admin.post("/admin/settings", data={"csrf_token": token, "tracking_id": "first"})
    assert ok.status_code == 303
    before = settings_bytes(instance)
    assert before is not None

    refused = csrf_admin.post("/admin/settings", data={"tracking_id": "forged", "country": "FR"})
    assert refused.status_code == 400
    assert "The form has expired or did not come from this site" in refused.get_data(as_text=True)
    assert settings_bytes(instance) == before

    wrong = csrf_admin.post(
        "/admin/settings", data={"csrf_token": "forged-token", "tracking_id": "forged"}
    )
    assert wrong.status_code == 400
    assert settings_bytes(instance) == before


@pytest.mark.parametrize(
    "path",
    [
        "/admin/login",
        "/admin/logout",
        "/admin/settings/reveal",
        "/admin/settings/test-connection",
        "/admin/settings/products",
    ],
)
def test_every_admin_form_needs_a_csrf_token(
    csrf_admin: FlaskClient, path: str, instance: Path
) -> None:
    before = settings_bytes(instance)
    response = csrf_admin.post(path, data={"password": ADMIN_PASSWORD, "products": "33006951782"})
    assert response.status_code == 400
    assert csrf_admin.get("/admin/").status_code == 200  # logout without token did nothing
    assert settings_bytes(instance) == before


def test_login_without_csrf_token_does_not_sign_in(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    response = client.post("/admin/login", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 303


def test_no_admin_view_is_exempt_from_csrf(csrf_app: Flask) -> None:
    csrf = csrf_app.extensions["csrf"]
    exempt = {view for view in csrf._exempt_views if "admin" in view}
    assert exempt == set()
    assert not csrf._exempt_blueprints


@pytest.mark.parametrize(
    "path", ["/admin/login", "/admin/", "/admin/settings", "/admin/no-such-page", "/admin"]
)
def test_admin_headers_on_every_admin_response(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    for name, value in ADMIN_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


@pytest.mark.parametrize("path", ["/admin/", "/admin/settings", "/admin/login"])
def test_admin_headers_for_anonymous_visitors_too(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    for name, value in ADMIN_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


def test_admin_headers_on_posts_and_errors(admin: FlaskClient) -> None:
    for response in (
        admin.post("/admin/settings", data={"country": "USA"}),
        admin.post("/admin/settings", data={"tracking_id": "ok_id"}),
        admin.post("/admin/settings/reveal", data={"password": "wrong"}),
    ):
        for name, value in ADMIN_HEADERS.items():
            assert response.headers.get(name) == value


def test_public_pages_do_not_get_admin_headers(client: FlaskClient) -> None:
    home = client.get("/")
    assert home.headers.get("X-Frame-Options") is None
    assert "frame-ancestors 'self'" in home.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in home.headers  # public pages stay cacheable


def test_request_bodies_are_capped_at_one_mebibyte(admin: FlaskClient) -> None:
    response = admin.post("/admin/settings", data={"disclosure": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413


# --- redirects (issue 8 row 5) ----------------------------------------------------------------


def test_the_audit_redirect_carries_no_host_from_the_request(client: FlaskClient) -> None:
    # GET /embed//iframe/ID with Host: evil.example answered
    # 308 Location: http://evil.example/embed/iframe/ID with no Cache-Control.
    response = client.get("/embed//iframe/1005004757833857", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/embed/iframe/1005004757833857"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_router_redirect_carries_a_host_from_the_request(app: Flask) -> None:
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or "<" in rule.rule or not rule.rule.endswith("/"):
            continue
        for path in (rule.rule.rstrip("/") or "/", "/" + rule.rule.replace("/", "//")):
            if path == rule.rule:
                continue
            response = client.get(path, headers={"Host": "evil.example"})
            if 300 <= response.status_code < 400:
                checked += 1
                location = response.headers["Location"]
                assert location.startswith("/") and not location.startswith("//"), path
                assert "evil.example" not in location, path
                assert b"evil.example" not in response.data, path  # the page links it too
                assert "Cache-Control" in response.headers, path
    assert checked >= 2  # /admin -> /admin/, and merged slashes


def test_redirects_after_a_form_are_relative_too(client: FlaskClient) -> None:
    response = client.get("/admin/settings", headers={"Host": "evil.example"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/admin/login")
    response = client.post(
        "/admin/login", data={"password": ADMIN_PASSWORD}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert response.headers["Cache-Control"] == "no-store"


def test_redirects_are_never_protocol_relative() -> None:
    from affsite.web.security import relative_location

    assert relative_location("http://evil.example//evil.example/x", "evil.example") == (
        "/evil.example/x"
    )
    assert relative_location("///x", "h") == "/x"
    assert relative_location("https://h/a?b=1#c", "H") == "/a?b=1#c"
    assert relative_location("https://other.example/a", "h") == "https://other.example/a"


def test_responses_keep_relative_locations_relative(app: Flask) -> None:
    assert app.response_class.autocorrect_location_header is False
