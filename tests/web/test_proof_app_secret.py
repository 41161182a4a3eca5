"""Proof: the App Secret is write-only: never in a page, an error page or a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from affsite.settings import SettingsStore

from .conftest import MakeApp
from .helpers import CANARY_SECRET

CREDENTIALS = {"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "site_1"}


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
