"""The public JSON shape of a product, shared by ``affsite products --json`` and the HTTP API.

Amounts and percentages are decimal strings, never floats (JSON numbers lose precision in
many readers); times are ISO 8601 in UTC. An id with no product to show is
``{"id", "available": false, "reason"}`` where reason is one ``Reason`` word such as
``not_promotable``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from affsite.aliexpress import Money, Product


class Reason(StrEnum):
    """Why an id has no product to show: the one word of the JSON ``reason`` field, of
    fallback boxes and of ``affsite products``.

    >>> Reason.NOT_PROMOTABLE == "not_promotable"
    True
    """

    NOT_PROMOTABLE = "not_promotable"  # the gateway does not return it (also unknown ids)
    INVALID_ID = "invalid_id"  # not a product id at all
    QUOTA_EXHAUSTED = "quota_exhausted"
    BANNED = "banned"  # AliExpress asked for a pause
    GATEWAY_DOWN = "gateway_down"
    RATE_LIMITED = "rate_limited"
    CREDENTIALS_REJECTED = "credentials_rejected"
    NOT_CONFIGURED = "not_configured"
    NEW_PRODUCT_LIMIT = "new_product_limit"  # the public share of the quota is spent today
    LIMITS_UNAVAILABLE = "limits_unavailable"  # the shared limits cannot be kept: no calls
    UNAVAILABLE = "unavailable"  # anything else


def iso_utc(epoch_seconds: float) -> str:
    """``1700000000`` -> ``'2023-11-14T22:13:20Z'`` (whole seconds, UTC).

    >>> iso_utc(1700000000.9)
    '2023-11-14T22:13:20Z'
    """
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: Money | None) -> dict[str, str] | None:
    return value.to_dict() if value is not None else None


def _number(value: Decimal | None) -> str | None:
    return f"{value:f}" if value is not None else None


def available_json(product: Product, fetched_at: float) -> dict[str, Any]:
    """A product the gateway returned, as the public API shows it."""
    return {
        "id": product.id,
        "available": True,
        "title": product.title,
        "url": product.detail_url,
        "affiliate_url": product.promotion_link,
        "image": product.image,
        "images": list(product.images),
        "price": _money(product.price),
        "original_price": _money(product.original_price),
        "discount_percent": _number(product.discount_percent),
        "rating_percent": _number(product.rating_percent),
        "orders": product.orders,
        "commission_rate": _number(product.commission_rate),
        "category": product.category,
        "shop_url": product.shop_url,
        "fetched_at": iso_utc(fetched_at),
    }


def unavailable_json(product_id: str, reason: Reason = Reason.NOT_PROMOTABLE) -> dict[str, Any]:
    """An id with no product to show.

    >>> unavailable_json("33006951782", Reason.GATEWAY_DOWN)
    {'id': '33006951782', 'available': False, 'reason': 'gateway_down'}
    """
    return {"id": product_id, "available": False, "reason": str(reason)}
