"""What each shortcode asks for, checked: a request to draw, or a problem for the author.

* ``[aliexpress id="…"]``, ``[aliexpress 1005004757833857]``, ``[aliexpress url="…"]`` and
  ``[aliexpress ids="a,b,c" template="grid"]``: boxes (:class:`ProductsTag`);
* ``[aliexpress search="usb c cable" limit="4" sort="LAST_VOLUME_DESC" min_price="5"
  max_price="20.50" category="44"]`` and ``[aliexpress hot="…"]``: lists (:class:`ListTag`);
* ``[aliexpress_link id="…"]text[/aliexpress_link]``: an inline link (:class:`LinkTag`);
* ``[aliexpress_field id="…" field="price|title|discount|rating|orders"]``: one value,
  inline (:class:`FieldTag`).

Every tag takes ``template``, ``theme``, ``title`` and ``button`` where they mean something
(``[aliexpress_field]`` only ``theme``). ``title`` is the author's own title: one product's,
or the heading of several. Choices (template, theme, field, sort) come from fixed lists,
numbers are parsed, and free text (title and link text up to ``MAX_TEXT`` = 200 characters,
button text up to 40) is cut to one clean line and kept as text, to be escaped where it is
drawn. An attribute a tag does not know is a problem too: a misspelt option is
reported, not silently ignored, and nothing (``style``, ``class``, ``on…``) passes through.

>>> from affsite.shortcodes.parser import parse
>>> interpret(parse('[aliexpress 1005004757833857 template="Grid"]')[0]).ids
('1005004757833857',)
>>> interpret(parse('[aliexpress id="1005004757833857" style="x"]')[0]).reason
'unknown attribute "style"; [aliexpress] takes button, category, hot, id, ids, ...'
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from affsite.aliexpress.queries import HotProductQuery, ProductQuery
from affsite.lru import LRU
from affsite.render.choices import (
    MAX_BUTTON_TEXT,
    MAX_TITLE,
    BoxField,
    BoxTemplate,
    Theme,
    clean_text,
)
from affsite.shortcodes.lists import LIST_ATTRIBUTES, LIST_OPTIONS, list_query
from affsite.shortcodes.parser import Shortcode
from affsite.shortcodes.problems import Problem
from affsite.shortcodes.references import DocumentResolver, Resolver
from affsite.shortcodes.refusal import Refusal, choice

__all__ = [
    "MAX_IDS",
    "MAX_TEXT",
    "Field",
    "FieldTag",
    "LinkTag",
    "ListTag",
    "Look",
    "ProductRequest",
    "ProductsTag",
    "Request",
    "interpret",
]

MAX_IDS = 50  # products in one [aliexpress ids="…"]
MAX_TEXT = MAX_TITLE  # characters of a title or a link text; longer text is cut

_COMMON = frozenset({"template", "theme", "title", "button"})
_BOXES = frozenset({"id", "ids", "url"}) | _COMMON | LIST_ATTRIBUTES
_LINK = frozenset({"id", "url"}) | _COMMON
_FIELD = frozenset({"id", "url", "field", "theme"})
_KNOWN = {"aliexpress": _BOXES, "aliexpress_link": _LINK, "aliexpress_field": _FIELD}
_LINK_TEMPLATES = (BoxTemplate.LINK, BoxTemplate.BUTTON)
# [aliexpress_field] is the one way to draw a single value.
_BOX_TEMPLATES = tuple(template for template in BoxTemplate if template is not BoxTemplate.FIELD)


Field = BoxField
"""What ``[aliexpress_field]`` shows: price (with the time it was fetched), title, discount,
rating or orders (the renderer's own choices)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Look:
    """The common attributes: None leaves the choice to the site's settings (or the tag)."""

    template: BoxTemplate | None = None
    theme: Theme | None = None
    title: str | None = None  # one product's title, or the heading of several (plain text)
    button: str | None = None  # the call to action's text (plain text)


_PLAIN = Look()


@dataclass(frozen=True, kw_only=True, slots=True)
class ProductsTag:
    """``[aliexpress …]`` naming products: their global ids, in order, each once."""

    ids: tuple[str, ...]
    look: Look = _PLAIN


@dataclass(frozen=True, kw_only=True, slots=True)
class LinkTag:
    """``[aliexpress_link]``: ``text`` None means the product's title."""

    id: str
    text: str | None = None
    look: Look = _PLAIN

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,)


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldTag:
    """``[aliexpress_field]``: one value of one product (only ``look.theme`` applies)."""

    id: str
    field: Field = Field.PRICE
    look: Look = _PLAIN

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,)


