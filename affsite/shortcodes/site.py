"""Shortcodes expanded for this site: every product of a text from one catalog request, drawn
by the renderer with the site's settings.

``affsite expand``, ``POST /api/v1/expand``, the admin preview and the Jinja integration all
expand through here, so a text comes out the same wherever it is expanded. The caller says
who is asking (a ``Purpose``: the site's own pages, a command, an admin action), which decides
how long a gateway call may take and who pays for it. Short links are followed by the
catalog's follower, whose answers every worker shares for 30 days.

:func:`find_problems` is what ``affsite expand --check`` reports: every problem an expansion
would report, found without asking the catalog (short links are still followed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from affsite.catalog import Catalog, ProductAnswer, Purpose, Status
from affsite.product_ids import Follower
from affsite.shortcodes.drawing import ProductsDrawer, drawing_choices, renderer_draw
from affsite.shortcodes.expand import (
    AnswersFor,
    Draw,
    Expansion,
    Planned,
    expand,
    expand_tag,
    plan,
)
from affsite.shortcodes.problems import MAX_REASON, MAX_SOURCE, Problem, shorten
from affsite.shortcodes.refusal import Refusal

__all__ = [
    "SiteExpansion",
    "expand_tag_for_site",
    "expand_text",
    "find_problems",
    "problem_json",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class SiteExpansion:
    """An expanded text: ``html`` (the author's HTML with every tag drawn or commented out),
    the ``problems`` for the author, and the catalog's answers for its products."""

    html: Markup
    problems: tuple[Problem, ...]
    answers: tuple[ProductAnswer, ...]  # one per distinct product, in order of first mention

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
        lambda answers_for, draw, follower: expand(
            text, answers_for, draw, follower=follower, plain_text=plain_text
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
        lambda answers_for, draw, follower: expand_tag(
            tag, attrs, answers_for, draw, content=content, follower=follower
        ),
    )


_Expand = Callable[[AnswersFor[ProductAnswer], Draw[ProductAnswer], Follower], Expansion]


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

    def answers_for(ids: Sequence[str]) -> dict[str, ProductAnswer]:
        answers = catalog.products(ids, purpose=purpose, settings=settings)
        asked.extend(answers)
        return dict(zip(ids, answers, strict=True))

    draw = renderer_draw(renderer, settings, link_via=link_via)
    follower = catalog.short_link_follower()
    try:
        expansion = run(answers_for, draw, follower)
    finally:
        follower.close()
    # The text around the tags is the site's own HTML (or was escaped): it stays as written.
    html = Markup(expansion.html)  # noqa: S704
    return SiteExpansion(html=html, problems=expansion.problems, answers=tuple(asked))


def find_problems(text: str, *, follower: Follower | None = None) -> tuple[Problem, ...]:
    """The problems :func:`expand_text` would report for ``text``, in order, found without
    the catalog: the checks of every tag, then what the renderer cannot draw.

    >>> [problem] = find_problems('x\\n[aliexpress_field id="1005004757833857" field="orders"]')
    >>> problem.line, problem.reason
    (2, 'field "orders" cannot be shown yet')
    """
    problems: list[Problem] = []
    for piece in plan(text, follower=follower).pieces:
        if isinstance(piece, Problem):
            problems.append(piece)
        elif isinstance(piece, Planned):
            try:
                drawing_choices(piece.request)
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
