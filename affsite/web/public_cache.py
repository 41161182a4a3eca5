"""HTTP caching for public answers (the JSON API, the snippet, embed pages, scripts).

Public answers are the same for every visitor, so a proxy or CDN in front may keep them:

* ``X-Cache`` tells how the answer was made: for several products the *worst* status among
  them (HIT < NEGATIVE < MISS < STALE < FALLBACK); ``X-Cache-Detail`` counts each.
* ``Cache-Control``: fresh answers may be kept 5 minutes and then served stale while
  revalidating or on error (RFC 5861), so most traffic never reaches Python; stale and
  fallback answers are kept only briefly so they are replaced soon.
* ``ETag`` (strong, from the bytes sent) and ``Last-Modified`` (the newest time a product in
  the answer was fetched; for answers without one, when this worker first drew these bytes),
  and a ``304 Not Modified`` without a body when the request's ``If-None-Match`` names the
  current tag, carrying the same caching headers so a cache can renew what it keeps (all
  but ``Last-Modified``, which Werkzeug leaves out of a 304 as RFC 9110 15.4.5 allows).
  ``If-Modified-Since`` alone is never answered with 304: a saved setting (the disclosure, the
  language) changes the bytes without changing any fetch time.
* Never a cookie, never ``Vary: Cookie``: one cookie-laden answer would make caches keep a
  copy per visitor, or hand one visitor's cookie to the next.
* An answer that names this site's own address takes it from ``PUBLIC_URL`` (or
  ``SERVER_NAME``); when neither is set it comes from the request's ``Host``, and the answer
  says ``Vary: Host`` (``vary_on_host``) so a shared cache keeps one copy per host and a
  forged ``Host`` only ever reaches the one who sent it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

from flask import current_app, request
from werkzeug.datastructures import ETags
from werkzeug.http import http_date, parse_etags
from werkzeug.wrappers import Response

from affsite.catalog import STATUS_SEVERITY, ProductAnswer, Status, aggregate_status
from affsite.clock import system_clock
from affsite.lru import LRU
from affsite.web.proxies import host_is_configured

FRESH_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400"
_SHORT_CACHE_CONTROL = {
    Status.STALE: "public, max-age=60",
    Status.FALLBACK: "public, max-age=30",
}

# Headers a 304 must not carry (it has no body); everything else it keeps, as RFC 9110
# 15.4.5 asks: the caching headers, CORS, CSP, Vary.
_BODY_HEADERS = ("Content-Type", "Content-Length", "Content-Encoding", "Content-Range")

# When this worker first sent each body that had no fetch time (by tag), per app: its
# Last-Modified stays put while the bytes do.
_FIRST_SEEN_KEY = "affsite.public_cache.first_seen"
_MAX_FIRST_SEEN = 4096


def cache_headers(response: Response, answers: Sequence[ProductAnswer]) -> None:
    """X-Cache, X-Cache-Detail and Cache-Control for ``answers`` (see the module doc)."""
    worst = aggregate_status(answers)
    counts = Counter(answer.status for answer in answers)
    response.headers["X-Cache"] = str(worst)
    response.headers["X-Cache-Detail"] = ", ".join(
        f"{status}={counts[status]}" for status in STATUS_SEVERITY if counts[status]
    )
    response.headers["Cache-Control"] = _SHORT_CACHE_CONTROL.get(worst, FRESH_CACHE_CONTROL)


def public_answer(
    response: Response,
    answers: Sequence[ProductAnswer],
    *,
    cache_control: str | None = None,
    last_modified: float | None = None,
) -> Response:
    """``response`` made ready for shared caches (see the module doc); call it last.

    ``answers``: the products the answer shows (may be empty), for ``X-Cache`` and
    ``Cache-Control`` and the ``Last-Modified`` time. ``cache_control`` replaces the
    ``Cache-Control`` the answers would give (for answers about no product, e.g. a script).
    ``last_modified``: the time to send when no answer has a fetch time.

    Returns ``response``, turned into a 304 when the request's ``If-None-Match`` matches.
    """
    if answers:
        cache_headers(response, answers)
    if cache_control is not None:
        response.headers["Cache-Control"] = cache_control
    _no_cookies(response)
    if response.status_code != 200:
        return response
    if not response.is_sequence:  # a file response: its (small) bytes, read once
        response.direct_passthrough = False
        response.make_sequence()
    tag = etag_of(response.get_data())
    response.headers["ETag"] = f'"{tag}"'
    response.headers["Last-Modified"] = http_date(_last_modified(tag, answers, last_modified))
    if _matches(parse_etags(request.headers.get("If-None-Match")), tag):
        return not_modified(response)
    return response


def etag_of(body: bytes) -> str:
    """The entity tag of ``body``: 32 hex digits of its BLAKE2b digest (a few microseconds for
    a page of boxes, so it is worked out from the bytes every time instead of being kept).

    >>> etag_of(b"<p>box</p>") == etag_of(b"<p>box</p>") != etag_of(b"<p>box!</p>")
    True
    """
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def not_modified(response: Response) -> Response:
    """``response`` as a 304: no body, its other headers kept."""
    response.status_code = 304
    response.set_data(b"")
    for name in _BODY_HEADERS:
        response.headers.pop(name, None)
    return response


def vary_on_host(response: Response) -> None:
    """Say ``Vary: Host`` when the answer names this site's address taken from the request's
    ``Host`` (no ``PUBLIC_URL`` or ``SERVER_NAME`` configured); see the module doc."""
    if not host_is_configured():
        response.vary.add("Host")


def _matches(tags: ETags, tag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    return tags.star_tag or tags.contains_weak(tag)


def _last_modified(tag: str, answers: Sequence[ProductAnswer], given: float | None) -> float:
    fetched = [answer.fetched_at for answer in answers if answer.fetched_at]
    if fetched:
        return max(fetched)
    if given is not None:
        return given
    first_seen: LRU[str, float] | None = current_app.extensions.get(_FIRST_SEEN_KEY)
    if first_seen is None:
        first_seen = current_app.extensions.setdefault(_FIRST_SEEN_KEY, LRU(_MAX_FIRST_SEEN))
    return first_seen.get_or_make(tag, current_app.config.get("CLOCK") or system_clock)


def _no_cookies(response: Response) -> None:
    # The sessions of public paths are read-only null sessions (affsite.web.security), so
    # nothing sets a cookie today; this keeps it so whatever changes elsewhere.
    response.headers.pop("Set-Cookie", None)
    if "cookie" in response.vary:
        response.vary.remove("cookie")
