"""Error answers say what happened in plain words and never echo what the client sent."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_a_missing_page_is_a_plain_404_that_does_not_echo_the_address(
    client: FlaskClient,
) -> None:
    response = client.get("/no-such-page-<script>alert(1)</script>")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "<script>alert(1)" not in body and "no-such-page" not in body


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"] == "Page not found"


def test_a_wrong_method_says_which_methods_are_allowed(client: FlaskClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "does not accept" in response.get_data(as_text=True)
