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


def test_healthz_shape_and_no_secrets(client: FlaskClient, instance: Path) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "status",
        "version",
        "demo_mode",
        "settings_complete",
        "settings_problems",
    }
    assert body["status"] == "ok"
    assert body["version"] == __import__("affsite").__version__
    assert body["demo_mode"] is True
    assert body["settings_complete"] is False
    assert body["settings_problems"] == ["app_key", "app_secret", "tracking_id"]
    assert "Set-Cookie" not in response.headers


def test_healthz_when_configured(admin: FlaskClient) -> None:
    admin.post(
        "/admin/settings",
        data={"app_key": "500000", "app_secret": "CANARY-SECRET-7f3a9c", "tracking_id": "t1"},
    )
    response = admin.get("/healthz")
    assert "CANARY" not in response.get_data(as_text=True)
    body = response.get_json()
    assert body["demo_mode"] is False
    assert body["settings_complete"] is True
    assert body["settings_problems"] == []


def test_request_bodies_are_capped_at_one_mebibyte(admin: FlaskClient) -> None:
    response = admin.post("/admin/settings", data={"disclosure": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
