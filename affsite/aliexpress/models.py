"""Typed results of the Affiliate API, built by tolerant parsers.

The gateway's JSON drifts: ids come as numbers or strings, lists as ``{"product": [...]}``,
bare lists or a single object, any field may be missing or ``""``, rates carry a ``%``. The
``from_api`` parsers absorb all of that once, here, so nothing above this module sees the
wire format. Everything upstream is untrusted: URLs are kept only when they are http(s),
protocol-relative (made https) or site-relative paths.

``Product.to_dict``/``from_dict`` give a JSON-safe round trip (Decimals as strings) for
caches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

_ID_MAX_DIGITS = 20


# ---------------------------------------------------------------------------------------------
# Field parsers: each takes the raw JSON value and returns a clean value or None.


def unwrap_list(value: Any, key: str) -> list[Any]:
    """The items of a TOP-style list: ``{key: [...]}``, ``{key: item}``, a bare list or one item.

    >>> unwrap_list({"product": [{"a": 1}]}, "product")
    [{'a': 1}]
    >>> unwrap_list({"a": 1}, "product")
    [{'a': 1}]
    >>> unwrap_list(None, "product"), unwrap_list("", "product")
    ([], [])
    """
    if value is None or value == "":
        return []
    if isinstance(value, Mapping) and key in value:
        value = value[key]
        if value is None or value == "":
            return []
    if isinstance(value, list):
        return list(value)
    return [value]


def text(value: Any) -> str | None:
    """A non-empty, stripped string, or None (numbers become their decimal text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def global_id(value: Any) -> str | None:
    """A product/category/shop id as a string of digits, whether sent as number or string.

    >>> global_id(1005004757833857), global_id(" 33006951782 "), global_id("12a"), global_id(1.5)
    ('1005004757833857', '33006951782', None, None)
    """
    candidate = text(value)
    if candidate is None or len(candidate) > _ID_MAX_DIGITS:
        return None
    return candidate if candidate.isascii() and candidate.isdigit() else None


def decimal(value: Any) -> Decimal | None:
    """A finite, non-negative Decimal from ``"12.34"``, ``12.34``, ``"7.0%"``; else None.

    >>> decimal("7.0%"), decimal("12.30"), decimal(3), decimal(""), decimal("NaN"), decimal("-1")
    (Decimal('7.0'), Decimal('12.30'), Decimal('3'), None, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    raw = text(value)
    if raw is None:
        return None
    raw = raw.removesuffix("%").strip().replace(",", "")
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0:
        return None
    return number


def count(value: Any) -> int | None:
    """A non-negative integer from a number or a digit string ("1289", 1289, "1289.0")."""
    number = decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def safe_url(value: Any) -> str | None:
    """Keep http(s) and site-relative URLs; protocol-relative ``//host/x`` becomes https.

    >>> safe_url("//ae01.alicdn.com/kf/a.jpg"), safe_url("javascript:alert(1)")
    ('https://ae01.alicdn.com/kf/a.jpg', None)
    >>> safe_url("/sandbox-media/p1.svg"), safe_url("HTTPS://x.com/a")
    ('/sandbox-media/p1.svg', 'HTTPS://x.com/a')
    """
    url = text(value)
    if url is None or any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in url):
        return None
    if url.startswith("//"):
        url = "https:" + url
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")) and len(url) > len("https://"):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return url
    return None


def _first_money(raw: Mapping[str, Any], *names: str) -> tuple[Money | None, str | None]:
    """The first ``<name>`` + ``<name>_currency`` pair that is complete, and which name it was."""
    for name in names:
        amount = decimal(raw.get(name))
        currency = text(raw.get(f"{name}_currency"))
        if amount is not None and currency and currency.isascii() and currency.isalpha():
            return Money(amount, currency.upper()), name
    return None, None


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in a currency. Amounts are Decimal, never float."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def to_dict(self) -> dict[str, str]:
        return {"amount": f"{self.amount:f}", "currency": self.currency}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Money | None:
        if not data:
            return None
        amount = decimal(data.get("amount"))
        currency = text(data.get("currency"))
        if amount is None or currency is None:
            return None
        return cls(amount, currency)


# Price pairs in order of preference: the converted price is what a visitor pays in the
# configured currency; the plain pair (usually USD) is the fallback when no target is sent.
_PRICE_SOURCES = {"target_sale_price": "target_original_price", "sale_price": "original_price"}


@dataclass(frozen=True)
class Product:
    """One AliExpress product as the Affiliate API describes it (any field but ``id`` may be
    None). ``id`` is the global product id as a string of digits."""

    id: str
    title: str | None = None
    detail_url: str | None = None
    image: str | None = None
    images: tuple[str, ...] = ()
    video_url: str | None = None
    price: Money | None = None
    original_price: Money | None = None
    discount_percent: Decimal | None = None
    rating_percent: Decimal | None = None
    orders: int | None = None
    commission_rate: Decimal | None = None
    hot_commission_rate: Decimal | None = None
    category: str | None = None
    category_id: str | None = None
    first_level_category: str | None = None
    shop_id: str | None = None
    shop_name: str | None = None
    shop_url: str | None = None
    promotion_link: str | None = None
    ship_to_days: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Product:
        """Build from one product object of any product-returning method.

        :raise ValueError: ``raw`` is not an object or has no usable ``product_id``.
        """
        if not isinstance(raw, Mapping):
            raise ValueError("product entry is not an object")
        product_id = global_id(raw.get("product_id"))
        if product_id is None:
            raise ValueError("product entry has no usable product_id")

        price, source = _first_money(raw, *_PRICE_SOURCES)
        original = None
        if price is not None and source is not None:
            original, _ = _first_money(raw, _PRICE_SOURCES[source])
            if original is not None and (
                original.currency != price.currency or original.amount <= price.amount
            ):
                original = None  # a struck-through price must be higher, in the same currency

        discount = decimal(raw.get("discount"))
        if discount is None and price is not None and original is not None:
            discount = ((1 - price.amount / original.amount) * 100).quantize(Decimal("1"))

        image = safe_url(raw.get("product_main_image_url"))
        images: list[str] = [image] if image else []
        for item in unwrap_list(raw.get("product_small_image_urls"), "string"):
            url = safe_url(item)
            if url and url not in images:
                images.append(url)

        second_name = text(raw.get("second_level_category_name"))
        first_name = text(raw.get("first_level_category_name"))
        volume = raw.get("lastest_volume", raw.get("latest_volume"))
        return cls(
            id=product_id,
            title=text(raw.get("product_title")),
            detail_url=safe_url(raw.get("product_detail_url")),
            image=image or (images[0] if images else None),
            images=tuple(images),
            video_url=safe_url(raw.get("product_video_url")),
            price=price,
            original_price=original,
            discount_percent=discount,
            rating_percent=decimal(raw.get("evaluate_rate")),
            orders=count(volume),
            commission_rate=decimal(raw.get("commission_rate", raw.get("commision_rate"))),
            hot_commission_rate=decimal(raw.get("hot_product_commission_rate")),
            category=second_name or first_name,
            category_id=global_id(raw.get("second_level_category_id"))
            or global_id(raw.get("first_level_category_id")),
            first_level_category=first_name,
            shop_id=global_id(raw.get("shop_id")),
            shop_name=text(raw.get("shop_name")),
            shop_url=safe_url(raw.get("shop_url")),
            promotion_link=safe_url(raw.get("promotion_link")),
            ship_to_days=text(raw.get("ship_to_days")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: Decimals as strings, Money as ``{"amount", "currency"}``."""
        data: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, Money):
                value = value.to_dict()
            elif isinstance(value, Decimal):
                value = f"{value:f}"
            elif isinstance(value, tuple):
                value = list(value)
            data[spec.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Product:
        """Inverse of ``to_dict``; unknown keys are ignored so older cache entries still load.

        :raise ValueError: no usable ``id``.
        """
        product_id = global_id(data.get("id"))
        if product_id is None:
            raise ValueError("cached product has no usable id")
        orders = data.get("orders")
        return cls(
            id=product_id,
            title=text(data.get("title")),
            detail_url=safe_url(data.get("detail_url")),
            image=safe_url(data.get("image")),
            images=tuple(u for u in (safe_url(i) for i in data.get("images") or ()) if u),
            video_url=safe_url(data.get("video_url")),
            price=Money.from_dict(data.get("price")),
            original_price=Money.from_dict(data.get("original_price")),
            discount_percent=decimal(data.get("discount_percent")),
            rating_percent=decimal(data.get("rating_percent")),
            orders=orders if isinstance(orders, int) and not isinstance(orders, bool) else None,
            commission_rate=decimal(data.get("commission_rate")),
            hot_commission_rate=decimal(data.get("hot_commission_rate")),
            category=text(data.get("category")),
            category_id=global_id(data.get("category_id")),
            first_level_category=text(data.get("first_level_category")),
            shop_id=global_id(data.get("shop_id")),
            shop_name=text(data.get("shop_name")),
            shop_url=safe_url(data.get("shop_url")),
            promotion_link=safe_url(data.get("promotion_link")),
            ship_to_days=text(data.get("ship_to_days")),
        )


def parse_products(container: Any) -> list[Product]:
    """Products from a result's ``products`` value; entries without a usable id are skipped."""
    products: list[Product] = []
    for item in unwrap_list(container, "product"):
        try:
            products.append(Product.from_api(item))
        except ValueError:
            continue
    return products


@dataclass(frozen=True)
class Category:
    """An affiliate category; top-level categories have no ``parent_id``."""

    id: str
    name: str
    parent_id: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Category:
        """:raise ValueError: not an object, or no usable id or name."""
        if not isinstance(raw, Mapping):
            raise ValueError("category entry is not an object")
        category_id = global_id(raw.get("category_id"))
        name = text(raw.get("category_name"))
        if category_id is None or name is None:
            raise ValueError("category entry has no usable id or name")
        parent = global_id(raw.get("parent_category_id"))
        return cls(id=category_id, name=name, parent_id=parent if parent != "0" else None)


def parse_categories(result: Mapping[str, Any]) -> list[Category]:
    categories: list[Category] = []
    for item in unwrap_list(result.get("categories"), "category"):
        try:
            categories.append(Category.from_api(item))
        except ValueError:
            continue
    return categories


@dataclass(frozen=True)
class ProductPage:
    """One page of a product search. ``total_records``/``total_pages`` are None when the
    gateway does not say."""

    products: tuple[Product, ...] = ()
    page_no: int = 1
    page_size: int = 0
    total_records: int | None = None
    total_pages: int | None = None

    def __iter__(self) -> Iterator[Product]:
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)

    @classmethod
    def from_api(cls, result: Mapping[str, Any], *, page_no: int, page_size: int) -> ProductPage:
        products = parse_products(result.get("products"))
        return cls(
            products=tuple(products),
            page_no=count(result.get("current_page_no")) or page_no,
            page_size=page_size,
            total_records=count(result.get("total_record_count")),
            total_pages=count(result.get("total_page_no")),
        )
