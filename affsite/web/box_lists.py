"""The products a public request's list found: ``?search=…`` or ``?hot=…`` answered by the
catalog, one list request per distinct list, as anyone's request (``Purpose.PUBLIC``).

A list anyone can ask for costs a gateway call per list expiration time; one the site never
showed itself is paid from the share of the quota kept for public requests, so strangers
cannot spend the quota the site's pages need (``affsite.catalog.lists``). Its products come
with the list, so drawing them costs nothing more.

An answer drawn from a list is cached like any other (``affsite.web.public_cache``), except
that a list that found nothing, or could not be looked up, or is served stale, is kept only
briefly (``list_headers``): a fresh list may show up soon.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.wrappers import Response

from affsite.aliexpress.queries import ProductQuery
from affsite.catalog import ListAnswer, Purpose, Status, get_catalog
from affsite.settings import Settings
from affsite.web.box_query import BoxQuery

__all__ = ["LIST_CACHE_CONTROL", "list_headers", "lists_found", "shown"]

# Kept by caches as briefly as a stale or failed product (``affsite.web.public_cache``).
LIST_CACHE_CONTROL = {
    Status.STALE: "public, max-age=60",
    Status.FALLBACK: "public, max-age=30",
}
EMPTY_CACHE_CONTROL = "public, max-age=30"


def lists_found(queries: Iterable[BoxQuery], settings: Settings) -> dict[ProductQuery, ListAnswer]:
    """The answer for every distinct list of ``queries``, from one catalog call (none when
    no query asks for a list)."""
    wanted = list(dict.fromkeys(query.list for query in queries if query.list is not None))
    if not wanted:
        return {}
    answers = get_catalog().list_answers(wanted, purpose=Purpose.PUBLIC, settings=settings)
    return {answer.query: answer for answer in answers}


def shown(query: BoxQuery, settings: Settings) -> tuple[list[str], ListAnswer | None]:
    """The ids ``query`` shows (its own, or what its list found) and its list's answer."""
    if query.list is None:
        return list(query.ids), None
    found = lists_found([query], settings)[query.list]
    return list(found.ids), found


def list_headers(response: Response, found: ListAnswer | None) -> Response:
    """``response`` with ``X-List-Cache`` (how the list was answered) and, for a list served
    stale, failed or empty, a short ``Cache-Control``; unchanged without a list."""
    if found is None or response.status_code not in (200, 304):
        return response
    response.headers["X-List-Cache"] = str(found.status)
    short = LIST_CACHE_CONTROL.get(found.status)
    if short is None and not found.ids:
        short = EMPTY_CACHE_CONTROL
    if short is not None:
        response.headers["Cache-Control"] = short
    return response
