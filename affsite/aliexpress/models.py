"""Typed results of the Affiliate API, built by tolerant parsers.

The ``from_api`` parsers absorb the gateway's drifting JSON once, here (field by field through
``affsite.aliexpress.parsing``), so nothing above this module sees the wire format. Everything
upstream is untrusted: numbers are kept only within the range their field can have, and URLs
only when ``affsite.aliexpress.links`` allows them (``https`` on AliExpress's own hosts; in
demo mode also images under the sandbox's ``media_base_url``, passed in by the caller).

``Product.to_dict``/``from_dict`` give a JSON-safe round trip (Decimals as strings) for
caches; ``from_dict`` checks every value again, so an entry written by an older version or
edited on disk cannot bring back what ``from_api`` refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from affsite.aliexpress.links import image_url, link_url
from affsite.aliexpress.parsing import (
    amount,
    count,
    currency_code,
    global_id,
    percent,
    text,
    unwrap_list,
)

__all__ = [
    "MAX_IMAGES",
    "Category",
    "Money",
    "Product",
    "ProductPage",
    "match_links",
    "parse_categories",
    "parse_products",
]

MAX_IMAGES: Final = 20
"""Images kept per product (the gateway sends about six)."""


def _first_money(raw: Mapping[str, Any], *names: str) -> tuple[Money | None, str | None]:
    """The first ``<name>`` + ``<name>_currency`` pair that is complete, and which name it was."""
    for name in names:
        value = amount(raw.get(name))
        currency = currency_code(raw.get(f"{name}_currency"))
        if value is not None and currency is not None:
            return Money(value, currency), name
    return None, None


def _images(main: Any, others: Any, media_base_url: str | None) -> tuple[str, ...]:
    """The main image first, then the others; allowed, unique, at most ``MAX_IMAGES``."""
    images: list[str] = []
    for item in [main, *unwrap_list(others, "string")]:
        url = image_url(item, media_base_url=media_base_url)
        if url and url not in images:
            images.append(url)
            if len(images) == MAX_IMAGES:
                break
    return tuple(images)


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
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
        """Inverse of ``to_dict``; None unless both parts are within bounds."""
        if not isinstance(data, Mapping):
            return None
        value = amount(data.get("amount"))
        currency = currency_code(data.get("currency"))
        if value is None or currency is None:
            return None
        return cls(value, currency)


# Price pairs in order of preference: the converted price is what a visitor pays in the
# configured currency; the plain pair (usually USD) is the fallback when no target is sent.
_PRICE_SOURCES = {"target_sale_price": "target_original_price", "sale_price": "original_price"}

# Fields read from one gateway value with one check: our name, the gateway's name, the check.
# A cache entry holds them under our name and is checked with the same check.
_READ_AS_IS: Final[tuple[tuple[str, str, Callable[[Any], Any]], ...]] = (
    ("title", "product_title", text),
    ("detail_url", "product_detail_url", link_url),
    ("video_url", "product_video_url", image_url),
    ("rating_percent", "evaluate_rate", percent),
    ("hot_commission_rate", "hot_product_commission_rate", percent),
    ("shop_id", "shop_id", global_id),
    ("shop_name", "shop_name", text),
    ("shop_url", "shop_url", link_url),
    ("promotion_link", "promotion_link", link_url),
    ("ship_to_days", "ship_to_days", text),
)
# How a cache entry's scalar fields are checked again: those above, and those ``from_api``
# works out from several gateway values (each checked as its result was).
_STORED_CHECKS: Final[Mapping[str, Callable[[Any], Any]]] = MappingProxyType(
    {
        **{name: check for name, _wire, check in _READ_AS_IS},
        "discount_percent": percent,
        "orders": count,
        "commission_rate": percent,
        "category": text,
        "category_id": global_id,
        "first_level_category": text,
    }
)


@dataclass(frozen=True, slots=True)
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
    def from_api(cls, raw: Mapping[str, Any], *, media_base_url: str | None = None) -> Product:
        """Build from one product object of any product-returning method.

        ``media_base_url``: the sandbox's media address, whose images are allowed too.

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

        discount = percent(raw.get("discount"))
        if discount is None and price is not None and original is not None:
            discount = ((1 - price.amount / original.amount) * 100).quantize(Decimal("1"))

        images = _images(
            raw.get("product_main_image_url"), raw.get("product_small_image_urls"), media_base_url
        )
        second_name = text(raw.get("second_level_category_name"))
        first_name = text(raw.get("first_level_category_name"))
        volume = raw.get("lastest_volume", raw.get("latest_volume"))
        return cls(
            id=product_id,
            image=images[0] if images else None,
            images=images,
            price=price,
            original_price=original,
            discount_percent=discount,
            orders=count(volume),
            commission_rate=percent(raw.get("commission_rate", raw.get("commision_rate"))),
            category=second_name or first_name,
            category_id=global_id(raw.get("second_level_category_id"))
            or global_id(raw.get("first_level_category_id")),
            first_level_category=first_name,
            **{name: check(raw.get(wire)) for name, wire, check in _READ_AS_IS},
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
    def from_dict(cls, data: Mapping[str, Any], *, media_base_url: str | None = None) -> Product:
        """Inverse of ``to_dict``, with every value checked as ``from_api`` checks it; unknown
        keys are ignored so older cache entries still load.

        :raise ValueError: no usable ``id``.
        """
        product_id = global_id(data.get("id"))
        if product_id is None:
            raise ValueError("cached product has no usable id")
        stored_images = data.get("images")
        return cls(
            id=product_id,
            image=image_url(data.get("image"), media_base_url=media_base_url),
            images=_images(
                None, stored_images if isinstance(stored_images, list) else None, media_base_url
            ),
            price=Money.from_dict(data.get("price")),
            original_price=Money.from_dict(data.get("original_price")),
            **{name: check(data.get(name)) for name, check in _STORED_CHECKS.items()},
        )


def parse_products(container: Any, *, media_base_url: str | None = None) -> list[Product]:
    """Products from a result's ``products`` value; entries without a usable id are skipped."""
    products: list[Product] = []
    for item in unwrap_list(container, "product"):
        try:
            products.append(Product.from_api(item, media_base_url=media_base_url))
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
    def from_api(
        cls,
        result: Mapping[str, Any],
        *,
        page_no: int,
        page_size: int,
        media_base_url: str | None = None,
    ) -> ProductPage:
        products = parse_products(result.get("products"), media_base_url=media_base_url)
        return cls(
            products=tuple(products),
            page_no=count(result.get("current_page_no")) or page_no,
            page_size=page_size,
            total_records=count(result.get("total_record_count")),
            total_pages=count(result.get("total_page_no")),
        )


def _link_key(url: str) -> str:
    """Loose identity of a URL, for matching a normalised ``source_value`` echo."""
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def match_links(asked: Sequence[str], result: Mapping[str, Any]) -> dict[str, str | None]:
    """The affiliate link ``link.generate`` made for each URL ``asked``, or None.

    Items are matched by ``source_value``, never by position (the gateway answers in its own
    order); an echo in a normalised form matches loosely, the first unmatched URL winning.
    Links that are not ``https`` on AliExpress's own hosts count as not converted.
    """
    links: dict[str, str | None] = dict.fromkeys(asked)
    by_key: dict[str, list[str]] = {}
    for url in asked:
        by_key.setdefault(_link_key(url), []).append(url)
    for item in unwrap_list(result.get("promotion_links"), "promotion_link"):
        if not isinstance(item, Mapping):
            continue
        source = text(item.get("source_value"))
        link = link_url(item.get("promotion_link"))
        if source is None or link is None:
            continue
        if source in links:
            links[source] = link
            continue
        for url in by_key.get(_link_key(source), []):
            if links[url] is None:
                links[url] = link
                break
    return links
