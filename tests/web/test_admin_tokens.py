"""API tokens on the settings page: created (shown once, kept only as a digest) and revoked."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.web.api_tokens import api_tokens

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, csrf_token, log_in, password_store


def shown_token(page: str) -> str | None:
    match = re.search(r'<input id="new-token" type="text" value="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def every_byte_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_a_created_token_is_shown_once_and_kept_only_as_a_digest(
    admin: FlaskClient, instance: Path
) -> None:
    response = admin.post("/admin/settings/api-tokens", data={"label": "Build server"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    token = shown_token(page)
    assert token is not None and token.startswith("affsite_")
    assert "Copy it now" in page
    assert "Build server" in page
    # Nowhere on disk: not in the token file, the sessions, the settings, the logs.
    assert token.encode() not in every_byte_under(instance)
    # Not in the session cookie either (flash messages travel there).
    cookie = admin.get_cookie("affsite_session")
    assert cookie is None or token not in cookie.value
    # Never again: the settings page lists the token by name only.
    again = admin.get("/admin/settings").get_data(as_text=True)
    assert token not in again and shown_token(again) is None
    assert "Build server" in again


def test_the_token_works_until_it_is_revoked_on_the_settings_page(
    admin: FlaskClient, app: Flask
) -> None:
    page = admin.post("/admin/settings/api-tokens", data={"label": "CMS"}).get_data(as_text=True)
    token = shown_token(page)
    assert token is not None
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.post("/api/v1/expand", data="x", headers=headers).status_code == 200

    [listed] = api_tokens(app).listed()
    response = admin.post("/admin/settings/api-tokens/revoke", data={"token": listed.id})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/settings#api-tokens"
    after = admin.get("/admin/settings").get_data(as_text=True)
    assert "API token “CMS” revoked" in after
    assert "No API tokens" in after
    assert api.post("/api/v1/expand", data="x", headers=headers).status_code == 401


def test_revoking_an_unknown_token_says_so(admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/settings/api-tokens/revoke", data={"token": "nope"}, follow_redirects=True
    )
    assert "does not exist" in response.get_data(as_text=True)


def test_labels_are_escaped(admin: FlaskClient) -> None:
    page = admin.post(
        "/admin/settings/api-tokens", data={"label": "<script>alert(1)</script>"}
    ).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_anonymous_visitors_can_neither_create_nor_revoke(client: FlaskClient, app: Flask) -> None:
    made, _ = api_tokens(app).create("kept")
    created = client.post("/admin/settings/api-tokens", data={"label": "intruder"})
    revoked = client.post("/admin/settings/api-tokens/revoke", data={"token": made.id})
    for response in (created, revoked):
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/admin/login")
    assert api_tokens(app).listed() == (made,)


def test_both_forms_need_a_csrf_token(make_app: MakeApp) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    password_store(app).set(ADMIN_PASSWORD)
    admin = app.test_client()
    assert log_in(admin).status_code == 303
    made, _ = api_tokens(app).create("kept")
    assert admin.post("/admin/settings/api-tokens", data={"label": "x"}).status_code == 400
    revoke = admin.post("/admin/settings/api-tokens/revoke", data={"token": made.id})
    assert revoke.status_code == 400
    assert api_tokens(app).listed() == (made,)
    token = csrf_token(admin, "/admin/settings")
    response = admin.post("/admin/settings/api-tokens", data={"label": "x", "csrf_token": token})
    assert response.status_code == 200
    assert len(api_tokens(app).listed()) == 2


def test_tokens_are_never_logged(admin: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = admin.post("/admin/settings/api-tokens", data={"label": "ci"})
    token = shown_token(response.get_data(as_text=True))
    assert token is not None
    assert "API token" in caplog.text and "created" in caplog.text
    assert token not in caplog.text
