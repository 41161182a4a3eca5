"""Complete public answers kept per process, so that a warm request costs little more than
handing over bytes already drawn.

A public answer (the JSON API, the snippet, an embed page) is made from three things: the
request's own parts (the route, its checked query, the site address the answer names), the
settings in force, and the catalog's answers for its products. The catalog hands out the very
same ``ProductAnswer`` objects while a product's entry is unchanged and fresh, and the settings
store the very same ``Settings`` until they change, so an answer drawn once can be handed over
again, byte for byte and header for header, as long as the view's key matches and the settings
and every product answer are the *same objects* as when it was drawn (compared by identity,
never by value: a refreshed product, a saved setting or a stale or fallback answer is a new
object, hence a new drawing).

Only complete ``200`` answers are kept. A request whose ``If-None-Match`` names the kept
answer's ``ETag`` gets the ``304`` that ``affsite.web.public_cache`` would give (same headers,
no body). Flask's request hooks run for every request that reaches this memory (the fast
path in front of Flask answers the warmest ones before that); nothing here looks at cookies.

Views use it as the last step, after the catalog call (which must run for every request: it
counts views and schedules refreshes)::

    answers, ticket = get_catalog().products_with_ticket(ids, purpose=..., settings=settings)
    return remembered(key, settings, answers, lambda: draw(answers), ticket=ticket)

The ``ticket`` (optional) says that every answer came from the catalog's memory; passing it
lets ``affsite.web.fast_path`` hand the whole answer over again before Flask, while the catalog
would give the very same answers. Pass it only when the answer depends on nothing but the
request's method, URL root, path, query string, scheme and host, the settings and the
catalog's answers.

``key`` must hold everything else the answer depends on (route, template, theme, the site
address when the answer names it, ``request.script_root``), ``draw`` builds the full answer
exactly as without this memory (``public_answer`` included).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from flask import current_app, request
from werkzeug.http import parse_etags
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer
from affsite.catalog.warm import WarmTicket
from affsite.lru import LRU, pairs_bytes
from affsite.settings import Settings
from affsite.web.fast_path import TICKET
from affsite.web.public_cache import not_modified

__all__ = ["MAX_ANSWERS", "MAX_ANSWER_BYTES", "AnswerMemory", "answer_memory", "remembered"]

MAX_ANSWERS = 512  # complete answers kept per process
MAX_ANSWER_BYTES = 512 << 10  # and their bodies and headers, in bytes
EXTENSION_KEY = "affsite.web.answer_memory"
# Set by the WSGI server or recomputed from the body: never part of what is kept.
_NOT_KEPT = frozenset({"content-length", "date", "server", "set-cookie"})


@dataclass(frozen=True, kw_only=True, slots=True)
class _Kept:
    settings: Settings
    answers: tuple[ProductAnswer, ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None  # without quotes


class AnswerMemory:
    """A bounded memory of complete ``200`` answers (see the module doc). Thread-safe."""

    def __init__(self, max_entries: int = MAX_ANSWERS) -> None:
        self._kept: LRU[Hashable, _Kept] = LRU(
            max_entries, max_bytes=MAX_ANSWER_BYTES, weigh=_weigh
        )

    def respond(
        self,
        key: Hashable,
        settings: Settings,
        answers: Sequence[ProductAnswer],
        draw: Callable[[], Response],
        if_none_match: str | None = None,
    ) -> Response:
        """The answer kept under ``key`` when it was drawn from these very ``settings`` and
        ``answers``; else ``draw()``, kept when it is a complete ``200``."""
        kept = self._kept.get(key)
        if kept is not None and _same(kept, settings, answers):
            response = Response(kept.body, 200, kept.headers)
            if kept.etag is not None and if_none_match and _matches(if_none_match, kept.etag):
                return not_modified(response)
            return response
        response = draw()
        if response.status_code == 200 and not response.direct_passthrough:
            self._keep(key, settings, answers, response)
        return response

    def _keep(
        self,
        key: Hashable,
        settings: Settings,
        answers: Sequence[ProductAnswer],
        response: Response,
    ) -> None:
        if not response.is_sequence:
            return  # a stream: drawn every time
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_KEPT
        )
        etag = response.headers.get("ETag")
        self._kept.put(
            key,
            _Kept(
                settings=settings,
                answers=tuple(answers),
                headers=headers,
                body=response.get_data(),
                etag=etag.strip('"') if etag and not etag.startswith("W/") else None,
            ),
        )

    def __len__(self) -> int:
        return len(self._kept)


def _weigh(kept: _Kept) -> int:
    return len(kept.body) + pairs_bytes(kept.headers) + 8 * len(kept.answers)


def _same(kept: _Kept, settings: Settings, answers: Sequence[ProductAnswer]) -> bool:
    if kept.settings is not settings or len(kept.answers) != len(answers):
        return False
    return all(a is b for a, b in zip(kept.answers, answers, strict=True))


def _matches(if_none_match: str, tag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2), as affsite.web.public_cache does.
    tags = parse_etags(if_none_match)
    return tags.star_tag or tags.contains_weak(tag)


def answer_memory() -> AnswerMemory:
    """The current app's memory of complete answers (inside an app or request context)."""
    memory: AnswerMemory | None = current_app.extensions.get(EXTENSION_KEY)
    if memory is None:
        memory = current_app.extensions.setdefault(EXTENSION_KEY, AnswerMemory())
    return memory


def remembered(
    key: Hashable,
    settings: Settings,
    answers: Sequence[ProductAnswer],
    draw: Callable[[], Response],
    *,
    ticket: WarmTicket | None = None,
) -> Response:
    """This request's answer: kept under ``key`` (see the module doc) or drawn now; with the
    catalog's ``ticket`` for these ``settings``, kept by the fast path too."""
    environ = request.environ
    response = answer_memory().respond(
        key, settings, answers, draw, environ.get("HTTP_IF_NONE_MATCH")
    )
    if ticket is not None and ticket.settings is settings:
        environ[TICKET] = ticket
    return response
