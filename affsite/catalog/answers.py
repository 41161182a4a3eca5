"""What the catalog answers for one product id, and how several answers sum up.

Statuses (what ``X-Cache`` shows), best first:

* ``HIT``: fresh from the cache;
* ``NEGATIVE``: the gateway does not return this product (not promotable, unknown);
* ``MISS``: fetched from the gateway for this request (or by another worker meanwhile);
* ``STALE``: expired but within the stale limit, served at once while a refresh runs;
* ``FALLBACK``: no product to show; ``reason`` says why in one word (``Reason``).

A fetch that produced no entry is a ``Failure``: the reason, and what to tell the site owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from affsite.aliexpress import Product
from affsite.catalog.public_json import Reason, available_json, unavailable_json


class Status(StrEnum):
    """How an answer was made, in order of severity (the order ``X-Cache`` ranks them).

    >>> [str(status) for status in Status]
    ['HIT', 'NEGATIVE', 'MISS', 'STALE', 'FALLBACK']
    """

    HIT = "HIT"
    NEGATIVE = "NEGATIVE"
    MISS = "MISS"
    STALE = "STALE"
    FALLBACK = "FALLBACK"


# For an X-Cache header over several answers: the worst one present.
STATUS_SEVERITY: Mapping[Status, int] = MappingProxyType(
    {status: rank for rank, status in enumerate(Status)}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProductAnswer:
    """What the catalog knows about one id. ``product`` is None unless the status is HIT,
    MISS or STALE; ``reason`` says why when there is no product.
    """

    id: str
    status: Status
    product: Product | None = None
    reason: Reason | None = None
    fetched_at: float | None = None
    problem: str | None = None  # FALLBACK: what went wrong, in plain words
    fix: str | None = None  # FALLBACK: what the site owner can do about it

    @property
    def available(self) -> bool:
        return self.product is not None

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape (``affsite.catalog.public_json``)."""
        if self.product is not None:
            return available_json(self.product, self.fetched_at or 0.0)
        return unavailable_json(self.id, self.reason or Reason.UNAVAILABLE)


def fallback(raw_id: object, reason: Reason) -> ProductAnswer:
    """The answer for input that could not be looked up at all (its id cut to 64 characters).

    >>> fallback("not-an-id", Reason.INVALID_ID).to_json()
    {'id': 'not-an-id', 'available': False, 'reason': 'invalid_id'}
    """
    return ProductAnswer(id=str(raw_id)[:64], status=Status.FALLBACK, reason=reason)


def aggregate_status(answers: Sequence[ProductAnswer]) -> Status:
    """The worst status among ``answers``; HIT for none. This is what ``X-Cache`` shows for a
    response about several products.

    >>> aggregate_status([fallback("x", Reason.INVALID_ID)])
    <Status.FALLBACK: 'FALLBACK'>
    """
    statuses = (answer.status for answer in answers)
    return max(statuses, key=STATUS_SEVERITY.__getitem__, default=Status.HIT)


@dataclass(frozen=True, kw_only=True, slots=True)
class Failure:
    """A fetch of one id that produced no entry: the reason, and what to tell the owner."""

    reason: Reason
    problem: str | None = None
    fix: str | None = None
    until: float | None = None  # when the cause ends, if known (quota reset, end of a ban)

    def answer(self, pid: str) -> ProductAnswer:
        return ProductAnswer(
            id=pid,
            status=Status.FALLBACK,
            reason=self.reason,
            problem=self.problem,
            fix=self.fix,
        )