@dataclass(frozen=True, kw_only=True, slots=True)
class ListTag:
    """``[aliexpress search=…]`` or ``[aliexpress hot=…]``: products found by a query."""

    query: ProductQuery  # a HotProductQuery for hot=
    look: Look = _PLAIN

    @property
    def hot(self) -> bool:
        return isinstance(self.query, HotProductQuery)


ProductRequest = ProductsTag | LinkTag | FieldTag
Request = ProductRequest | ListTag


def interpret(shortcode: Shortcode, resolve: Resolver | None = None) -> Request | Problem:
    """The request ``shortcode`` makes, or the problem that keeps it from being drawn.

    ``resolve`` turns ids and addresses into global ids (default: a
    :class:`~affsite.shortcodes.references.DocumentResolver` without a follower, so short
    links are refused without touching the network). Never raises.

    A site expands the same texts again and again, so the requests read with a
    ``DocumentResolver`` are kept per process, keyed by the tag as written: a tag reads alike
    every time unless it names a short link, whose product depends on the network and on the
    document's budget of short links (such tags are read afresh, as are problems, which say
    where they stand in their text).
    """
    resolver = resolve or DocumentResolver()
    document = resolver if isinstance(resolver, DocumentResolver) else None
    key = _memo_key(shortcode) if document is not None else None
    if key is not None:
        known = _READ.get(key)
        if known is not None:
            return known
    short_links = document.short_links_asked if document is not None else 0
    request = _read(shortcode, resolver)
    if (
        key is not None
        and document is not None
        and not isinstance(request, Problem)
        and document.short_links_asked == short_links
    ):
        _READ.put(key, request)
    return request


REMEMBERED_TAGS = 512  # requests kept per process (a few hundred bytes each)
_MAX_REMEMBERED_SOURCE = 2000  # longer tags (long link texts) are read afresh
_READ: LRU[Hashable, Request] = LRU(REMEMBERED_TAGS)


def _memo_key(shortcode: Shortcode) -> Hashable | None:
    if len(shortcode.source) > _MAX_REMEMBERED_SOURCE:
        return None
    attrs = tuple(shortcode.attrs.items())
    return (shortcode.tag, attrs, shortcode.positional, shortcode.content)


def _read(shortcode: Shortcode, resolver: Resolver) -> Request | Problem:
    reader = _READERS.get(shortcode.tag)
    if reader is None:
        return _problem(shortcode, f"[{shortcode.tag}] is not an affsite shortcode")
    try:
        _refuse_unknown(shortcode)
        if shortcode.tag != "aliexpress_link" and (shortcode.content or "").strip():
            # Text between [aliexpress] and a [/aliexpress] (often a stray one much further
            # down) would vanish with the tag: say so rather than lose the author's words.
            tag = shortcode.tag
            raise Refusal(f"[{tag}] takes no text: remove [/{tag}] or use [aliexpress_link]")
        return reader(shortcode, resolver)
    except Refusal as refusal:
        return _problem(shortcode, str(refusal))


def _problem(shortcode: Shortcode, reason: str) -> Problem:
    return Problem(reason=reason, source=shortcode.source, start=shortcode.start)


def _refuse_unknown(shortcode: Shortcode) -> None:
    known = _KNOWN[shortcode.tag]
    for name in shortcode.attrs:
        if name not in known:
            listed = ", ".join(sorted(known))
            raise Refusal(f'unknown attribute "{name}"; [{shortcode.tag}] takes {listed}')


