"""Only the admin gets into /admin; logins are throttled; redirects never leave the site."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.clock import FakeClock

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, log_in, password_store, settings_bytes

ADMIN_PAGES = ["/admin/", "/admin/settings", "/admin/no-such-page", "/admin/settings/x"]
ADMIN_POSTS = ["/admin/settings", "/admin/settings/reveal", "/admin/no-such-page"]


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


def test_password_file_is_private_and_holds_a_hash(app: Flask, instance: Path) -> None:
    path = instance / "admin_password"
    assert path.stat().st_mode & 0o777 == 0o600
    assert ADMIN_PASSWORD not in path.read_text()


def test_production_hash_method_is_scrypt_at_the_owasp_floor(make_app: MakeApp) -> None:
    from affsite.config import DEFAULTS

    assert DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt:131072:8:1"


def test_logout_needs_a_post_and_ends_the_session(admin: FlaskClient) -> None:
    assert admin.get("/admin/logout").status_code in (404, 405)  # a link cannot log out
    assert admin.get("/admin/").status_code == 200
    response = admin.post("/admin/logout")
    assert response.status_code == 303
    assert admin.get("/admin/").status_code == 303


def test_a_new_password_signs_out_existing_sessions(admin: FlaskClient, app: Flask) -> None:
    assert admin.get("/admin/").status_code == 200
    password_store(app).set("a brand new password")
    assert admin.get("/admin/").status_code == 303


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


# --- throttling ---------------------------------------------------------------------------


def attempt(client: FlaskClient, password: str, address: str = "203.0.113.7") -> int:
    response = client.post(
        "/admin/login",
        data={"password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_five_failures_lock_the_client_out_for_fifteen_minutes(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert attempt(client, "wrong guess") == 401
    assert attempt(client, ADMIN_PASSWORD) == 429  # even the right password waits
    response = client.post(
        "/admin/login", data={"password": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) == 900

    assert attempt(client, ADMIN_PASSWORD, address="198.51.100.2") == 303  # others may
    client.post("/admin/logout")

    clock.advance(899)
    assert attempt(client, ADMIN_PASSWORD) == 429
    clock.advance(2)
    assert attempt(client, ADMIN_PASSWORD) == 303


def test_a_successful_login_clears_the_clients_failures(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(4):
        assert attempt(client, "wrong guess") == 401
    assert attempt(client, ADMIN_PASSWORD) == 303
    client.post("/admin/logout")
    for _ in range(4):
        assert attempt(client, "wrong guess") == 401
    assert attempt(client, ADMIN_PASSWORD) == 303


def test_failures_from_many_addresses_trip_the_global_limit(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app(LOGIN_MAX_FAILURES_GLOBAL=6)
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    for n in range(6):
        assert attempt(client, "wrong guess", address=f"192.0.2.{n}") == 401
    assert attempt(client, ADMIN_PASSWORD, address="192.0.2.200") == 429
    clock.advance(901)
    assert attempt(client, ADMIN_PASSWORD, address="192.0.2.200") == 303


def test_failures_are_shared_between_app_instances(make_app: MakeApp) -> None:
    first = make_app()
    password_store(first).set(ADMIN_PASSWORD)
    second = make_app()  # another worker process on the same instance folder
    for _ in range(3):
        assert attempt(first.test_client(), "wrong guess") == 401
    for _ in range(2):
        assert attempt(second.test_client(), "wrong guess") == 401
    assert attempt(first.test_client(), ADMIN_PASSWORD) == 429
    assert attempt(second.test_client(), ADMIN_PASSWORD) == 429


def test_a_head_request_is_not_a_failed_login(client: FlaskClient) -> None:
    for _ in range(10):
        assert client.head("/admin/login").status_code == 200
    assert attempt(client, ADMIN_PASSWORD) == 303
