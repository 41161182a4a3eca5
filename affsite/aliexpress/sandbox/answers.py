"""What the sandbox gateway answers to each affiliate method, in the real wire shapes.

Handlers take the already-authenticated request parameters and return a ``Reply`` (the
``resp_result`` part of the envelope) or raise ``GatewayError`` (an ``error_response`` body).
Field names, JSON types and list wrappers follow the gateway's documented answers: ids and counts
are JSON numbers, prices decimal strings with a ``*_currency`` field, rates ``"7.0%"``, lists
wrapped as ``{"product": [...]}`` / ``{"string": [...]}``.

Choices where the real gateway's behaviour is not documented:
- A tracking id that is not registered (or none) yields products without ``promotion_link`` and
  ``link.generate`` items carrying only ``source_value``; it is not an error.
- ``min_sale_price``/``max_sale_price`` are hundredths of the target currency (also for
  currencies without minor units).
- ``productdetail.get`` accepts at most 50 ids; products come back in an order of the sandbox's
  own (never the order asked), like ``link.generate`` items.
- ``target_currency``/``target_language`` are case-insensitive; unknown values are
  ``InvalidParameter`` errors.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from affsite.aliexpress.sandbox.catalog import SandboxCatalog, SandboxProduct
from affsite.aliexpress.sandbox.money import convert, price_text
from affsite.aliexpress.sandbox.params import (
    Params,
    choice,
    comma_list,
    country_code,
    int_param,
    invalid_parameter,
    missing_parameter,
    optional,
    requested_fields,
    target_currency,
    target_language,
)

MAX_PRODUCT_IDS = 50
MAX_SOURCE_VALUES = 50
MAX_PAGE_SIZE = 50
SORTS = ("SALE_PRICE_ASC", "SALE_PRICE_DESC", "LAST_VOLUME_ASC", "LAST_VOLUME_DESC")
HOT_SORTS = (*SORTS, "DISCOUNT_ASC", "DISCOUNT_DESC")
PLATFORM_TYPES = ("ALL", "PLAZA", "TMALL")
DELIVERY_DAYS = ("3", "5", "7", "10")
LINK_TYPE_NORMAL = "0"
LINK_TYPE_HOT = "2"

# VAT the gateway reports per ship-to country (``tax_rate``); others answer "0".
_TAX_RATES = {
    "DE": "0.19", "FR": "0.2", "ES": "0.21", "IT": "0.22", "NL": "0.21", "GB": "0.2",
    "PL": "0.23", "SE": "0.25", "AU": "0.1", "NZ": "0.15", "NO": "0.25", "CH": "0.081",
}  # fmt: skip

_ALIEXPRESS_HOSTS = ("aliexpress.com", "aliexpress.ru", "aliexpress.us")
_ITEM_PATH = re.compile(r"^/(?:item|i)/(?:[^/]+/)?([0-9]{6,20})\.html$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Reply:
    """The ``resp_result`` of a business answer."""

    resp_code: int
    resp_msg: str
    result: dict[str, Any] | None = None


OK = "Call succeeds"
EMPTY = Reply(405, "The result is empty")
NOT_REGISTERED = Reply(401, "This publisher is not registered")


@dataclass(frozen=True)
class AnswerContext:
    catalog: SandboxCatalog
    media_base_url: str
    tracking_ids: frozenset[str]


Handler = Callable[[AnswerContext, Params], Reply]


# --- shared answer pieces ---------------------------------------------------------------------


def _base62(digest: bytes, length: int) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(chars)


def promotion_link(tracking_id: str, link_type: str, key: str) -> str:
    """A deterministic short affiliate link; different per tracking id, link type and target."""
    digest = hashlib.sha256(f"{tracking_id}|{link_type}|{key}".encode()).digest()
    prefix = "_o" if link_type == LINK_TYPE_HOT else "_D"
    return f"https://s.click.aliexpress.com/e/{prefix}{_base62(digest, 7)}"


def detail_url(product_id: int) -> str:
    return f"https://www.aliexpress.com/item/{product_id}.html"


def _percent(value: Decimal) -> str:
    return f"{price_text(value.quantize(_ONE_DECIMAL))}%"


def _sandbox_order(keys: Iterable[str]) -> list[str]:
    """The gateway's own order for answer items: stable, and never simply the order asked."""
    asked = list(keys)
    ordered = sorted(asked, key=lambda k: hashlib.sha256(k.encode()).hexdigest())
    if len(asked) > 1 and ordered == asked:
        ordered = ordered[1:] + ordered[:1]
    return ordered


@dataclass(frozen=True)
class _Locale:
    currency: str
    language: str
    country: str | None
    tracking_id: str | None  # None unless registered
    link_type: str
    fields: frozenset[str] | None


def _locale(ctx: AnswerContext, params: Params, country_param: str, link_type: str) -> _Locale:
    tracking = optional(params, "tracking_id")
    return _Locale(
        currency=target_currency(params),
        language=target_language(params),
        country=country_code(params, country_param),
        tracking_id=tracking if tracking in ctx.tracking_ids else None,
        link_type=link_type,
        fields=requested_fields(params),
    )


