"""Resolve one input to a global product id: classify it, and follow a short link when allowed.

>>> resolve("https://www.aliexpress.com/item/1005001513148147.html?spm=a2g0o").id
'1005001513148147'
>>> resolve("https://s.click.aliexpress.com/e/_DdGYnJf", offline=True).error
'needs the network to follow the short link; run without --offline'
"""

from __future__ import annotations

from dataclasses import replace

from affsite.product_ids.classify import classify
from affsite.product_ids.shortlinks import default_follower
from affsite.product_ids.verdicts import Follower, Form, Kind, Resolution, Verdict

__all__ = ["NEEDS_NETWORK", "finish", "resolve"]

NEEDS_NETWORK = "needs the network to follow the short link; run without --offline"


def resolve(text: str, *, offline: bool = False, follower: Follower | None = None) -> Resolution:
    """Resolve one input (a product id or an address) to a global product id or a reason.

    Short links need the network: with ``offline=True`` they fail with :data:`NEEDS_NETWORK`;
    otherwise ``follower`` (default: :func:`~affsite.product_ids.shortlinks.default_follower`,
    which keeps no cache) follows them. Never raises for a ``str`` input.
    """
    return finish(text, classify(text), offline=offline, follower=follower)


def finish(text: str, verdict: Verdict, *, offline: bool, follower: Follower | None) -> Resolution:
    """The resolution of ``text`` given its verdict: a short link is followed unless offline."""
    if verdict.kind is not Kind.SHORT_LINK or verdict.target is None:
        return verdict.to_resolution(text)
    if offline:
        return Resolution(input=text, form=Form.SHORT_LINK, error=NEEDS_NETWORK)
    if follower is None:
        follower = default_follower()
    return replace(follower.follow(verdict.target), input=text)
