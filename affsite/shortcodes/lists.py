"""The list attributes of ``[aliexpress search=…]`` and ``[aliexpress hot=…]``, checked.

A list is one page of a product search: ``search`` (``product.query``) or ``hot``
(``hotproduct.query``, products with a higher commission) with keywords, ``category`` (ids,
comma-separated), ``sort`` (a :class:`~affsite.aliexpress.queries.ProductSort`; the
``DISCOUNT_*`` orders only for ``hot``), ``limit`` (1 to 50, default 10) and ``min_price`` /
``max_price`` written as decimals (``12.50``), sent in cents.

>>> query = list_query({"search": "usb c cable", "limit": "4", "min_price": "5",
...                     "max_price": "20.5", "sort": "last_volume_desc"}, hot=False)
>>> query.keywords, query.page_size, query.min_price, query.max_price, query.sort.value
('usb c cable', 4, 500, 2050, 'LAST_VOLUME_DESC')

The same rules read the list options of the snippet API and the embeds (``affsite.web``), and
:func:`list_attributes` writes a query back as the attributes that read as it again:

>>> list_attributes(query)
{'search': 'usb c cable', 'sort': 'LAST_VOLUME_DESC', 'limit': '4', 'min_price': '5.00', \
'max_price': '20.50'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from affsite.aliexpress.protocol import MAX_PAGE_SIZE
from affsite.aliexpress.queries import HotProductQuery, ProductQuery, ProductSort
from affsite.render.choices import clean_text
from affsite.shortcodes.refusal import Refusal, choice

__all__ = ["DEFAULT_LIMIT", "LIST_ATTRIBUTES", "LIST_OPTIONS", "list_attributes", "list_query"]

DEFAULT_LIMIT = 10
MAX_CATEGORIES = 10
MAX_KEYWORDS = 200

LIST_OPTIONS = frozenset({"limit", "sort", "min_price", "max_price", "category"})
LIST_ATTRIBUTES = LIST_OPTIONS | {"search", "hot"}

_PRICE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
_CATEGORY = re.compile(r"[0-9]{1,12}")
_LIMIT = re.compile(r"[0-9]{1,3}")
_HOT_ONLY = frozenset({ProductSort.DISCOUNT_ASC, ProductSort.DISCOUNT_DESC})


def list_query(attrs: Mapping[str, str], *, hot: bool) -> ProductQuery:
    """The query a list shortcode's attributes describe (a ``HotProductQuery`` when ``hot``).

    :raise Refusal: an attribute is not what a list takes.
    """
    source = "hot" if hot else "search"
    keywords = clean_text(attrs.get(source, ""), MAX_KEYWORDS)
    categories = _categories(attrs.get("category", ""))
    if not keywords and not categories:
        raise Refusal(f'{source} is empty: give it keywords, or add category="…"')
    sort = None
    if "sort" in attrs:
        sort = choice("sort", attrs["sort"], ProductSort)
        if sort in _HOT_ONLY and not hot:
            raise Refusal(f"sort {sort.value} is only for hot lists")
    kind = HotProductQuery if hot else ProductQuery
    try:
        return kind(
            keywords=keywords or None,
            category_ids=categories,
            sort=sort,
            min_price=_cents("min_price", attrs.get("min_price")),
            max_price=_cents("max_price", attrs.get("max_price")),
            page_size=_limit(attrs.get("limit")),
        )
    except ValueError as error:  # the query's own checks, e.g. min_price above max_price
        raise Refusal(str(error)) from error


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    text = value.strip()
    if not _LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise Refusal(f"limit is a number from 1 to {MAX_PAGE_SIZE}")
    return int(text)


def _cents(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not _PRICE.fullmatch(text):
        raise Refusal(f"{name} is a price written like 12.50")
    return int(Decimal(text) * 100)


def _categories(value: str) -> tuple[str, ...]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if len(parts) > MAX_CATEGORIES:
        raise Refusal(f"category names at most {MAX_CATEGORIES} categories")
    for part in parts:
        if not _CATEGORY.fullmatch(part):
            raise Refusal("category takes category ids: digits, separated by commas")
    return tuple(parts)


def list_attributes(query: ProductQuery) -> dict[str, str]:
    """The attributes :func:`list_query` reads as ``query`` again (a canonical form: every
    value digits, an enum name, or the cleaned keywords), in a fixed order.

    >>> list_attributes(HotProductQuery(keywords="mug", category_ids=("44", "7"), page_size=2))
    {'hot': 'mug', 'category': '44,7', 'limit': '2'}
    """
    source = "hot" if isinstance(query, HotProductQuery) else "search"
    attrs = {source: query.keywords or ""}
    if query.category_ids:
        attrs["category"] = ",".join(str(category) for category in query.category_ids)
    if query.sort is not None:
        attrs["sort"] = query.sort.value
    attrs["limit"] = str(query.page_size)
    for name, cents in (("min_price", query.min_price), ("max_price", query.max_price)):
        if cents is not None:
            attrs[name] = f"{cents // 100}.{cents % 100:02d}"
    return attrs
