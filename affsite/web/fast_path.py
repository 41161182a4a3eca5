"""Warm public answers handed over before Flask dispatches the request.

A warm public answer (the JSON API, the snippet, an embed page, for products the catalog holds
fresh in memory) is the same bytes every time until a setting is saved or a product changes.
Flask's dispatch around it (request context, routing, request hooks, the response object and
its headers) then costs more than the answer itself. This layer sits between the proxy
handling (``affsite.web.proxies``, which has already set the URL root and believed or ignored
forwarded headers) and Flask, and keeps the whole answer each such request got from Flask, as
the server received it: status line, header list, body.

A later request gets the kept answer without reaching Flask when all of this holds:

* it is the same request: method (``GET`` or ``HEAD``), URL root, path and query string as
  sent, scheme and host. Nothing else in a request changes a public answer (cookies are never
  read there, ``Origin`` is answered with ``*``), except ``If-None-Match``: a request naming the
  kept answer's ``ETag`` gets the ``304`` Flask gave such a request, and falls through to Flask
  until one was given;
* the catalog would hand out the very same answers (``Catalog.replay``: the same settings
  object, so a save in any process is seen on the next request as before; no entry written
  since; every product still fresh, so an answer that ages goes through Flask, which serves it
  stale and renews it behind). ``replay`` counts the request as the catalog counts any: views
  per product (the index top-up, click-through), answer counters, the periodic flush.

Views opt in through ``affsite.web.answer_memory.remembered(..., ticket=...)``, which leaves the
catalog's ticket in the WSGI environment; only ``200`` and ``304`` answers with a ticket are
kept, and only for query strings naming nothing but ``PLAIN_QUERY`` (products by id: list
options such as a search have a freshness of their own that the ticket does not cover), so
anything else (a refusal, a fallback, a list, an admin page, any other method) always goes
through Flask. What is handed over is what Flask sent,
byte for byte and header for header; the server adds ``Date``, ``Server`` and ``Connection``
to both alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.http import parse_etags

from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog.warm import WarmTicket
from affsite.lru import LRU, pairs_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

__all__ = [
    "EXTENSION_KEY",
    "MAX_ANSWERS",
    "MAX_ANSWER_BYTES",
    "PLAIN_QUERY",
    "TICKET",
    "FastPath",
    "fast_path",
    "init_app",
]

log = logging.getLogger(__name__)

EXTENSION_KEY = "affsite.web.fast_path"
TICKET = "affsite.web.fast_path.ticket"  # WSGI environment: the ticket the answer stands on
MAX_ANSWERS = 512  # requests whose answers are kept per process
MAX_ANSWER_BYTES = 1 << 20  # and their bodies and headers, in bytes
_METHODS = frozenset({"GET", "HEAD"})
# The query parameters of answers that stand on products alone (``affsite.web.box_query``).
PLAIN_QUERY = frozenset({"ids", "template", "theme", "field"})
# What tells two requests apart for a public answer (see the module doc).
_REQUEST_PARTS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
)

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Answer:
    ticket: WarmTicket
    status: str  # "200 OK", as Flask gave it to the server
    headers: Headers
    body: bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class _Kept:
    etag: str | None  # the answer's entity tag, without quotes
    ok: _Answer | None  # the 200
    not_modified: _Answer | None  # the 304 for an If-None-Match naming ``etag``


def init_app(app: Flask) -> None:
    """Put the layer in front of Flask's own dispatch (before the proxy handling wraps it)."""
    layer = FastPath(app, app.wsgi_app)
    app.extensions[EXTENSION_KEY] = layer
    app.wsgi_app = layer  # type: ignore[method-assign]


def fast_path(app: Flask) -> FastPath:
    """The app's layer (to switch it off, or to see what it keeps)."""
    layer: FastPath = app.extensions[EXTENSION_KEY]
    return layer