def product_json(ctx: AnswerContext, product: SandboxProduct, locale: _Locale) -> dict[str, Any]:
    """One product object exactly as the gateway writes it."""
    cur = locale.currency
    images = [ctx.media_base_url + name for name in product.image_names()]
    item: dict[str, Any] = {
        "product_id": product.id,
        "product_title": product.title_in(locale.language),
        "product_detail_url": detail_url(product.id),
        "product_main_image_url": images[0] if images else "",
        "product_small_image_urls": {"string": images},
        "product_video_url": "",
        "sale_price": price_text(product.price_usd),
        "sale_price_currency": "USD",
        "app_sale_price": price_text(product.app_price_usd),
        "app_sale_price_currency": "USD",
        "target_sale_price": price_text(convert(product.price_usd, cur)),
        "target_sale_price_currency": cur,
        "target_app_sale_price": price_text(convert(product.app_price_usd, cur)),
        "target_app_sale_price_currency": cur,
        "commission_rate": _percent(product.commission_rate),
        "relevant_market_commission_rate": _percent(product.commission_rate),
        "lastest_volume": product.volume,
        "first_level_category_id": product.category.id,
        "first_level_category_name": product.category.name,
        "second_level_category_id": product.subcategory.id,
        "second_level_category_name": product.subcategory.name,
        "shop_id": product.shop_id,
        "shop_url": f"https://www.aliexpress.com/store/{product.shop_id}",
        "shop_name": product.shop_name,
        "platform_product_type": product.platform,
        "sku_id": product.sku_id,
    }
    if product.original_usd is not None:
        item["original_price"] = price_text(product.original_usd)
        item["original_price_currency"] = "USD"
        item["target_original_price"] = price_text(convert(product.original_usd, cur))
        item["target_original_price_currency"] = cur
        item["discount"] = f"{product.discount_percent}%"
    if product.evaluate_rate is not None:
        item["evaluate_rate"] = _percent(product.evaluate_rate)
    if product.hot_commission_rate is not None:
        item["hot_product_commission_rate"] = _percent(product.hot_commission_rate)
    if locale.tracking_id is not None:
        item["promotion_link"] = promotion_link(
            locale.tracking_id, locale.link_type, str(product.id)
        )
    if locale.country is not None:
        item["tax_rate"] = _TAX_RATES.get(locale.country, "0")
        item["ship_to_days"] = f"ship to {locale.country} in {product.ship_days} days"
    for name in product.absent_fields:
        item.pop(name, None)
    for name in product.blank_fields:
        item[name] = ""
    if locale.fields is not None:
        item = {k: v for k, v in item.items() if k in locale.fields or k == "product_id"}
    return item


def _products_block(
    ctx: AnswerContext, products: Iterable[SandboxProduct], locale: _Locale
) -> dict[str, list[dict[str, Any]]]:
    return {"product": [product_json(ctx, p, locale) for p in products]}


# --- methods ----------------------------------------------------------------------------------


def product_detail(ctx: AnswerContext, params: Params) -> Reply:
    """``aliexpress.affiliate.productdetail.get``: promotable products among ``product_ids``."""
    asked = comma_list(params, "product_ids")
    if not asked:
        raise missing_parameter("product_ids")
    if len(asked) > MAX_PRODUCT_IDS:
        raise invalid_parameter("product_ids", f"at most {MAX_PRODUCT_IDS} ids per call")
    if not all(pid.isdigit() and len(pid) <= 20 for pid in asked):
        raise invalid_parameter("product_ids", "must be comma-separated numeric product ids")
    locale = _locale(ctx, params, "country", LINK_TYPE_NORMAL)
    found: dict[str, SandboxProduct] = {}
    for pid in asked:
        product = ctx.catalog.get(pid)
        if product is not None and product.promotable and product.ships_to(locale.country):
            found[product.global_id] = product
    if not found:
        return EMPTY
    ordered = [found[pid] for pid in _sandbox_order(found)]
    return Reply(
        200,
        OK,
        {"current_record_count": len(ordered), "products": _products_block(ctx, ordered, locale)},
    )


def _matches_keywords(product: SandboxProduct, words: Sequence[str]) -> bool:
    haystack = " ".join(
        (product.title, product.short_name, product.category.name, product.subcategory.name)
    ).casefold()
    return all(word in haystack for word in words)


_SORT_KEYS: dict[str, Callable[[SandboxProduct], Any]] = {
    "SALE_PRICE": lambda p: p.price_usd,
    "LAST_VOLUME": lambda p: p.volume,
    "DISCOUNT": lambda p: p.discount_percent or 0,
}


