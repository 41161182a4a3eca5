"""Where a click on a box leads (``/go/<id>``): the product's affiliate link, else the plain
product page on AliExpress. Nowhere else, whatever the request or the gateway says.

* Known products only. A product is known when the cache holds a servable entry for it (fresh
  or within its stale limit, negative entries included) under the settings in force. A box
  this site drew always has one: drawing it needed the entry, and entries are kept for
  ``cache_ttl + stale_ttl`` past their last fetch and renewed while viewed. Any other id is
  unknown (``target`` answers None, the view a 404) and costs no gateway call, so nobody can
  spend the quota by clicking made-up ids.
* The affiliate link is the cached product's ``promotion_link``. A product without one gets a
  link made by ``link.generate``, kept in the data store like products (``cache_ttl``; a URL
  AliExpress did not convert ``negative_ttl``; a failed call one minute). The call passes the
  shared limits (quota, speed limiter, ban, breaker) under the ``PUBLIC`` purpose (a visitor
  waits: a short deadline, no admin reserve); one worker at a time makes it for a product, the
  others send their visitors to the product page meanwhile instead of waiting. Calls are thus
  bounded by the products the site caches, at most one per product per cache lifetime.
* Not promotable (a negative entry), no link to be made, AliExpress down, the quota spent: the
  plain product page ``https://www.aliexpress.com/item/<id>.html``.

Every URL handed out passed ``affsite.aliexpress.links.link_url`` here (``https`` on
AliExpress's hosts); the view checks again before redirecting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from affsite.aliexpress import AliExpressClient, LinkRequest, global_id
from affsite.aliexpress.links import link_url
from affsite.cache import Store
from affsite.catalog.entries import Entries, namespace
from affsite.catalog.fetching import new_owner
from affsite.clock import Clock
from affsite.errors import AffsiteError
from affsite.limits import CallRefused, FetchLocks
from affsite.settings import Settings

log = logging.getLogger(__name__)

FAILED_CALL_MEMO = 60.0  # seconds a failed link.generate call is not repeated for a product
STORE_GRACE = 3600.0

ClientMaker = Callable[[], AliExpressClient]
"""Builds an API client behind the shared limits for a visitor's click (close it after)."""


class Destination(StrEnum):
    AFFILIATE = "affiliate"  # the product's affiliate link
    PRODUCT_PAGE = "product_page"  # the plain product page (no commission)


@dataclass(frozen=True, kw_only=True)
class ClickTarget:
    product_id: str
    url: str
    destination: Destination

    @classmethod
    def product_page(cls, product_id: str) -> ClickTarget:
        return cls(
            product_id=product_id,
            url=product_page(product_id),
            destination=Destination.PRODUCT_PAGE,
        )


def product_page(product_id: str) -> str:
    """
    >>> product_page("1005004757833857")
    'https://www.aliexpress.com/item/1005004757833857.html'
    """
    return f"https://www.aliexpress.com/item/{product_id}.html"


def generated_key(ns: str, product_id: str) -> str:
    return f"golink:{ns}:{product_id}"


def lock_key(ns: str, product_id: str) -> str:
    return f"golock:{ns}:{product_id}"


class ClickTargets:
    """Finds where a click goes (see the module doc)."""

    def __init__(
        self,
        *,
        entries: Entries,
        data: Store,
        locks: FetchLocks,
        client: ClientMaker,
        clock: Clock,
    ) -> None:
        self._entries = entries
        self._data = data
        self._locks = locks
        self._client = client
        self._clock = clock

    def target(self, settings: Settings, raw_id: str) -> ClickTarget | None:
        """Where a click on ``raw_id`` goes; None for an id that is not a known product."""
        product_id = global_id(raw_id)
        if product_id is None or product_id != raw_id:
            return None
        ns = namespace(settings)
        now = self._clock()
        entry = self._entries.read(ns, product_id)
        if entry is None or not entry.servable(now):
            return None
        if entry.data is None:  # known, not promotable: AliExpress would not pay for it
            return ClickTarget.product_page(product_id)
        link = link_url(entry.data.get("promotion_link")) or self._generated(
            settings, ns, product_id, now
        )
        if link is not None:
            return ClickTarget(product_id=product_id, url=link, destination=Destination.AFFILIATE)
        return ClickTarget.product_page(product_id)

    def _generated(self, settings: Settings, ns: str, product_id: str, now: float) -> str | None:
        """An affiliate link made for a promotable product whose data has none."""
        kept = self._data.get(generated_key(ns, product_id))
        if isinstance(kept, dict) and _number(kept.get("until")) > now:
            return link_url(kept.get("link"))
        owner = new_owner()
        key = lock_key(ns, product_id)
        if not self._locks.acquire([key], owner):
            return None  # another worker is asking; this visitor goes to the product page
        try:
            return self._generate(settings, ns, product_id)
        finally:
            self._locks.release([key], owner)

    def _generate(self, settings: Settings, ns: str, product_id: str) -> str | None:
        page = product_page(product_id)
        try:
            with self._client() as client:
                links = client.generate_links(LinkRequest(urls=[page]))
        except CallRefused as error:  # a shared limit said no before any call: nothing to spare
            log.info("no affiliate link for %s now: %s", product_id, error)
            return None
        except AffsiteError as error:  # the call failed (ApiError) or cannot be made (settings)
            log.info("no affiliate link for %s now: %s", product_id, error)
            self._keep(ns, product_id, None, FAILED_CALL_MEMO)
            return None
        except Exception:
            log.exception("link.generate failed unexpectedly")
            self._keep(ns, product_id, None, FAILED_CALL_MEMO)
            return None
        link = link_url(links.get(page))
        lifetime = settings.cache_ttl if link is not None else settings.negative_ttl
        self._keep(ns, product_id, link, float(lifetime))
        return link

    def _keep(self, ns: str, product_id: str, link: str | None, seconds: float) -> None:
        until = self._clock() + seconds
        value = {"link": link, "until": until}
        self._data.set(generated_key(ns, product_id), value, expire=seconds + STORE_GRACE)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)
