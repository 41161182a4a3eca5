"""Routes at the site root for machines: /healthz, /favicon.ico, the sandbox's pictures."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

import affsite

from .conftest import MakeApp


def test_healthz_shape_and_no_secrets(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "status": "ok",
        "version": affsite.__version__,
        "demo_mode": True,
        "settings_complete": False,
        "settings_problems": ["app_key", "app_secret", "tracking_id"],
        "store": "disk",
        "limits": "ok",
        "limits_problem": None,
    }
    assert response.headers["Cache-Control"] == "no-store"
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


def test_healthz_is_not_ok_while_gateway_calls_are_stopped(
    make_app: MakeApp, instance: Path
) -> None:
    # Issue 8 row 9: the limits shared by every worker live in the cache folder; when it
    # cannot be written, gateway calls stop, and monitors must hear why (no path in it).
    instance.mkdir(mode=0o700)
    (instance / "cache").write_text("a file where the cache folder should be")
    response = make_app().test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["limits"] == "stopped"
    assert isinstance(body["limits_problem"], str) and body["limits_problem"]
    assert str(instance) not in response.get_data(as_text=True)
    assert set(body) >= {"version", "demo_mode", "settings_complete", "settings_problems"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_favicon_is_where_browsers_look_for_it(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg")
        assert "max-age=86400" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "Set-Cookie" not in response.headers


def test_sandbox_pictures_are_inert_and_cacheable(client: FlaskClient) -> None:
    response = client.get("/sandbox-media/33006951782-0.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert client.get("/sandbox-media/..%2Fsecret_key").status_code == 404
