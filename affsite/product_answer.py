"""What the catalog answers for one product id, and how several answers sum up.

Statuses (what ``X-Cache`` shows):

* ``HIT``: fresh from the cache;
* ``MISS``: fetched from the gateway for this request (or by another worker meanwhile);
* ``STALE``: expired but within the stale limit, served at once while a refresh runs;
* ``NEGATIVE``: the gateway does not return this product (not promotable, unknown);
* ``FALLBACK``: no product to show; ``reason`` says why in one word.

Reason words: ``not_promotable``, ``invalid_id``, ``quota_exhausted``, ``banned``,
``gateway_down``, ``rate_limited``, ``credentials_rejected``, ``not_configured``,
``unavailable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from affsite.aliexpress.models import Product
from affsite.public_json import available_json, unavailable_json

HIT, MISS, STALE, NEGATIVE, FALLBACK = "HIT", "MISS", "STALE", "NEGATIVE", "FALLBACK"
# For an X-Cache header over several answers: the worst one present.
STATUS_SEVERITY = {HIT: 0, NEGATIVE: 1, MISS: 2, STALE: 3, FALLBACK: 4}

NOT_PROMOTABLE = "not_promotable"
INVALID_ID = "invalid_id"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
GATEWAY_DOWN = "gateway_down"
CREDENTIALS_REJECTED = "credentials_rejected"
BANNED = "banned"
RATE_LIMITED = "rate_limited"
NEW_PRODUCT_LIMIT = "new_product_limit"


@dataclass(frozen=True)
class ProductAnswer:
    """What the catalog knows about one id. ``product`` is None unless the status is HIT,
    MISS or STALE; ``reason`` is a word when there is no product.
    """

    id: str
    product: Product | None
    status: str
    reason: str | None = None
    fetched_at: float | None = None
    problem: str | None = None  # FALLBACK: what went wrong, in plain words
    fix: str | None = None  # FALLBACK: what the site owner can do about it

    @property
    def available(self) -> bool:
        return self.product is not None

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape (``affsite.public_json``)."""
        if self.product is not None:
            return available_json(self.product, self.fetched_at or 0.0)
        return unavailable_json(self.id, self.reason or UNAVAILABLE)


def aggregate_status(answers: Sequence[ProductAnswer]) -> str:
    """The worst status among ``answers`` (HIT < NEGATIVE < MISS < STALE < FALLBACK);
    HIT for none. This is what ``X-Cache`` shows for a response about several products.
    """
    worst = HIT
    for answer in answers:
        if STATUS_SEVERITY.get(answer.status, 4) > STATUS_SEVERITY[worst]:
            worst = answer.status
    return worst