class FastPath:
    """WSGI middleware (see the module doc). Thread-safe. ``enabled`` off: every request
    goes through Flask, and nothing is kept."""

    def __init__(self, app: Flask, full: WSGIApplication, max_answers: int = MAX_ANSWERS) -> None:
        self.app = app
        self.full = full
        self.enabled = True
        self._kept: LRU[tuple[Any, ...], _Kept] = LRU(
            max_answers, max_bytes=MAX_ANSWER_BYTES, weigh=_weigh
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self.enabled or environ.get("REQUEST_METHOD") not in _METHODS:
            return self.full(environ, start_response)
        key = tuple(map(environ.get, _REQUEST_PARTS))
        kept = self._kept.get(key)
        if kept is not None:
            answer = self._still_good(kept, environ.get("HTTP_IF_NONE_MATCH"))
            if answer is not None:
                start_response(answer.status, list(answer.headers))
                return [answer.body]
        return self._through_flask(key, environ, start_response)

    def __len__(self) -> int:
        return len(self._kept)

    def _still_good(self, kept: _Kept, if_none_match: str | None) -> _Answer | None:
        """The kept answer this request gets, counted as the catalog counts a request; None
        when Flask must answer it."""
        if if_none_match and kept.etag is not None and _matches(if_none_match, kept.etag):
            answer = kept.not_modified
        else:
            answer = kept.ok
        if answer is None:
            return None
        catalog = self.app.extensions.get(CATALOG_KEY)  # no app context out here
        try:
            if catalog is None or not catalog.replay(answer.ticket):
                return None
        except Exception:  # never worse than without this layer: Flask answers
            log.exception("a kept answer could not be replayed; answering through Flask")
            return None
        return answer

    def _through_flask(
        self, key: tuple[Any, ...], environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            started.append((status, headers))
            return start_response(status, headers, *exc_info)

        result = self.full(environ, capture)
        ticket = environ.get(TICKET)
        if not isinstance(ticket, WarmTicket) or len(started) != 1:
            return result
        status, headers = started[0]
        if not status.startswith(("200 ", "304 ")) or not _plain(environ.get("QUERY_STRING", "")):
            return result
        try:
            body = b"".join(result)
        finally:
            close: Callable[[], None] | None = getattr(result, "close", None)
            if close is not None:
                close()
        self._keep(key, _Answer(ticket=ticket, status=status, headers=tuple(headers), body=body))
        return [body]

    def _keep(self, key: tuple[Any, ...], answer: _Answer) -> None:
        etag = _strong_etag(answer.headers)
        if etag is None:
            return  # every public answer has one; without it no 304 could be told apart
        kept = self._kept.get(key)
        same = kept if kept is not None and kept.etag == etag else None
        if answer.status.startswith("200 "):
            other = same.not_modified if same is not None else None
            self._kept.put(key, _Kept(etag=etag, ok=answer, not_modified=other))
        else:
            other = same.ok if same is not None else None
            self._kept.put(key, _Kept(etag=etag, ok=other, not_modified=answer))


def _weigh(kept: _Kept) -> int:
    return sum(
        len(answer.body) + pairs_bytes(answer.headers)
        for answer in (kept.ok, kept.not_modified)
        if answer is not None
    )


def _plain(query: str) -> bool:
    """True when ``query`` names nothing but ``PLAIN_QUERY``.

    >>> _plain("ids=1,2&template=grid"), _plain("ids=1&search=phone"), _plain("")
    (True, False, True)
    """
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=64)
    except ValueError:  # more fields than any plain query has
        return False
    return all(name in PLAIN_QUERY for name, _ in pairs)


def _strong_etag(headers: Headers) -> str | None:
    for name, value in headers:
        if name.lower() == "etag":
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                return value[1:-1]
            return None
    return None


def _matches(if_none_match: str, tag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2), as affsite.web.public_cache does.
    tags = parse_etags(if_none_match)
    return tags.star_tag or tags.contains_weak(tag)