def _query(ctx: AnswerContext, params: Params, *, hot: bool) -> Reply:
    words = [w.casefold() for w in params.get("keywords", "").split()]
    category_ids = comma_list(params, "category_ids")
    if not all(c.isdigit() for c in category_ids):
        raise invalid_parameter("category_ids", "must be comma-separated numeric category ids")
    wanted_categories = {int(c) for c in category_ids}
    sort = choice(params, "sort", HOT_SORTS if hot else SORTS, None)
    page_no = int_param(params, "page_no", 1, 1, 10_000)
    page_size = int_param(params, "page_size", 50 if hot else 20, 1, MAX_PAGE_SIZE)
    min_cents = int_param(params, "min_sale_price", 0, 0, 10**12)
    max_cents = int_param(params, "max_sale_price", 10**12, 0, 10**12)
    platform = choice(params, "platform_product_type", PLATFORM_TYPES, "ALL")
    delivery = choice(params, "delivery_days", DELIVERY_DAYS, None)
    locale = _locale(ctx, params, "ship_to_country", LINK_TYPE_HOT if hot else LINK_TYPE_NORMAL)

    def wanted(p: SandboxProduct) -> bool:
        cents = convert(p.price_usd, locale.currency) * 100
        return (
            p.promotable
            and (p.hot or not hot)
            and p.ships_to(locale.country)
            and _matches_keywords(p, words)
            and (
                not wanted_categories or bool({p.category.id, p.subcategory.id} & wanted_categories)
            )
            and min_cents <= cents <= max_cents
            and (platform == "ALL" or p.platform == platform)
            and (delivery is None or p.ship_days <= int(delivery))
        )

    matches = [p for p in ctx.catalog.products if wanted(p)]
    if sort is not None:
        field_name, _, direction = sort.rpartition("_")
        matches.sort(key=_SORT_KEYS[field_name], reverse=direction == "DESC")
    page = matches[(page_no - 1) * page_size : page_no * page_size]
    if not page:
        return EMPTY
    return Reply(
        200,
        OK,
        {
            "current_page_no": page_no,
            "current_record_count": len(page),
            "total_page_no": math.ceil(len(matches) / page_size),
            "total_record_count": len(matches),
            "products": _products_block(ctx, page, locale),
        },
    )


def product_query(ctx: AnswerContext, params: Params) -> Reply:
    """``aliexpress.affiliate.product.query``: search promotable products."""
    return _query(ctx, params, hot=False)


def hot_product_query(ctx: AnswerContext, params: Params) -> Reply:
    """``aliexpress.affiliate.hotproduct.query``: search hot (high-commission) products."""
    return _query(ctx, params, hot=True)


def _aliexpress_key(value: str) -> str | None:
    """What a link for ``value`` is made from, or None when it is not an AliExpress URL."""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not any(
        host == h or host.endswith("." + h) for h in _ALIEXPRESS_HOSTS
    ):
        return None
    item = _ITEM_PATH.fullmatch(parts.path)
    return str(int(item.group(1))) if item else f"{host}{parts.path}"


def link_generate(ctx: AnswerContext, params: Params) -> Reply:
    """``aliexpress.affiliate.link.generate``: affiliate links for AliExpress URLs."""
    link_type = optional(params, "promotion_link_type")
    if link_type is None:
        raise missing_parameter("promotion_link_type")
    if link_type not in (LINK_TYPE_NORMAL, LINK_TYPE_HOT):
        raise invalid_parameter("promotion_link_type", "must be 0 (normal) or 2 (hot)")
    sources = list(dict.fromkeys(comma_list(params, "source_values")))
    if not sources:
        raise missing_parameter("source_values")
    if len(comma_list(params, "source_values")) > MAX_SOURCE_VALUES:
        raise invalid_parameter("source_values", f"at most {MAX_SOURCE_VALUES} values per call")
    tracking = optional(params, "tracking_id")
    if tracking is None:
        raise missing_parameter("tracking_id")
    registered = tracking in ctx.tracking_ids
    items: list[dict[str, str]] = []
    for source in _sandbox_order(sources):
        key = _aliexpress_key(source)
        item = {"source_value": source}
        if registered and key is not None:
            item["promotion_link"] = promotion_link(tracking, link_type, key)
        items.append(item)
    converted = sum(1 for item in items if "promotion_link" in item)
    return Reply(
        200,
        OK,
        {
            "total_result_count": converted,
            "tracking_id": tracking,
            "promotion_links": {"promotion_link": items},
        },
    )


def category_get(ctx: AnswerContext, params: Params) -> Reply:
    """``aliexpress.affiliate.category.get``: every category; top-level ones have no parent."""
    categories: list[dict[str, Any]] = []
    for category in ctx.catalog.categories:
        entry: dict[str, Any] = {"category_id": category.id, "category_name": category.name}
        if category.parent_id is not None:
            entry["parent_category_id"] = category.parent_id
        categories.append(entry)
    return Reply(
        200,
        OK,
        {"total_result_count": len(categories), "categories": {"category": categories}},
    )


HANDLERS: dict[str, Handler] = {
    "aliexpress.affiliate.productdetail.get": product_detail,
    "aliexpress.affiliate.product.query": product_query,
    "aliexpress.affiliate.hotproduct.query": hot_product_query,
    "aliexpress.affiliate.link.generate": link_generate,
    "aliexpress.affiliate.category.get": category_get,
}
