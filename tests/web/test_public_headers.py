"""The header matrix of the public routes (hardening.md 1.3): each route, signed in as the
admin (whose session must never show), against exactly the headers it must and must not
send."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

EARBUDS = "1005004757833857"
FRESH = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400"

# route -> (status, content type, CSP sent?, Access-Control-Allow-Origin, Cache-Control)
MATRIX: dict[str, tuple[int, str, bool, str | None, str]] = {
    f"/embed/iframe/{EARBUDS}": (200, "text/html; charset=utf-8", True, None, FRESH),
    f"/embed/grid?ids={EARBUDS}": (200, "text/html; charset=utf-8", True, None, FRESH),
    f"/embed/carousel?ids={EARBUDS}": (
        404,
        "text/html; charset=utf-8",
        True,
        None,
        "public, max-age=300",
    ),
    "/embed/grid?ids=x": (400, "text/html; charset=utf-8", True, None, "public, max-age=300"),
    "/embed/iframe/x": (404, "text/html; charset=utf-8", True, None, "public, max-age=300"),
    f"/api/v1/snippet?ids={EARBUDS}": (200, "text/html; charset=utf-8", False, "*", FRESH),
    f"/api/v1/products?ids={EARBUDS}": (200, "application/json", False, "*", FRESH),
    "/api/v1/snippet?ids=x": (400, "application/json", False, "*", "public, max-age=60"),
}


@pytest.mark.parametrize("route", list(MATRIX))
def test_each_public_route_sends_exactly_its_headers(admin: FlaskClient, route: str) -> None:
    admin.get(route)  # warm: the second answer is the one caches keep
    response = admin.get(route)
    status, content_type, csp, cors, cache_control = MATRIX[route]
    headers = response.headers
    assert response.status_code == status
    assert headers["Content-Type"] == content_type
    assert headers["Cache-Control"] == cache_control
    assert headers.get("Access-Control-Allow-Origin") == cors
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in headers
    assert "Set-Cookie" not in headers
    assert "cookie" not in headers.get("Vary", "").lower()
    if csp:
        policy = headers["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'; script-src 'self'; img-src 'self' ")
        assert "frame-ancestors *;" in policy and "unsafe" not in policy
    else:
        assert "Content-Security-Policy" not in headers
    if status == 200:
        assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith(" GMT")


def test_every_embed_and_api_route_is_in_the_matrix(app: Flask) -> None:
    # A new route under these blueprints must be added above (and so get its headers checked).
    rules = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("embed", "api")
    }
    assert rules == {
        "/embed/iframe/<product_id>",
        "/embed/<name>",
        "/api/v1/snippet",
        "/api/v1/products",
    }
