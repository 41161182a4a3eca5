"""The admin password and the sessions it opens: a session ends on the server when the admin
signs out, when the password changes and after 12 hours, whatever a saved cookie says.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from affsite.cli import cli
from affsite.clock import FakeClock
from affsite.web.auth import (
    AdminPassword,
    PasswordError,
    admin_password,
    admin_sessions,
    is_admin,
    login_throttle,
)

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, log_in, password_store, settings_bytes

NEW_PASSWORD = "a brand new password"


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("affsite_session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """Another browser presenting a copy of ``cookie``."""
    copy = app.test_client()
    copy.set_cookie("affsite_session", cookie)
    return copy


def is_signed_out(client: FlaskClient) -> bool:
    response = client.get("/admin/settings")
    return response.status_code == 303 and response.headers["Location"].startswith("/admin/login")


# --- issue 8 row 6: signing out ends the session ---------------------------------------------


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(
    app: Flask, admin: FlaskClient, instance: Path
) -> None:
    cookie = saved_cookie(admin)
    assert not is_signed_out(replay(app, cookie))  # the copy works while the session lives
    assert admin.post("/admin/logout").status_code == 303

    thief = replay(app, cookie)
    assert is_signed_out(thief)
    assert thief.get("/admin/").status_code == 303
    saved = thief.post("/admin/settings", data={"tracking_id": "thief_id"})
    assert saved.status_code == 303
    assert settings_bytes(instance) is None


def test_a_cookie_saved_before_sign_out_stays_dead_after_signing_in_again(
    app: Flask, admin: FlaskClient
) -> None:
    cookie = saved_cookie(admin)
    admin.post("/admin/logout")
    assert log_in(admin).status_code == 303
    assert not is_signed_out(admin)
    assert is_signed_out(replay(app, cookie))


def test_sign_out_holds_in_every_worker_process(make_app: MakeApp, app: Flask) -> None:
    other_worker = make_app()  # same instance folder, its own objects
    browser = app.test_client()
    log_in(browser)
    cookie = saved_cookie(browser)
    assert not is_signed_out(replay(other_worker, cookie))
    browser.post("/admin/logout")
    assert is_signed_out(replay(other_worker, cookie))


def test_a_new_password_from_the_command_line_ends_every_session(
    app: Flask, admin: FlaskClient, instance: Path
) -> None:
    second = app.test_client()
    log_in(second)
    cookies = [saved_cookie(admin), saved_cookie(second)]
    result = CliRunner().invoke(
        cli,
        ["admin", "set-password", "--password-stdin"],
        input=f"{NEW_PASSWORD}\n",
        env={"AFFSITE_INSTANCE": str(instance), "AFFSITE_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"},
    )
    assert result.exit_code == 0, result.output
    assert is_signed_out(admin)
    for cookie in cookies:
        assert is_signed_out(replay(app, cookie))
    assert log_in(admin, NEW_PASSWORD).status_code == 303
    for cookie in cookies:  # signing in with the new password revives none of them
        assert is_signed_out(replay(app, cookie))


def test_a_new_password_signs_out_existing_sessions(admin: FlaskClient, app: Flask) -> None:
    assert admin.get("/admin/").status_code == 200
    password_store(app).set(NEW_PASSWORD)
    assert admin.get("/admin/").status_code == 303


def test_a_session_ends_on_the_server_after_twelve_hours(
    app: Flask, admin: FlaskClient, clock: FakeClock
) -> None:
    # The cookie's own signature is still fresh (it is checked against real time); the
    # server's record of the session is what expires.
    clock.advance(12 * 3600 - 1)
    assert not is_signed_out(admin)
    clock.advance(2)
    assert is_signed_out(admin)


def test_signing_out_in_one_browser_leaves_the_others_signed_in(
    app: Flask, admin: FlaskClient
) -> None:
    laptop = app.test_client()
    log_in(laptop)
    admin.post("/admin/logout")
    assert not is_signed_out(laptop)


def test_the_session_file_holds_no_usable_token(
    app: Flask, admin: FlaskClient, instance: Path
) -> None:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    token = serializer.loads(saved_cookie(admin))["admin"]
    assert len(token) >= 40
    stored = (instance / "admin_sessions.sqlite3").read_bytes()
    assert token.encode() not in stored
    assert (instance / "admin_sessions.sqlite3").stat().st_mode & 0o777 == 0o600


def test_when_sessions_cannot_be_read_nobody_is_signed_in(
    app: Flask, admin: FlaskClient, instance: Path
) -> None:
    (instance / "admin_sessions.sqlite3").write_bytes(b"this is not a database" * 100)
    assert is_signed_out(admin)
    response = log_in(app.test_client())
    assert response.status_code == 503
    assert "cannot keep its sign-in records" in response.get_data(as_text=True)


# --- the password ----------------------------------------------------------------------------


def test_initial_password_comes_from_the_environment_once(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_ADMIN_PASSWORD", "from-the-environment")
    app = make_app()
    assert password_store(app).check("from-the-environment")
    assert "ADMIN_PASSWORD" not in app.config
    password_store(app).set("changed-later-on")
    make_app()  # a restart with the variable still set does not undo the change
    assert password_store(app).check("changed-later-on")
    assert not password_store(app).check("from-the-environment")


def test_a_too_short_initial_password_is_ignored(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_ADMIN_PASSWORD", "short")
    assert not password_store(make_app()).is_set()


def test_a_too_short_password_is_refused_with_the_fix(tmp_path: Path) -> None:
    store = AdminPassword(tmp_path, method="pbkdf2:sha256:1")
    with pytest.raises(PasswordError) as refused:
        store.set("short")
    assert "at least 10 characters" in refused.value.fix
    assert not store.is_set()


def test_password_file_is_private_and_holds_a_hash(app: Flask, instance: Path) -> None:
    path = instance / "admin_password"
    assert path.stat().st_mode & 0o777 == 0o600
    assert ADMIN_PASSWORD not in path.read_text()


def test_a_damaged_hash_file_refuses_every_password(tmp_path: Path) -> None:
    store = AdminPassword(tmp_path)
    (tmp_path / "admin_password").write_text("not a hash\n")
    assert store.is_set()
    assert not store.check("not a hash")
    assert not store.check("")


def test_the_fingerprint_changes_with_every_new_password(tmp_path: Path) -> None:
    store = AdminPassword(tmp_path, method="pbkdf2:sha256:1")
    assert store.fingerprint() is None
    store.set(ADMIN_PASSWORD)
    first = store.fingerprint()
    store.set(ADMIN_PASSWORD)  # the same password again gets a new salt
    assert first is not None and store.fingerprint() not in (None, first)


def test_production_hash_method_is_scrypt_at_the_owasp_floor() -> None:
    from affsite.config import DEFAULTS

    assert DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt:131072:8:1"


# --- the session cookie ----------------------------------------------------------------------


def test_session_cookie_is_httponly_lax_and_lasts_12_hours(client: FlaskClient) -> None:
    response = log_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert client.application.permanent_session_lifetime == timedelta(hours=12)


def test_session_cookie_is_secure_behind_https(make_app: MakeApp) -> None:
    app = make_app(HTTPS=True)
    password_store(app).set(ADMIN_PASSWORD)
    response = log_in(app.test_client(), base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


# --- accessors -------------------------------------------------------------------------------


def test_each_service_has_one_accessor(app: Flask) -> None:
    with app.test_request_context("/admin/"):
        assert admin_password() is admin_password(app)
        assert admin_sessions() is admin_sessions(app)
        assert login_throttle() is login_throttle(app)
        assert not is_admin()
    assert admin_password(app).path.name == "admin_password"


def test_a_session_signed_with_another_key_is_rejected(make_app: MakeApp, instance: Path) -> None:
    app = make_app()
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    log_in(client)
    assert client.get("/admin/").status_code == 200
    rotated = make_app(SECRET_KEY="another-key-" + "x" * 40)
    rotated_client = rotated.test_client()
    cookie = client.get_cookie("affsite_session")
    assert cookie is not None
    rotated_client.set_cookie("affsite_session", cookie.value)
    assert rotated_client.get("/admin/").status_code == 303