def _boxes(shortcode: Shortcode, resolve: Resolver) -> Request:
    attrs = shortcode.attrs
    sources = [name for name in ("id", "ids", "url", "search", "hot") if name in attrs]
    if shortcode.positional:
        sources.insert(0, "a bare id")
    if not sources:
        raise Refusal('names no product: add id="…", ids="…", url="…", search="…" or hot="…"')
    if len(sources) > 1:
        raise Refusal(f"use only one of {', '.join(sources)}")
    look = _look(attrs, _BOX_TEMPLATES)
    source = sources[0]
    if source in ("search", "hot"):
        return ListTag(query=list_query(attrs, hot=source == "hot"), look=look)
    listed = [name for name in sorted(LIST_OPTIONS) if name in attrs]
    if listed:
        raise Refusal(f"{listed[0]} only goes with search or hot")
    if source == "a bare id":
        references = list(shortcode.positional)
    elif source == "ids":
        references = [part.strip() for part in attrs["ids"].split(",") if part.strip()]
        if not references:
            raise Refusal('ids names no product: list ids separated by commas, ids="…,…"')
        if len(references) > MAX_IDS:
            raise Refusal(f"ids names {len(references)} products; at most {MAX_IDS} fit one tag")
    else:
        references = [attrs[source]]
        if source == "id" and "," in references[0]:
            raise Refusal('id names one product; use ids="…,…" for several')
    ids = [_product_id(source, reference, resolve) for reference in references]
    return ProductsTag(ids=tuple(dict.fromkeys(ids)), look=look)


def _link(shortcode: Shortcode, resolve: Resolver) -> Request:
    look = _look(shortcode.attrs, _LINK_TEMPLATES)
    text = _text(_without_tags(shortcode.content or ""), MAX_TEXT) or look.title
    return LinkTag(id=_one_product(shortcode, resolve), text=text, look=look)


def _field(shortcode: Shortcode, resolve: Resolver) -> Request:
    attrs = shortcode.attrs
    shown = choice("field", attrs.get("field", Field.PRICE.value), Field)
    theme = choice("theme", attrs["theme"], Theme) if "theme" in attrs else None
    return FieldTag(id=_one_product(shortcode, resolve), field=shown, look=Look(theme=theme))


def _one_product(shortcode: Shortcode, resolve: Resolver) -> str:
    sources = [name for name in ("id", "url") if name in shortcode.attrs]
    references = [(name, shortcode.attrs[name]) for name in sources]
    references += [("a bare id", value) for value in shortcode.positional]
    if not references:
        raise Refusal('names no product: add id="…" or url="…"')
    if len(references) > 1:
        raise Refusal(f"names {len(references)} products; [{shortcode.tag}] shows one")
    source, reference = references[0]
    return _product_id(source, reference, resolve)


def _product_id(source: str, reference: str, resolve: Resolver) -> str:
    if not reference.strip():
        # Authors rarely write an empty value; WordPress's blanking of unclosed HTML is the
        # usual cause, and nothing else would tell them.
        raise Refusal(f"{source} is empty (WordPress empties a value with a < and no > after it)")
    resolution = resolve(reference.strip())
    if resolution.id is None:
        raise Refusal(f"{source}: {resolution.error or 'not an AliExpress product'}")
    return resolution.id


def _look(attrs: Mapping[str, str], templates: tuple[BoxTemplate, ...]) -> Look:
    template = None
    if "template" in attrs:
        template = choice("template", attrs["template"], BoxTemplate)
        if template not in templates:
            allowed = ", ".join(t.value for t in templates)
            raise Refusal(f'template "{template.value}" does not fit here; use {allowed}')
    theme = choice("theme", attrs["theme"], Theme) if "theme" in attrs else None
    return Look(
        template=template,
        theme=theme,
        title=_text(attrs.get("title"), MAX_TEXT),
        button=_text(attrs.get("button"), MAX_BUTTON_TEXT),
    )


def _text(value: str | None, limit: int) -> str | None:
    return clean_text(value, limit) or None if value else None


def _without_tags(content: str) -> str:
    # Link text is plain text; markup around it (<strong>…) is dropped rather than shown
    # escaped. This is for looks only: whatever is left is still escaped when drawn.
    out: list[str] = []
    done = 0
    while (opening := content.find("<", done)) >= 0:
        closing = content.find(">", opening)
        if closing < 0:
            break
        out.append(content[done:opening])
        done = closing + 1
    out.append(content[done:])
    return "".join(out)


_READERS: dict[str, Callable[[Shortcode, Resolver], Request]] = {
    "aliexpress": _boxes,
    "aliexpress_link": _link,
    "aliexpress_field": _field,
}
