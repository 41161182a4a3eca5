"""Expanding a document: every shortcode drawn, with one catalog request for all of them.

Three steps. :func:`plan` parses the text and checks every tag, resolving its ids and
addresses (each distinct one once); :func:`expand` then asks ``lists_for`` ONCE for every
distinct list (``search=``/``hot=``) the document shows, ``answers_for`` ONCE for every
product it names or its lists found, and draws each tag with ``draw`` from those answers. A
tag that cannot be drawn (a broken tag, a list that found nothing or could not be looked up)
becomes ``<!-- affsite: <tag> <reason> -->``: the author sees why in the page source (and
``affsite expand --check`` lists it), the visitor sees nothing.

The functions are the seams to the rest of affsite, so that this module knows neither the
catalog nor the renderer (``affsite.shortcodes.site`` wires them)::

    answers_for = lambda ids: dict(zip(ids, catalog.products(ids, purpose=Purpose.PAGE)))
    lists_for = lambda queries: {a.query: Found(ids=a.ids) for a in catalog.list_answers(...)}
    draw = renderer_draw(get_renderer(), settings)  # affsite.shortcodes.drawing
    expand(text, answers_for, draw, lists_for=lists_for, follower=...).html

``draw(request, answers)`` gets the checked request (a ``ProductsTag``, ``LinkTag`` or
``FieldTag``; a list comes as the ``ProductsTag`` of what it found, in the ``grid`` template
unless it names one) and its products' answers in the request's order, and returns HTML; it
may raise :class:`~affsite.shortcodes.refusal.Refusal` to turn the tag into a problem instead.
Without ``lists_for`` a list is a problem saying it cannot be looked up there.

>>> def answers_for(ids): return {i: f"product {i}" for i in ids}
>>> def draw(request, answers): return "<b>" + ", ".join(answers) + "</b>"
>>> expanded = expand('A [aliexpress 1005001 template="nope"] B [aliexpress ids="1005001,1005002"]',
...                   answers_for, draw)
>>> print(expanded.html)
A <!-- affsite: [aliexpress 1005001 template="nope"] unknown template "nope"; use box, ... -->
 B <b>product 1005001, product 1005002</b>
>>> expanded.ids
('1005001', '1005002')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from markupsafe import escape

from affsite.aliexpress.queries import ProductQuery
from affsite.product_ids import Follower
from affsite.render.choices import BoxTemplate
from affsite.shortcodes.parser import TAGS, Segment, Shortcode, parse
from affsite.shortcodes.problems import Problem
from affsite.shortcodes.references import DocumentResolver
from affsite.shortcodes.refusal import Refusal
from affsite.shortcodes.tags import ListTag, ProductRequest, ProductsTag, Request, interpret

__all__ = [
    "LISTS_UNANSWERED",
    "LIST_FOUND_NOTHING",
    "MAX_LISTS",
    "MAX_PRODUCTS",
    "AnswersFor",
    "Draw",
    "Expansion",
    "Found",
    "ListsFor",
    "Plan",
    "Planned",
    "check",
    "expand",
    "expand_tag",
    "list_boxes",
    "plan",
]

A = TypeVar("A")

AnswersFor = Callable[[Sequence[str]], Mapping[str, A]]
"""Every id asked for -> its answer (the catalog's ``ProductAnswer``); called once a document."""
Draw = Callable[[ProductRequest, Sequence[A]], str]
"""One tag's request and its answers -> HTML; may raise ``Refusal`` with a reason."""

MAX_PRODUCTS = 500
"""Distinct products one document may show: a text is never a way to spend the whole quota."""
MAX_LISTS = 20
"""Distinct lists one document may show: each costs a gateway call per list expiration time."""

LISTS_UNANSWERED = (
    'lists (search="…", hot="…") cannot be looked up here; name the products with ids="…"'
)
LIST_FOUND_NOTHING = "the list found no products; try other keywords, categories or prices"


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """What one list found: product ids in order, or (``problem``) why none can be shown."""

    ids: tuple[str, ...] = ()
    problem: str | None = None


ListsFor = Callable[[Sequence[ProductQuery]], Mapping[ProductQuery, Found]]
"""Every distinct list query of a document -> what each found; called once a document."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Planned:
    """A tag that passed its checks, waiting for its products' answers."""

    request: Request
    shortcode: Shortcode
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """A parsed, checked document: its pieces in order, and every product it shows."""

    pieces: tuple[str | Planned | Problem, ...]
    ids: tuple[str, ...]  # in order of first appearance, each once (lists' not yet known)
    queries: tuple[ProductQuery, ...] = ()  # the lists shown, in order, each once

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(piece for piece in self.pieces if isinstance(piece, Problem))


@dataclass(frozen=True, kw_only=True, slots=True)
class Expansion:
    """The expanded document: ``html`` is the text with every tag drawn or commented out.

    The text around the tags is the author's HTML, passed through as it is (escaped when
    expanded with ``plain_text=True``).
    """

    html: str
    problems: tuple[Problem, ...]
    ids: tuple[str, ...]  # every product asked for: the tags' ids, then what lists found


def plan(text: str, *, follower: Follower | None = None, html: bool = True) -> Plan:
    """Parse and check ``text``; short links are followed by ``follower`` (None: refused).

    ``html=False`` reads ``text`` as plain text (see :func:`~affsite.shortcodes.parse`).
    Never raises for a ``str``; never calls the catalog.
    """
    return _plan(parse(text, TAGS, html=html), _Lines(text), follower)


def _plan(segments: Sequence[Segment], lines: _Lines, follower: Follower | None) -> Plan:
    resolve = DocumentResolver(follower)
    pieces: list[str | Planned | Problem] = []
    ids: dict[str, None] = {}
    queries: dict[ProductQuery, None] = {}
    for segment in segments:
        if isinstance(segment, str):
            pieces.append(segment)
            continue
        line = lines.at(segment.start)
        request = interpret(segment, resolve)
        if isinstance(request, Problem):
            pieces.append(replace(request, line=line))
        elif isinstance(request, ListTag):
            if request.query not in queries and len(queries) >= MAX_LISTS:
                reason = f"this text shows more than {MAX_LISTS} lists; split it up"
                pieces.append(_problem(segment, line, reason))
            else:
                queries[request.query] = None
                pieces.append(Planned(request=request, shortcode=segment, line=line))
        elif len(ids) + sum(pid not in ids for pid in request.ids) > MAX_PRODUCTS:
            reason = f"this text shows more than {MAX_PRODUCTS} products; split it up"
            pieces.append(_problem(segment, line, reason))
        else:
            ids.update(dict.fromkeys(request.ids))
            pieces.append(Planned(request=request, shortcode=segment, line=line))
    return Plan(pieces=tuple(pieces), ids=tuple(ids), queries=tuple(queries))


def check(text: str, *, follower: Follower | None = None, html: bool = True) -> tuple[Problem, ...]:
    """The problems :func:`expand` would report for ``text``, found without the catalog."""
    return plan(text, follower=follower, html=html).problems


def expand(
    text: str,
    answers_for: AnswersFor[A],
    draw: Draw[A],
    *,
    lists_for: ListsFor | None = None,
    follower: Follower | None = None,
    plain_text: bool = False,
) -> Expansion:
    """``text`` with every shortcode drawn (see the module doc).

    ``lists_for`` is called once, with every distinct list query in order, and only when there
    is one; ``answers_for`` then once, with every distinct id in order (the tags' own, then
    what the lists found), and only when there is one. ``plain_text=True`` reads ``text`` as
    text that is not HTML: ``<`` is a character like any other, and the text around the tags
    is escaped.
    """
    planned = plan(text, follower=follower, html=not plain_text)
    return _draw_plan(planned, answers_for, draw, lists_for, plain_text=plain_text)


def expand_tag(
    tag: str,
    attrs: Mapping[str, str],
    answers_for: AnswersFor[A],
    draw: Draw[A],
    *,
    content: str | None = None,
    lists_for: ListsFor | None = None,
    follower: Follower | None = None,
) -> Expansion:
    """One tag given as attributes instead of text, drawn as ``[tag attrs]content[/tag]``
    would be: for template globals and APIs that take options, where quoting them into a
    shortcode would be one more way to get them wrong. Unknown tags and attributes are
    problems, as in a text.

    >>> expand_tag("aliexpress", {"id": "12"}, dict, print).problems[0].reason
    'id: 12 is not a product id: it has 2 digits; product ids have 6 to 19'
    """
    written = "".join(f' {name}="{value}"' for name, value in attrs.items())
    source = f"[{tag}{written}]" if content is None else f"[{tag}{written}]{content}[/{tag}]"
    shortcode = Shortcode(
        tag=tag,
        attrs={name.lower(): value for name, value in attrs.items()},
        positional=(),
        content=content,
        start=0,
        end=len(source),
        source=source,
    )
    planned = _plan([shortcode], _Lines(source), follower)
    return _draw_plan(planned, answers_for, draw, lists_for, plain_text=False)


def list_boxes(tag: ListTag, ids: Sequence[str]) -> ProductsTag:
    """The products a list found, as the tag that draws them: in the ``grid`` template
    unless the list names one, with the list's other looks.

    >>> from affsite.shortcodes.lists import list_query
    >>> tag = ListTag(query=list_query({"search": "mug"}, hot=False))
    >>> list_boxes(tag, ["1005001513148147"]).look.template
    <BoxTemplate.GRID: 'grid'>
    """
    look = replace(tag.look, template=tag.look.template or BoxTemplate.GRID)
    return ProductsTag(ids=tuple(dict.fromkeys(ids)), look=look)


def _draw_plan(
    planned: Plan,
    answers_for: AnswersFor[A],
    draw: Draw[A],
    lists_for: ListsFor | None,
    *,
    plain_text: bool,
) -> Expansion:
    shown = _lists_shown(planned, lists_for)
    ids = dict.fromkeys(planned.ids)
    for outcome in shown.values():
        if isinstance(outcome, tuple):
            ids.update(dict.fromkeys(outcome))
    answers = answers_for(list(ids)) if ids else {}
    html: list[str] = []
    problems: list[Problem] = []
    for piece in planned.pieces:
        if isinstance(piece, Planned):
            drawn = _draw(piece, shown, answers, draw)
            if isinstance(drawn, str):
                html.append(drawn)
                continue
            piece = drawn
        if isinstance(piece, Problem):
            problems.append(piece)
            html.append(piece.comment())
        else:
            html.append(str(escape(piece)) if plain_text else piece)
    return Expansion(html="".join(html), problems=tuple(problems), ids=tuple(ids))


def _lists_shown(
    planned: Plan, lists_for: ListsFor | None
) -> dict[ProductQuery, tuple[str, ...] | str]:
    """What each list of the document draws (its products' ids), or why it draws nothing;
    every list's products count toward ``MAX_PRODUCTS`` with the tags' own."""
    if not planned.queries:
        return {}
    if lists_for is None:
        return dict.fromkeys(planned.queries, LISTS_UNANSWERED)
    found = lists_for(list(planned.queries))
    counted = set(planned.ids)
    shown: dict[ProductQuery, tuple[str, ...] | str] = {}
    for query in planned.queries:
        outcome = found.get(query)
        if outcome is None:
            shown[query] = "no answer for this list"
        elif outcome.problem is not None:
            shown[query] = outcome.problem
        elif not outcome.ids:
            shown[query] = LIST_FOUND_NOTHING
        elif len(counted | set(outcome.ids)) > MAX_PRODUCTS:
            shown[query] = f"this text shows more than {MAX_PRODUCTS} products; split it up"
        else:
            counted.update(outcome.ids)
            shown[query] = outcome.ids
    return shown


def _draw(
    piece: Planned,
    shown: Mapping[ProductQuery, tuple[str, ...] | str],
    answers: Mapping[str, A],
    draw: Draw[A],
) -> str | Problem:
    request = piece.request
    if isinstance(request, ListTag):
        outcome = shown[request.query]
        if isinstance(outcome, str):
            return _problem(piece.shortcode, piece.line, outcome)
        request = list_boxes(request, outcome)
    missing = [pid for pid in request.ids if pid not in answers]
    if missing:
        return _problem(piece.shortcode, piece.line, f"no answer for product {missing[0]}")
    try:
        return draw(request, [answers[pid] for pid in request.ids])
    except Refusal as refusal:
        return _problem(piece.shortcode, piece.line, str(refusal))


def _problem(shortcode: Shortcode, line: int, reason: str) -> Problem:
    return Problem(reason=reason, source=shortcode.source, start=shortcode.start, line=line)


class _Lines:
    """Line numbers of positions asked in increasing order, counting each newline once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._position = 0
        self._line = 1

    def at(self, position: int) -> int:
        self._line += self._text.count("\n", self._position, position)
        self._position = position
        return self._line
