"""Product references (ids, addresses, short links) of one document, each resolved once.

A document may name the same product many times and may hold short links, which cost a
network request each (or a read of the follower's 30-day memory). :class:`DocumentResolver`
resolves each distinct reference once per document and follows at most
``max_short_links`` short links, as :func:`~affsite.product_ids.extract_all` does for a text.
Without a follower nothing touches the network: short links are refused with a reason.
``short_links_asked`` counts the references that were short links (each time one is asked):
what such a reference resolves to depends on the network and on the document, while every
other reference always resolves alike.

>>> resolver = DocumentResolver()
>>> resolver("https://www.aliexpress.com/item/1005004757833857.html").id
'1005004757833857'
>>> resolver("https://s.click.aliexpress.com/e/_DdGYnJf").error
'needs the network to follow the short link; run without --offline'
"""

from __future__ import annotations

from collections.abc import Callable

from affsite.product_ids import MAX_SHORT_LINKS_PER_TEXT, Follower, Form, Kind, Resolution
from affsite.product_ids import classify as classify_reference
from affsite.product_ids.resolve import finish

__all__ = ["DocumentResolver", "Resolver"]

Resolver = Callable[[str], Resolution]
"""Turns one product reference into a :class:`~affsite.product_ids.Resolution`."""


class DocumentResolver:
    """Resolves the references of one document (see the module doc); make one per document."""

    def __init__(
        self, follower: Follower | None = None, *, max_short_links: int = MAX_SHORT_LINKS_PER_TEXT
    ) -> None:
        self._follower = follower
        self._short_links_left = max_short_links
        self._known: dict[str, tuple[Resolution, bool]] = {}
        self.short_links_asked = 0

    def __call__(self, reference: str) -> Resolution:
        known = self._known.get(reference)
        if known is None:
            known = self._known[reference] = self._resolve(reference)
        resolution, short_link = known
        self.short_links_asked += short_link
        return resolution

    def _resolve(self, reference: str) -> tuple[Resolution, bool]:
        verdict = classify_reference(reference)
        if verdict.kind is not Kind.SHORT_LINK:
            return verdict.to_resolution(reference), False
        if self._follower is not None:
            if self._short_links_left <= 0:
                error = "too many short links in one text; paste the product's address instead"
                return Resolution(input=reference, form=Form.SHORT_LINK, error=error), True
            self._short_links_left -= 1
        resolved = finish(
            reference, verdict, offline=self._follower is None, follower=self._follower
        )
        return resolved, True
