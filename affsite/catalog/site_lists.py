"""The site's own lists, kept with their queries so that ``affsite refresh`` can renew them.

A list is named by a token (``list_entries.list_token``): a digest of its query, which cannot
be turned back into the query. So when the site itself asks for a list (its pages, commands,
admin actions: ``policy``), the query is kept beside the token in the control store, one
document per cache namespace::

    {"v": 1, "lists": {"list-…": {"kind": "search" | "hot", "query": {…}, "at": t}, …}}

It is written at most once an hour per list and process (``lists.SITE_USE_STEP``) and holds
at most ``MAX_SITE_LISTS`` lists: those the site used least recently go first (they are
still renewed when a page shows them). A list the site has not asked for within the time
given (``policy.keep_window``) is forgotten. What is read back is checked again: a query that
no longer builds, or whose token is not the one it is kept under, is skipped.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from affsite.aliexpress import HotProductQuery, ProductQuery
from affsite.cache import Store, StoreError, Tx
from affsite.catalog.list_entries import list_token

__all__ = ["MAX_SITE_LISTS", "SiteList", "SiteLists", "describe_query", "rebuild_query"]

log = logging.getLogger(__name__)

SITE_LISTS_VERSION = 1
MAX_SITE_LISTS = 500  # a document of about 150 KB at most, read once per cron run
_KINDS: dict[str, type[ProductQuery]] = {"search": ProductQuery, "hot": HotProductQuery}


def site_lists_key(ns: str) -> str:
    return f"sitelists{SITE_LISTS_VERSION}:{ns}"


def describe_query(query: ProductQuery) -> dict[str, Any]:
    """``query`` as JSON-safe values (``rebuild_query`` reads them back).

    >>> describe_query(HotProductQuery(keywords="mug", page_size=4))["kind"]
    'hot'
    """
    values: dict[str, Any] = {}
    for field in fields(query):
        value = getattr(query, field.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        values[field.name] = value
    kind = "hot" if isinstance(query, HotProductQuery) else "search"
    return {"kind": kind, "query": values}


def rebuild_query(described: Any) -> ProductQuery | None:
    """The query ``described`` holds, or None when it does not build any more.

    >>> rebuild_query(describe_query(ProductQuery(keywords="mug"))) == ProductQuery(keywords="mug")
    True
    >>> rebuild_query({"kind": "search", "query": {"page_size": 500}}) is None
    True
    """
    if not isinstance(described, dict):
        return None
    kind, values = _KINDS.get(str(described.get("kind"))), described.get("query")
    if kind is None or not isinstance(values, dict):
        return None
    known = {field.name for field in fields(kind)}
    try:
        return kind(**{name: value for name, value in values.items() if name in known})
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, kw_only=True)
class SiteList:
    """One of the site's own lists: its token, its query and when the site last asked."""

    token: str
    query: ProductQuery
    used_at: float


class SiteLists:
    """The site's own lists of every namespace, in the control store (see the module doc)."""

    def __init__(self, ctl: Store, *, limit: int = MAX_SITE_LISTS) -> None:
        self._ctl = ctl
        self.limit = limit

    def note(self, ns: str, token: str, query: ProductQuery, now: float, *, keep: float) -> None:
        """Record that the site asked for ``query`` (named ``token``) at ``now``; kept
        ``keep`` seconds. Never raises: a list not noted is still renewed when viewed."""
        key = site_lists_key(ns)

        def write(tx: Tx) -> None:
            kept = _lists_in(tx.get(key))
            kept[token] = {**describe_query(query), "at": now}
            recent = {name: item for name, item in kept.items() if item["at"] >= now - keep}
            newest = sorted(recent.items(), key=lambda pair: pair[1]["at"], reverse=True)
            tx.set(key, {"v": SITE_LISTS_VERSION, "lists": dict(newest[: self.limit])}, keep)

        try:
            self._ctl.atomic(write)
        except StoreError as error:
            log.debug("the site's lists could not be written: %s", error)

    def recent(self, ns: str, *, since: float) -> list[SiteList]:
        """The site's lists it asked for at or after ``since``, most recently used first."""
        found: list[SiteList] = []
        for token, item in _lists_in(self._ctl.get(site_lists_key(ns))).items():
            query = rebuild_query(item)
            if query is None or list_token(query) != token or item["at"] < since:
                continue
            found.append(SiteList(token=token, query=query, used_at=item["at"]))
        return sorted(found, key=lambda site_list: site_list.used_at, reverse=True)


def _lists_in(document: Any) -> dict[str, dict[str, Any]]:
    """The well-formed items of a stored document (a damaged one holds none)."""
    if not isinstance(document, dict) or document.get("v") != SITE_LISTS_VERSION:
        return {}
    lists = document.get("lists")
    if not isinstance(lists, dict):
        return {}
    return {
        token: item
        for token, item in lists.items()
        if isinstance(token, str)
        and isinstance(item, dict)
        and isinstance(item.get("at"), int | float)
        and not isinstance(item.get("at"), bool)
        and math.isfinite(item["at"])
    }
