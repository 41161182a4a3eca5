"""Shortcodes expanded for this site: every product of a text from one catalog request (and
one list request per distinct search or hot list), drawn by the renderer with the site's
settings.

``affsite expand``, ``POST /api/v1/expand``, the admin preview and the Jinja integration all
expand through here, so a text comes out the same wherever it is expanded. The caller says
who is asking (a ``Purpose``: the site's own pages, a command, an admin action), which decides
how long a gateway call may take and who pays for it (lists asked for that way are the site's
own, paid from the quota and not from the public share). Short links are followed by the
catalog's follower, whose answers every worker shares for 30 days.

:func:`find_problems` is what ``affsite expand --check`` reports: every problem an expansion
would report, found without asking the catalog (short links are still followed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from affsite.aliexpress.queries import ProductQuery
from affsite.catalog import Catalog, ListAnswer, ProductAnswer, Purpose, Status
from affsite.product_ids import Follower
from affsite.shortcodes.drawing import ProductsDrawer, drawing_choices, renderer_draw
from affsite.shortcodes.expand import (
    AnswersFor,
    Draw,
    Expansion,
    Found,
    ListsFor,
    Planned,
    expand,
    expand_tag,
    list_boxes,
    plan,
)
from affsite.shortcodes.problems import MAX_REASON, MAX_SOURCE, Problem, shorten
from affsite.shortcodes.refusal import Refusal
from affsite.shortcodes.tags import ListTag

__all__ = [
    "SiteExpansion",
    "expand_tag_for_site",
    "expand_text",
    "find_problems",
    "list_problem",
    "problem_json",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class SiteExpansion:
    """An expanded text: ``html`` (the author's HTML with every tag drawn or commented out),
    the ``problems`` for the author, and the catalog's answers for its products."""

    html: Markup
    problems: tuple[Problem, ...]
    answers: tuple[ProductAnswer, ...]  # one per distinct product, in order of first mention
    lists: tuple[ListAnswer, ...] = ()  # one per distinct list, in order of first mention

    @property
    def failed(self) -> tuple[ProductAnswer, ...]:
        """Answers that carry no product because fetching failed (not "not promotable")."""
        return tuple(answer for answer in self.answers if answer.status is Status.FALLBACK)


def expand_text(
    text: str,
    catalog: Catalog,
    renderer: ProductsDrawer,
    *,
    purpose: Purpose,
    plain_text: bool = False,
    link_via: str | None = None,
) -> SiteExpansion:
    """``text`` with every shortcode drawn: one ``catalog.products`` call for all of them.

    ``plain_text=True`` reads ``text`` as text, not HTML: what surrounds the tags is escaped.
    ``link_via`` is where calls to action point (see ``affsite.render.Options``).
    """
    return _expanded(
        catalog,
        renderer,
        purpose,
        link_via,
        lambda answers_for, draw, lists_for, follower: expand(
            text,
            answers_for,
            draw,
            lists_for=lists_for,
            follower=follower,
            plain_text=plain_text,
        ),
    )


def expand_tag_for_site(
    tag: str,
    attrs: Mapping[str, str],
    catalog: Catalog,
    renderer: ProductsDrawer,
    *,
    purpose: Purpose,
    content: str | None = None,
) -> SiteExpansion:
    """One tag given as attributes (``expand_tag``), drawn as :func:`expand_text` draws it."""
    return _expanded(
        catalog,
        renderer,
        purpose,
        None,
        lambda answers_for, draw, lists_for, follower: expand_tag(
            tag, attrs, answers_for, draw, content=content, lists_for=lists_for, follower=follower
        ),
    )


_Expand = Callable[[AnswersFor[ProductAnswer], Draw[ProductAnswer], ListsFor, Follower], Expansion]


def _expanded(
    catalog: Catalog,
    renderer: ProductsDrawer,
    purpose: Purpose,
    link_via: str | None,
    run: _Expand,
) -> SiteExpansion:
    # The answers and the drawing use the same settings, read once.
    settings = catalog.settings()
    asked: list[ProductAnswer] = []

    lists: list[ListAnswer] = []

    def answers_for(ids: Sequence[str]) -> dict[str, ProductAnswer]:
        answers = catalog.products(ids, purpose=purpose, settings=settings)
        asked.extend(answers)
        return dict(zip(ids, answers, strict=True))

    def lists_for(queries: Sequence[ProductQuery]) -> dict[ProductQuery, Found]:
        found = catalog.list_answers(queries, purpose=purpose, settings=settings)
        lists.extend(found)
        return {
            answer.query: Found(ids=answer.ids, problem=list_problem(answer)) for answer in found
        }

    draw = renderer_draw(renderer, settings, link_via=link_via)
    follower = catalog.short_link_follower()
    try:
        expansion = run(answers_for, draw, lists_for, follower)
    finally:
        follower.close()
    # The text around the tags is the site's own HTML (or was escaped): it stays as written.
    html = Markup(expansion.html)  # noqa: S704
    return SiteExpansion(
        html=html, problems=expansion.problems, answers=tuple(asked), lists=tuple(lists)
    )


def list_problem(answer: ListAnswer) -> str | None:
    """Why a list shows nothing, for the author (None when it could be looked up: a list
    that found nothing is reported by the expansion itself).

    >>> from affsite.aliexpress import ProductQuery
    >>> from affsite.catalog import Reason
    >>> list_problem(ListAnswer(query=ProductQuery(keywords="mug"), reason=Reason.BANNED,
    ...                         problem="AliExpress asked for a pause.", fix="Wait."))
    'the list could not be looked up (banned): AliExpress asked for a pause. Wait.'
    """
    if answer.status is not Status.FALLBACK:
        return None
    details = " ".join(part for part in (answer.problem, answer.fix) if part)
    reason = answer.reason or "unavailable"
    return f"the list could not be looked up ({reason})" + (f": {details}" if details else "")


def find_problems(text: str, *, follower: Follower | None = None) -> tuple[Problem, ...]:
    """The problems :func:`expand_text` would report for ``text``, in order, found without
    the catalog: the checks of every tag, then what the renderer cannot draw.

    >>> [problem] = find_problems('x\\n[aliexpress ids="1005004757833857,33006951782" '
    ...                           'template=link title="Both"]')
    >>> problem.line, problem.reason[:46]
    (2, 'title heads a block of several products, which')
    """
    problems: list[Problem] = []
    for piece in plan(text, follower=follower).pieces:
        if isinstance(piece, Problem):
            problems.append(piece)
        elif isinstance(piece, Planned):
            request = piece.request
            if isinstance(request, ListTag):
                request = list_boxes(request, ())  # drawn as boxes of what it finds
            try:
                drawing_choices(request)
            except Refusal as refusal:
                shortcode = piece.shortcode
                problems.append(
                    Problem(
                        reason=str(refusal),
                        source=shortcode.source,
                        start=shortcode.start,
                        line=piece.line,
                    )
                )
    return tuple(problems)


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as the JSON answers show it: its line, the tag as written, the reason (both
    on one line and shortened, as in the HTML comment).

    >>> problem_json(Problem(reason="unknown\\ttemplate", source="[aliexpress]", start=0, line=3))
    {'line': 3, 'shortcode': '[aliexpress]', 'reason': 'unknown template'}
    """
    return {
        "line": problem.line,
        "shortcode": shorten(problem.source, MAX_SOURCE),
        "reason": shorten(problem.reason, MAX_REASON),
    }
