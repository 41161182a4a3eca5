"""HTTP caching of public answers: how long caches may keep them, validators, 304s, and
never a cookie."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask, send_file
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Reason, Status
from affsite.clock import FakeClock
from affsite.web.public_cache import cache_headers, etag_of, public_answer, vary_on_host

from .conftest import MakeApp

BODY = b"<div class=affsite>box</div>"
TAG = f'"{etag_of(BODY)}"'


def headers_for(*statuses: Status) -> dict[str, str]:
    response = Response()
    answers = [
        ProductAnswer(id=str(n), status=status, reason=Reason.UNAVAILABLE)
        for n, status in enumerate(statuses)
    ]
    cache_headers(response, answers)
    return {name: response.headers[name] for name in ("X-Cache", "X-Cache-Detail", "Cache-Control")}


def test_fresh_answers_may_be_kept_and_served_stale_by_caches() -> None:
    assert headers_for(Status.HIT, Status.HIT, Status.NEGATIVE) == {
        "X-Cache": "NEGATIVE",
        "X-Cache-Detail": "HIT=2, NEGATIVE=1",
        "Cache-Control": "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400",
    }


def test_stale_and_fallback_answers_are_kept_briefly() -> None:
    assert headers_for(Status.HIT, Status.STALE)["Cache-Control"] == "public, max-age=60"
    fallback = headers_for(Status.STALE, Status.FALLBACK, Status.MISS)
    assert fallback == {
        "X-Cache": "FALLBACK",
        "X-Cache-Detail": "MISS=1, STALE=1, FALLBACK=1",
        "Cache-Control": "public, max-age=30",
    }


def fetched(at: float) -> ProductAnswer:
    return ProductAnswer(id=str(int(at)), status=Status.HIT, fetched_at=at)


def answer(app: Flask, headers: dict[str, str] | None = None, **kwargs: object) -> Response:
    """``public_answer`` for a CORS- and CSP-carrying 200 with BODY, in a request with
    ``headers``."""
    answers = kwargs.pop("answers", (fetched(1_700_000_000.0), fetched(1_700_000_500.0)))
    with app.test_request_context("/x", headers=headers or {}):
        response = Response(BODY, mimetype="text/html")
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return public_answer(response, answers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app()


def test_validators_come_from_the_bytes_and_the_newest_fetch(app: Flask) -> None:
    response = answer(app)
    assert response.status_code == 200
    assert response.headers["ETag"] == TAG  # strong: the same bytes, the same tag
    assert response.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:21:40 GMT"
    assert response.headers["Cache-Control"].startswith("public, max-age=300")
    assert response.get_data() == BODY


@pytest.mark.parametrize("sent", [TAG, f"W/{TAG}", f'"other", {TAG}', "*"])
def test_a_matching_if_none_match_is_a_304_with_the_same_caching_headers(
    app: Flask, sent: str
) -> None:
    full = answer(app)
    response = answer(app, {"If-None-Match": sent})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers and "Content-Length" not in response.headers
    for name in (
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "X-Cache",
        "Access-Control-Allow-Origin",
        "Content-Security-Policy",
    ):
        assert response.headers[name] == full.headers[name], name


def test_another_tag_or_a_date_alone_gets_the_whole_answer(app: Flask) -> None:
    # If-Modified-Since alone never makes a 304: a saved setting (the disclosure, the
    # language) changes the bytes without changing any fetch time.
    assert answer(app, {"If-None-Match": '"0123"'}).status_code == 200
    later = "Wed, 01 Jan 2031 00:00:00 GMT"
    assert answer(app, {"If-Modified-Since": later}).status_code == 200


def test_an_answer_without_fetch_times_keeps_when_its_bytes_were_first_sent(
    app: Flask, clock: FakeClock
) -> None:
    first = answer(app, answers=()).headers["Last-Modified"]
    assert parsedate_to_datetime(first).timestamp() == int(clock())
    clock.advance(3600)
    assert answer(app, answers=()).headers["Last-Modified"] == first
    given = answer(app, answers=(), last_modified=1_600_000_000.0)
    assert given.headers["Last-Modified"] == "Sun, 13 Sep 2020 12:26:40 GMT"


def test_a_script_answer_names_its_own_cache_control(app: Flask) -> None:
    response = answer(app, answers=(), cache_control="public, max-age=86400")
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "X-Cache" not in response.headers


def test_public_answers_never_carry_a_cookie(app: Flask) -> None:
    with app.test_request_context("/x"):
        response = Response(BODY)
        response.set_cookie("session", "abc")
        response.set_cookie("other", "def")
        response.vary.add("Cookie")
        response.vary.add("Accept-Encoding")
        public_answer(response, ())
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


def test_errors_are_not_made_conditional(app: Flask) -> None:
    with app.test_request_context("/x", headers={"If-None-Match": "*"}):
        response = public_answer(Response(BODY, 404), (), cache_control="public, max-age=300")
    assert response.status_code == 404
    assert "ETag" not in response.headers and response.get_data() == BODY


def test_a_file_answer_gets_validators_too(app: Flask, tmp_path: Path) -> None:
    script = tmp_path / "embed.js"
    script.write_bytes(b"console.log(1);")
    tag = f'"{etag_of(b"console.log(1);")}"'
    with app.test_request_context("/embed.js", headers={"If-None-Match": tag}):
        response = public_answer(send_file(script), (), cache_control="public, max-age=3600")
    response.close()  # as the server does: closes the file
    assert response.status_code == 304
    assert response.headers["ETag"] == tag


def test_the_host_is_varied_on_only_when_it_comes_from_the_request(make_app: MakeApp) -> None:
    for config, expected in (({}, "Host"), ({"PUBLIC_URL": "https://shop.example"}, None)):
        app = make_app(**config)
        with app.test_request_context("/x"):
            response = Response(BODY)
            vary_on_host(response)
        assert response.headers.get("Vary") == expected
