"""The App Secret is write-only: never in a page, an error page or a log line."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from affsite.settings import SettingsStore

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, CANARY_SECRET, field_errors

CREDENTIALS = {"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "site_1"}


def reveal(client: FlaskClient, password: str) -> str:
    return client.post("/admin/settings/reveal", data={"password": password}).get_data(as_text=True)


def test_the_canary_secret_never_leaves_the_server(
    admin: FlaskClient, instance: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    def visit(response_text: str) -> None:
        bodies.append(response_text)

    def get(path: str) -> None:
        visit(admin.get(path).get_data(as_text=True))

    def post(path: str, data: dict[str, str]) -> None:
        visit(admin.post(path, data=data).get_data(as_text=True))

    post("/admin/settings", CREDENTIALS)  # save the secret
    for path in (
        "/",
        "/healthz",
        "/admin/",
        "/admin/settings",
        "/admin/login",
        "/nope",
        "/admin/nope",
        "/static/nope.css",
    ):
        get(path)
    # A failed save with the secret typed again, and one with it invalid.
    post("/admin/settings", {**CREDENTIALS, "country": "USA"})
    post("/admin/settings", {"app_secret": CANARY_SECRET + " oops", "tracking_id": "x y"})
    # Reveal without, and with a wrong, password.
    post("/admin/settings/reveal", {})
    post("/admin/settings/reveal", {"password": "not the password"})
    # A save that changes the secret, then other fields.
    post("/admin/settings", {"app_secret": CANARY_SECRET[::-1]})
    post("/admin/settings", {"app_secret": CANARY_SECRET, "country": "DE"})
    get("/admin/settings")
    visit(
        admin.get("/admin/settings", headers={"Accept": "application/json"}).get_data(as_text=True)
    )
    visit(admin.post("/admin/logout").get_data(as_text=True))
    get("/admin/settings")

    assert SettingsStore(instance).load().app_secret == CANARY_SECRET  # it was really stored
    for body in bodies:
        assert CANARY_SECRET not in body
        assert CANARY_SECRET[::-1] not in body
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert CANARY_SECRET not in logged
    assert CANARY_SECRET[::-1] not in logged
    assert "app_secret changed" in logged


def test_the_page_shows_only_the_last_four_characters(admin: FlaskClient) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    page = admin.get("/admin/settings").get_data(as_text=True)
    mask = re.search(r'data-testid="secret-mask">([^<]+)<', page)
    assert mask is not None
    assert mask.group(1) == "••••••••" + CANARY_SECRET[-4:]
    assert 'name="app_secret" type="password" value=""' in page


def test_a_blank_secret_field_keeps_the_stored_secret(admin: FlaskClient, instance: Path) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    admin.post("/admin/settings", data={"app_secret": "", "tracking_id": "site_2"})
    settings = SettingsStore(instance).load()
    assert settings.app_secret == CANARY_SECRET
    assert settings.tracking_id == "site_2"


def test_the_remove_box_clears_the_secret_and_returns_to_demo_mode(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    admin.post("/admin/settings", data={"app_secret": "", "clear_app_secret": "1"})
    assert SettingsStore(instance).load().app_secret == ""
    assert "Demo mode:" in admin.get("/admin/settings").get_data(as_text=True)


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


def test_a_secret_from_the_environment_is_masked_and_cannot_be_revealed(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_SECRET", CANARY_SECRET)
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert CANARY_SECRET not in page
    assert CANARY_SECRET[-4:] in page
    assert "AFFSITE_APP_SECRET" in page
    assert (
        admin.post("/admin/settings/reveal", data={"password": ADMIN_PASSWORD}).status_code == 404
    )


def test_error_pages_do_not_echo_exception_text_or_input(make_app: MakeApp) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError(f"upstream said: {CANARY_SECRET}")

    client = app.test_client()
    for response in (
        client.get("/explode"),
        client.get("/explode", headers={"Accept": "application/json"}),
        client.get(f"/no-such-page/{CANARY_SECRET}"),
        client.get(f"/admin/login?next=javascript:{CANARY_SECRET}"),
        client.post(f"/healthz?x={CANARY_SECRET}"),
    ):
        assert response.status_code in (200, 404, 405, 500)
        assert CANARY_SECRET not in response.get_data(as_text=True)
    assert "Server error" in client.get("/explode").get_data(as_text=True)
