"""What a search or a link request asks for, as value objects checked when they are built.

``ProductQuery`` (``product.query``) and ``HotProductQuery`` (``hotproduct.query``, the same
filters restricted to hot products) describe one page of a search; ``LinkRequest`` the URLs
``link.generate`` should turn into affiliate links. All are frozen and built with keywords::

    client.search(ProductQuery(keywords="mug", sort=ProductSort.SALE_PRICE_ASC, page_size=10))

Locale fields left as None take the client's defaults. ``params`` gives the wire parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from affsite.aliexpress.parsing import global_id
from affsite.aliexpress.protocol import (
    DELIVERY_DAYS,
    HOT_PRODUCT_QUERY,
    MAX_PAGE_SIZE,
    PRODUCT_QUERY,
)
from affsite.aliexpress.signing import ParamValue


class ProductSort(StrEnum):
    """Sort orders of ``product.query`` (the DISCOUNT ones: ``hotproduct.query``)."""

    SALE_PRICE_ASC = "SALE_PRICE_ASC"
    SALE_PRICE_DESC = "SALE_PRICE_DESC"
    LAST_VOLUME_ASC = "LAST_VOLUME_ASC"
    LAST_VOLUME_DESC = "LAST_VOLUME_DESC"
    DISCOUNT_ASC = "DISCOUNT_ASC"
    DISCOUNT_DESC = "DISCOUNT_DESC"


class PlatformProductType(StrEnum):
    ALL = "ALL"
    PLAZA = "PLAZA"
    TMALL = "TMALL"


@dataclass(frozen=True, kw_only=True)
class Defaults:
    """What the client sends when a query leaves a field open (None: send nothing)."""

    country: str | None = None
    currency: str | None = None
    language: str | None = None
    tracking_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProductQuery:
    """One page of a keyword/category search. Prices are in the currency's smallest unit
    (cents): ``min_price=3141`` is 31.41. ``ship_to_country`` defaults to the client's country.

    >>> ProductQuery(keywords=" mug ", sort="SALE_PRICE_ASC").params()["sort"]
    'SALE_PRICE_ASC'
    >>> ProductQuery(page_size=51)
    Traceback (most recent call last):
    ...
    ValueError: page_size must be between 1 and 50

    :raise ValueError: a parameter outside what the API accepts (when built).
    """

    method: ClassVar[str] = PRODUCT_QUERY

    keywords: str | None = None
    category_ids: Sequence[str | int] = ()
    sort: ProductSort | None = None
    min_price: int | None = None
    max_price: int | None = None
    page_no: int = 1
    page_size: int = 20
    ship_to_country: str | None = None
    delivery_days: int | None = None
    platform_product_type: PlatformProductType | None = None
    currency: str | None = None
    language: str | None = None
    tracking_id: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if self.page_no < 1:
            raise ValueError("page_no starts at 1")
        for name, price in (("min_price", self.min_price), ("max_price", self.max_price)):
            if price is not None and (isinstance(price, bool) or not isinstance(price, int)):
                raise ValueError(f"{name} is an int in the smallest currency unit")
            if price is not None and price < 0:
                raise ValueError(f"{name} must not be negative")
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price is above max_price")
        if self.delivery_days is not None and self.delivery_days not in DELIVERY_DAYS:
            raise ValueError(f"delivery_days must be one of {DELIVERY_DAYS}")
        categories = tuple(global_id(value) for value in self.category_ids)
        if any(category is None for category in categories):
            raise ValueError("category ids are strings of digits")
        # Normalised once here, so the object says exactly what will be sent.
        object.__setattr__(self, "category_ids", categories)
        if self.sort:
            object.__setattr__(self, "sort", ProductSort(self.sort))
        if self.platform_product_type:
            object.__setattr__(
                self, "platform_product_type", PlatformProductType(self.platform_product_type)
            )

    def params(self, defaults: Defaults | None = None) -> dict[str, ParamValue]:
        """The wire parameters; ``defaults`` fill what the query leaves open."""
        defaults = defaults or Defaults()
        return {
            "keywords": (self.keywords or "").strip() or None,
            "category_ids": ",".join(str(c) for c in self.category_ids) or None,
            "sort": self.sort.value if self.sort else None,
            "min_sale_price": self.min_price,
            "max_sale_price": self.max_price,
            "page_no": self.page_no,
            "page_size": self.page_size,
            "ship_to_country": self.ship_to_country or defaults.country,
            "delivery_days": self.delivery_days,
            "platform_product_type": (
                self.platform_product_type.value if self.platform_product_type else None
            ),
            "target_currency": self.currency or defaults.currency,
            "target_language": self.language or defaults.language,
            "tracking_id": self.tracking_id or defaults.tracking_id,
        }


@dataclass(frozen=True, kw_only=True)
class HotProductQuery(ProductQuery):
    """Like ``ProductQuery``, restricted to hot (high-commission) products."""

    method: ClassVar[str] = HOT_PRODUCT_QUERY


@dataclass(frozen=True, kw_only=True)
class LinkRequest:
    """Product URLs to turn into affiliate links: normal (``promotion_link_type`` 0) or hot
    (2). Duplicates are asked once; ``tracking_id`` None means the client's.

    >>> LinkRequest(urls=[" https://www.aliexpress.com/item/1.html ", "x", "x"]).urls
    ('https://www.aliexpress.com/item/1.html', 'x')
    >>> LinkRequest(urls=["https://x.test/a,b"])
    Traceback (most recent call last):
    ...
    ValueError: cannot send this URL to link.generate: 'https://x.test/a,b'

    :raise ValueError: a URL is empty or contains a comma (the list separator).
    """

    urls: Sequence[str]
    hot: bool = False
    tracking_id: str | None = None

    def __post_init__(self) -> None:
        wanted = tuple(dict.fromkeys(url.strip() for url in self.urls))
        for url in wanted:
            if not url or "," in url:
                shown = url if len(url) <= 80 else url[:79] + "…"
                raise ValueError(f"cannot send this URL to link.generate: {shown!r}")
        object.__setattr__(self, "urls", wanted)

    @property
    def link_type(self) -> int:
        return 2 if self.hot else 0
