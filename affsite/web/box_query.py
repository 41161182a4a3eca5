"""What a public request asks to draw: product ids (or product URLs), a template, a theme.

Shared by the snippet API, the embed pages and the script embed, so that every way to embed
reads ``?ids=…&template=…&theme=…&field=…`` the same way and refuses the same things with
the same words. Instead of ids, a request may ask for a list: ``search=`` (or ``hot=``)
keywords with ``category``, ``sort``, ``limit``, ``min_price`` and ``max_price``, read by the
rules of the ``[aliexpress search=…]`` shortcode (``affsite.shortcodes.lists``).
Everything here arrives from anyone, so each value is an allow-list (``affsite.render``
enums) or a product id read offline (short links are never followed for a public request),
and a refusal says what to use without repeating what was sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from urllib.parse import quote

from flask import request
from werkzeug.datastructures import MultiDict

from affsite.aliexpress.queries import ProductQuery, ProductSort
from affsite.lru import LRU
from affsite.product_ids import resolve
from affsite.render import BoxTemplate
from affsite.render.choices import BoxField, Theme
from affsite.shortcodes.lists import LIST_ATTRIBUTES, LIST_OPTIONS, list_attributes, list_query
from affsite.shortcodes.refusal import Refusal

MAX_IDS = 50  # products per request: one page of boxes, two gateway calls at most
MAX_INPUT = 2048  # characters of one id or URL that are read

E = TypeVar("E", bound=StrEnum)


class BadBoxQuery(ValueError):
    """A request that cannot be drawn: ``error`` says what is wrong, ``fix`` what to send."""

    def __init__(self, error: str, fix: str) -> None:
        super().__init__(error)
        self.error = error
        self.fix = fix


@dataclass(frozen=True, kw_only=True, slots=True)
class BoxQuery:
    """A request to draw products, every part checked.

    ``template`` and ``theme`` are None when the request names none (the site's settings
    then decide); ``field`` is what the ``field`` template shows. ``list`` is the search a
    request asks for instead of ids (``ids`` then empty until the catalog answers it).
    """

    ids: tuple[str, ...]  # global product ids, in the order asked (repeats kept)
    template: BoxTemplate | None = None
    theme: Theme | None = None
    field: BoxField = BoxField.PRICE
    list: ProductQuery | None = None

    def query_string(self, *, template: bool = False) -> str:
        """The canonical query for this request (what an embed page's address carries).

        >>> BoxQuery(ids=("1005004757833857", "33006951782"), theme=Theme.DARK).query_string()
        'ids=1005004757833857,33006951782&theme=dark'
        """
        parts = [f"ids={','.join(self.ids)}"]
        if self.list is not None:  # its options, each value escaped (keywords are free text)
            attrs = list_attributes(self.list).items()
            parts = [f"{name}={quote(value, safe=',')}" for name, value in attrs]
        if template and self.template is not None:
            parts.append(f"template={self.template.value}")
        if self.theme is not None:
            parts.append(f"theme={self.theme.value}")
        if self.field is not BoxField.PRICE:
            parts.append(f"field={self.field.value}")
        return "&".join(parts)


def requested_ids(args: MultiDict[str, str]) -> list[str]:
    """The ``ids`` values as typed: comma-separated, repeatable, blanks dropped."""
    items: list[str] = []
    for value in args.getlist("ids"):
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def product_id_of(text: str) -> str | None:
    """The global product id an id or a product page URL names (read offline: regional ids
    normalised, too-short numbers refused); None when it names none.

    >>> product_id_of("https://www.aliexpress.com/item/1005004757833857.html?spm=x")
    '1005004757833857'
    >>> product_id_of("<script>") is None
    True
    """
    return resolve(text[:MAX_INPUT], offline=True).id


def read_ids(args: MultiDict[str, str]) -> tuple[str, ...]:
    """Every id asked for, as global ids; ``BadBoxQuery`` when none is given, too many are,
    or one of them names no product."""
    asked = check_count(requested_ids(args))
    ids = [product_id_of(text) for text in asked]
    for position, pid in enumerate(ids, start=1):
        if pid is None:
            raise BadBoxQuery(
                f"item {position} of ids is not an AliExpress product",
                "Give product ids (the number in the product's address, e.g. "
                "1005004757833857) or product page URLs, separated by commas.",
            )
    return tuple(pid for pid in ids if pid)


def check_count(asked: Sequence[str]) -> Sequence[str]:
    """``asked`` when it holds between 1 and ``MAX_IDS`` ids, else ``BadBoxQuery``."""
    if not asked:
        raise BadBoxQuery(
            "no product ids given",
            "Add ?ids= with one or more AliExpress product ids, separated by commas.",
        )
    if len(asked) > MAX_IDS:
        raise BadBoxQuery(
            f"too many product ids ({len(asked)})",
            f"Ask for at most {MAX_IDS} products per request.",
        )
    return asked


def read_choice(args: Mapping[str, str], name: str, kind: type[E]) -> E | None:
    """The value of ``name`` as a member of ``kind``; None when absent or blank;
    ``BadBoxQuery`` naming the allowed values otherwise."""
    text = args.get(name, "").strip()
    if not text:
        return None
    return choice(text, name, kind)


def choice(text: str, name: str, kind: type[E]) -> E:
    """``text`` as a member of ``kind``, or ``BadBoxQuery`` listing the members.

    >>> choice("grid", "template", BoxTemplate)
    <BoxTemplate.GRID: 'grid'>
    >>> try:
    ...     choice("../../etc/passwd", "template", BoxTemplate)
    ... except BadBoxQuery as bad:
    ...     print(bad.error, "|", bad.fix)
    unknown template | Use one of: box, grid, list, table, compact, button, link, field.
    """
    try:
        return kind(text.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise BadBoxQuery(f"unknown {name}", f"Use one of: {allowed}.") from None


_QUERIES: LRU[tuple[bytes, BoxTemplate | None], BoxQuery] = LRU(512)
_IDS: LRU[bytes, tuple[tuple[str, ...], tuple[str | None, ...]]] = LRU(512)


def request_ids() -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The ids of this request as typed, and the product id each names (None: none); each
    distinct query string read once per process. ``BadBoxQuery`` for none or too many."""
    key = request.query_string
    known = _IDS.get(key)
    if known is None:
        asked = tuple(check_count(requested_ids(request.args)))
        known = (asked, tuple(product_id_of(text) for text in asked))
        _IDS.put(key, known)
    return known


def request_query(template: BoxTemplate | None = None) -> BoxQuery:
    """``read_query`` of this request, each distinct query string read once per process."""
    key = (request.query_string, template)
    query = _QUERIES.get(key)
    if query is None:
        query = read_query(request.args, template=template)  # BadBoxQuery: not kept
        _QUERIES.put(key, query)
    return query


def read_query(args: MultiDict[str, str], *, template: BoxTemplate | None = None) -> BoxQuery:
    """The whole request: ids or a list, template (unless the route names it), theme, field."""
    listed = read_list(args)
    return BoxQuery(
        ids=() if listed is not None else read_ids(args),
        template=template or read_choice(args, "template", BoxTemplate),
        theme=read_choice(args, "theme", Theme),
        field=read_choice(args, "field", BoxField) or BoxField.PRICE,
        list=listed,
    )


LIST_FIX = (
    "Give search= (or hot= for hot products) with keywords; optional: category (category ids, "
    "comma-separated), sort (one of: " + ", ".join(sort.value for sort in ProductSort) + "; the "
    "DISCOUNT ones with hot= only), limit (1 to 50), min_price and max_price (like 12.50)."
)


def read_list(args: Mapping[str, str]) -> ProductQuery | None:
    """The list a request asks for (``search=`` or ``hot=`` and its options), None when it
    names none; ``BadBoxQuery`` for a list that breaks the shortcode's rules, list options
    without a list, or a list together with ids. Nothing sent is repeated in the refusal.

    >>> read_list(MultiDict({"hot": "mug", "limit": "3"}))
    HotProductQuery(keywords='mug', category_ids=(), sort=None, ..., page_size=3, ...)
    """
    sources = [name for name in ("search", "hot") if name in args]
    if not sources:
        options = [name for name in sorted(LIST_OPTIONS) if name in args]
        if options:
            raise BadBoxQuery(f"{options[0]} only goes with search or hot", LIST_FIX)
        return None
    if len(sources) > 1:
        raise BadBoxQuery("search and hot given together", "Give one of them, not both.")
    if "ids" in args:
        raise BadBoxQuery(
            "ids and a list given together",
            "Name products with ids=, or find them with search= or hot=, not both.",
        )
    attrs = {name: args.get(name, "")[:MAX_INPUT] for name in LIST_ATTRIBUTES if name in args}
    sort = attrs.get("sort", "").strip()
    if sort:  # checked here first: the shortcode's refusal would quote what was sent
        try:
            attrs["sort"] = ProductSort(sort.upper()).value
        except ValueError:
            allowed = ", ".join(member.value for member in ProductSort)
            raise BadBoxQuery("unknown sort", f"Use one of: {allowed}.") from None
    try:
        return list_query(attrs, hot=sources[0] == "hot")
    except Refusal as refusal:
        raise BadBoxQuery(str(refusal), LIST_FIX) from None
