"""Cached list answers: which products a search or hot-product query found, and when.

A list answer is a JSON-safe dict in the data store, beside the product entries::

    {"v": 1, "ids": ["1005…", …], "fetched_at": t,
     "fresh_until": t + list_ttl, "stale_until": fresh_until + stale_ttl}

The ids are in the order the gateway ranked them; the products themselves are ordinary
product entries (``entries``), written by the same call. An empty list is an answer too (the
search found nothing) and is kept as long as any other.

A list is named by a token: a digest of the method and every parameter the query sends, so
``[aliexpress search="mug" limit="4"]`` and ``limit="5"`` are two lists, and a hot list is never
the plain search with the same words. Keys carry the cache namespace (``entries.namespace``):
country, currency, language and tracking id change the answer, so they change the key.

Beside each list the control store holds when the site itself last asked for it (``site:``),
which tells the site's own lists from those only public requests asked for (``policy``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from affsite.aliexpress import ProductQuery, global_id
from affsite.cache import Store
from affsite.settings import Settings

__all__ = [
    "LIST_VERSION",
    "ListEntries",
    "ListEntry",
    "list_key",
    "list_token",
    "site_use_key",
]

LIST_VERSION = 1
# Keep a list on disk this long beyond its stale limit (garbage collection only: the limit
# itself is enforced in code against the injected clock).
STORE_GRACE = 3600.0
MAX_LIST_IDS = 100  # more than any page the gateway returns; a damaged entry is cut to it


def list_token(query: ProductQuery) -> str:
    """The name of the list ``query`` asks for: the same for equal queries, different for
    any parameter that changes what the gateway answers.

    >>> from affsite.aliexpress import HotProductQuery
    >>> list_token(ProductQuery(keywords="mug")) == list_token(ProductQuery(keywords="mug"))
    True
    >>> list_token(ProductQuery(keywords="mug")) == list_token(HotProductQuery(keywords="mug"))
    False
    >>> list_token(ProductQuery(keywords="mug"))[:5]
    'list-'
    """
    material = json.dumps(
        [LIST_VERSION, query.method, query.params()], sort_keys=True, ensure_ascii=True
    )
    return "list-" + hashlib.sha256(material.encode("ascii")).hexdigest()[:24]


def list_key(ns: str, token: str) -> str:
    """
    >>> list_key("0123456789abcdef", "list-abc")
    'l1:0123456789abcdef:list-abc'
    """
    return f"l{LIST_VERSION}:{ns}:{token}"


def site_use_key(ns: str, token: str) -> str:
    return f"site:{ns}:{token}"


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class ListEntry:
    """One cached list answer: product ids in the gateway's order, and its lifetimes."""

    ids: tuple[str, ...]
    fetched_at: float
    fresh_until: float
    stale_until: float

    def fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def servable(self, now: float) -> bool:
        """Fresh, or expired but still within the stale limit."""
        return now < self.stale_until

    @classmethod
    def make(cls, ids: tuple[str, ...], *, now: float, settings: Settings) -> ListEntry:
        fresh_until = now + settings.list_ttl
        return cls(
            ids=ids,
            fetched_at=now,
            fresh_until=fresh_until,
            stale_until=fresh_until + settings.stale_ttl,
        )

    def store_expire(self, now: float) -> float:
        """Seconds the data store should keep this entry (garbage collection only)."""
        return max(60.0, self.stale_until - now) + STORE_GRACE

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": LIST_VERSION,
            "ids": list(self.ids),
            "fetched_at": self.fetched_at,
            "fresh_until": self.fresh_until,
            "stale_until": self.stale_until,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> ListEntry | None:
        """The entry ``raw`` describes, or None when it is not one (damaged, other version).

        >>> ListEntry.from_dict({"v": 1, "ids": ["1005004757833857", "x"], "fetched_at": 1,
        ...                      "fresh_until": 2, "stale_until": 3}).ids
        ('1005004757833857',)
        >>> ListEntry.from_dict({"v": 1, "ids": "1005004757833857"}) is None
        True
        """
        if not isinstance(raw, dict) or raw.get("v") != LIST_VERSION:
            return None
        ids = raw.get("ids")
        times = [_finite(raw.get(name)) for name in ("fetched_at", "fresh_until", "stale_until")]
        if not isinstance(ids, list) or None in times:
            return None
        # Ids are checked again: whatever is read back goes on to the catalog and to pages.
        checked = (global_id(value) for value in ids[:MAX_LIST_IDS])
        fetched_at, fresh_until, stale_until = (t for t in times if t is not None)
        return cls(
            ids=tuple(dict.fromkeys(pid for pid in checked if pid)),
            fetched_at=fetched_at,
            fresh_until=fresh_until,
            stale_until=stale_until,
        )


class ListEntries:
    """The list answers of every namespace (data store), and when the site last used each
    (control store)."""

    def __init__(self, data: Store, ctl: Store) -> None:
        self._data = data
        self._ctl = ctl

    def read(self, ns: str, token: str) -> ListEntry | None:
        return ListEntry.from_dict(self._data.get(list_key(ns, token)))

    def write(self, ns: str, token: str, entry: ListEntry, now: float) -> None:
        self._data.set(list_key(ns, token), entry.to_dict(), expire=entry.store_expire(now))

    def site_use(self, ns: str, token: str) -> float:
        """When the site's own pages, commands or admin actions last asked for the list
        (0 for never, or not within the time it is kept)."""
        return _finite(self._ctl.get(site_use_key(ns, token))) or 0.0

    def mark_site_use(self, ns: str, token: str, now: float, *, keep: float) -> None:
        """Record that the site asked for the list at ``now``, kept ``keep`` seconds."""
        self._ctl.set(site_use_key(ns, token), now, expire=keep)
