"""Cache headers for public answers: the worst status decides how long caches may keep it."""

from __future__ import annotations

from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Reason, Status
from affsite.web.public_cache import cache_headers


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
