"""What a public request asks to draw: product ids (or product URLs), a template, a theme.

Shared by the snippet API, the embed pages and the script embed, so that every way to embed
reads ``?ids=…&template=…&theme=…&field=…`` the same way and refuses the same things with
the same words. Everything here arrives from anyone, so each value is an allow-list
(``affsite.render`` enums) or a product id read offline (short links are never followed for
a public request), and a refusal says what to use without repeating what was sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from flask import request
from werkzeug.datastructures import MultiDict

from affsite.lru import LRU
from affsite.product_ids import resolve
from affsite.render import BoxTemplate
from affsite.render.choices import BoxField, Theme

MAX_IDS = 50  # products per request: one page of boxes, two gateway calls at most
MAX_INPUT = 2048  # characters of one id or URL that are read

E = TypeVar("E", bound=StrEnum)


class BadBoxQuery(ValueError):
    """A request that cannot be drawn: ``error`` says what is wrong, ``fix`` what to send."""

    def __init__(self, error: str, fix: str) -> None:
        super().__init__(error)
        self.error = error
        self.fix = fix


@dataclass(frozen=True, kw_only=True)
class BoxQuery:
    """A request to draw products, every part checked.

    ``template`` and ``theme`` are None when the request names none (the site's settings
    then decide); ``field`` is what the ``field`` template shows.
    """

    ids: tuple[str, ...]  # global product ids, in the order asked (repeats kept)
    template: BoxTemplate | None = None
    theme: Theme | None = None
    field: BoxField = BoxField.PRICE

    def query_string(self, *, template: bool = False) -> str:
        """The canonical query for this request (what an embed page's address carries).

        >>> BoxQuery(ids=("1005004757833857", "33006951782"), theme=Theme.DARK).query_string()
        'ids=1005004757833857,33006951782&theme=dark'
        """
        parts = [f"ids={','.join(self.ids)}"]
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


_QUERIES: LRU[tuple[bytes, BoxTemplate | None], BoxQuery] = LRU(4096)
_IDS: LRU[bytes, tuple[tuple[str, ...], tuple[str | None, ...]]] = LRU(4096)


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
    """The whole request: ids, template (unless the route names it), theme and field."""
    return BoxQuery(
        ids=read_ids(args),
        template=template or read_choice(args, "template", BoxTemplate),
        theme=read_choice(args, "theme", Theme),
        field=read_choice(args, "field", BoxField) or BoxField.PRICE,
    )
