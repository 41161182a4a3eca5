"""Products and answers for the render tests (real models, built by keyword)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from affsite.aliexpress import Money, Product
from affsite.catalog import ProductAnswer, Reason, Status

EARBUDS = "1005004757833857"
MUG = "33006951782"
FETCHED_AT = 1_700_000_000.0


def product(pid: str = EARBUDS, **fields: Any) -> Product:
    values: dict[str, Any] = {
        "id": pid,
        "title": "Wireless Earbuds",
        "detail_url": f"https://www.aliexpress.com/item/{pid}.html",
        "image": f"https://ae01.alicdn.com/kf/{pid}.jpg",
        "price": Money(Decimal("12.34"), "USD"),
        "original_price": Money(Decimal("24.68"), "USD"),
        "promotion_link": "https://s.click.aliexpress.com/e/_DDVNpw0U",
    }
    values.update(fields)
    return Product(**values)


def answer(pid: str = EARBUDS, status: Status = Status.HIT, **fields: Any) -> ProductAnswer:
    return ProductAnswer(
        id=pid, product=product(pid, **fields), status=status, fetched_at=FETCHED_AT
    )


def unavailable(pid: str = MUG, reason: Reason = Reason.GATEWAY_DOWN) -> ProductAnswer:
    return ProductAnswer(id=pid, status=Status.FALLBACK, reason=reason)
