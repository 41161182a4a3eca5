"""The renderer: product answers + settings + template (+ options) -> ``Markup``.

Drawing a box (template, price formatting) costs several times more than reading a product
from the cache, so the renderer keeps what it drew, per process, in bounded memories. A key
holds everything the drawing shows and nothing else:

* the answer itself (id, status, product data, fetch time, reason): a refresh or a new
  tracking id is a different answer, hence a new drawing;
* ``BoxSettings``: the disclosure, the language, where demo pictures come from, and the
  display settings (default template, theme, button text, unavailable products, JSON-LD);
* the template and the ``Options``;
* for whole pages, the path of this site's static files (``assets``).

Nothing is taken from the request: the environment has no ``request``, ``url_for`` or
session (see ``affsite.render.environment``), and the one request-derived input a page has,
``assets``, is passed explicitly and is part of its key. No request can therefore change what
another visitor is handed.

Products are drawn one by one (``templates/boxes/<template>.html``) and put into their
template's root element (``boxes/_frame.html``: the ``.affsite`` element with the theme and
the writing direction, a table's caption and header, a list), which is drawn once per
template, options and settings and kept as the text before and after the products.

A caller's title (``Options.title``) is the product's title when one product is drawn, and
the heading of the root element when several are: the products are then drawn without it,
their own titles one heading level down, so that one product's drawing serves every block.

The catalog hands out the very same answer objects while they stay fresh, and the settings
store the very same ``Settings`` while nothing changed, so a page asks again and again with
the same objects. A whole call is therefore also kept under the identities of its settings
and answers (with its template and options): the kept entry holds those objects, so no other
object can take their identity while it is kept, and a repeated call costs one lookup instead
of hashing every product again.

Each product is drawn on its own: whatever goes wrong while drawing one (numbers no one
expected, a template bug) turns into that product's fallback box, logged once per worker,
and never into an error for the page around it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment
from markupsafe import Markup

from affsite.catalog.answers import ProductAnswer
from affsite.lru import LRU, text_bytes
from affsite.render.box_settings import BoxSettings
from affsite.render.choices import BoxTemplate, Options, Page, Unavailable
from affsite.render.view import missing_view, view_of
from affsite.resources import static_folder
from affsite.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# What one process keeps of its drawings, by count and by bytes: the fragments (one product
# drawn), whole calls (a 100-tag article makes 100) and whole pages. The answers made of
# them are kept above (``affsite.web``), so these are only asked when an answer is not.
MAX_FRAGMENTS = 2048
MAX_FRAGMENT_BYTES = 1 << 20
MAX_CALLS = 1024
MAX_CALL_BYTES = 1 << 20
MAX_PAGES = 32
MAX_PAGE_BYTES = 256 << 10
STYLESHEET = "css/box.css"  # the boxes' CSS, relative to the static folder
FRAME = "boxes/_frame.html"  # the root element around a template's products

_NO_OPTIONS = Options()
# Stands for the drawn products while a frame is drawn; a frame is kept as the text before
# and after it. Control characters never reach a drawing otherwise (text is escaped, not
# stripped, but no template writes U+0000).
_ITEMS = "\x00affsite-items\x00"


class Renderer:
    """Draws products with ``environment`` and keeps what it drew (see the module doc)."""

    def __init__(
        self,
        environment: Environment,
        *,
        static: Path | None = None,
        max_fragments: int = MAX_FRAGMENTS,
        max_pages: int = MAX_PAGES,
        max_calls: int = MAX_CALLS,
    ) -> None:
        self.environment = environment
        self._static = static
        self._stylesheet: str | None = None
        self._fragments: LRU[Hashable, Markup] = LRU(
            max_fragments, max_bytes=MAX_FRAGMENT_BYTES, weigh=text_bytes
        )
        self._frames: LRU[Hashable, tuple[Markup, Markup]] = LRU(256)
        self._pages: LRU[Hashable, str] = LRU(max_pages, max_bytes=MAX_PAGE_BYTES, weigh=text_bytes)
        self._calls: LRU[Hashable, _Call] = LRU(
            max_calls, max_bytes=MAX_CALL_BYTES, weigh=lambda call: text_bytes(call.html)
        )
        self._last_look: tuple[Settings, BoxSettings] | None = None

    def products(
        self,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        template: BoxTemplate | None = None,
        options: Options = _NO_OPTIONS,
    ) -> Markup:
        """Every answer drawn with ``template`` (None: the site's default), in order, inside
        one root element (``<div class="affsite ...">``, a ``<span>`` for inline templates).

        A product that cannot be drawn is its fallback; an unavailable one is what the
        settings say (a message, a plain link, or nothing). Nothing at all to show gives
        empty markup, not an empty box.
        """
        key = (id(settings), template, options, tuple(map(id, answers)))
        kept = self._calls.get(key)
        if kept is not None:
            return kept.html
        html = self._products(answers, settings, template, options)
        self._calls.put(key, _Call(settings=settings, answers=tuple(answers), html=html))
        return html

    def _products(
        self,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        template: BoxTemplate | None,
        options: Options,
    ) -> Markup:
        look = self._look(settings)
        chosen = template or look.template
        several = options.title is not None and len(answers) != 1
        each = _under_a_heading(options) if several else options
        items = [self._product(a, look, chosen, each) for a in answers]
        if not any(items):
            return Markup("")
        head, tail = self._remember(
            self._frames,
            (chosen, options, look, several),
            lambda: self._frame(chosen, look, options, several=several),
        )
        separator = Markup(" ") if chosen.inline else Markup("\n")
        return head + separator.join(item for item in items if item) + tail

    def page(
        self,
        page: Page,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        *,
        assets: str,
        template: BoxTemplate | None = None,
        options: Options = _NO_OPTIONS,
        discovery: str | None = None,
    ) -> str:
        """A whole page around the drawn ``answers`` (none for pages that show no product).

        ``assets`` is the path of this site's static folder (``/static`` at the site root),
        which the page links its stylesheets from; ``discovery`` the page's oEmbed discovery
        address (None: no discovery link). Both are part of the key the page is kept under.
        The page template sees ``boxes``, ``title``, ``language``, ``assets``, ``look``,
        ``options``, ``template`` and ``discovery``.
        """
        look = self._look(settings)
        chosen = template or look.template
        key = (page, chosen, options, look, assets, discovery, tuple(answers))
        return self._remember(
            self._pages,
            key,
            lambda: self._draw_page(page, answers, look, assets, chosen, options, discovery),
        )

    def stylesheet(self) -> str:
        """The boxes' CSS (``static/css/box.css``) as text, read once: for a ``<style>``
        where a ``<link>`` to ``STYLESHEET`` cannot go (a shadow root)."""
        if self._stylesheet is None:
            folder = self._static or static_folder()
            self._stylesheet = (folder / STYLESHEET).read_text(encoding="utf-8")
        return self._stylesheet

    def _draw_page(
        self,
        page: Page,
        answers: Sequence[ProductAnswer],
        look: BoxSettings,
        assets: str,
        template: BoxTemplate,
        options: Options,
        discovery: str | None,
    ) -> str:
        boxes = self.products(answers, look, template, options)
        return self.environment.get_template(page.value).render(
            boxes=boxes,
            title=_title(answers, options),
            language=look.language,
            assets=assets,
            look=look,
            options=options,
            template=template,
            discovery=discovery,
        )

    def _frame(
        self, template: BoxTemplate, look: BoxSettings, options: Options, *, several: bool
    ) -> tuple[Markup, Markup]:
        html = self.environment.get_template(FRAME).render(
            template=template,
            look=look,
            options=options,
            theme=options.theme or look.theme,
            # Inline templates sit in a sentence, where no heading fits.
            block_title=options.title if several and not template.inline else None,
            items=Markup(_ITEMS),  # noqa: S704
        )
        head, _, tail = html.partition(_ITEMS)
        # The environment escapes every value it writes (autoescape), so its output is markup.
        return Markup(head), Markup(tail)  # noqa: S704

    def _product(
        self, answer: ProductAnswer, look: BoxSettings, template: BoxTemplate, options: Options
    ) -> Markup:
        key = (template, options, look, answer)
        return self._remember(
            self._fragments, key, lambda: self._draw_isolated(answer, look, template, options)
        )

    def _draw_isolated(
        self, answer: ProductAnswer, look: BoxSettings, template: BoxTemplate, options: Options
    ) -> Markup:
        if answer.product is not None:
            try:
                return self._draw(template, look, options, p=view_of(answer, look, options))
            # Any error at all: product data is untrusted and one product must never cost
            # the page it sits in. The fallback is kept under the same key, so a bad
            # product is logged once per worker, not on every request.
            except Exception:
                log.exception(
                    "drawing product %r with template %r failed; showing its fallback",
                    str(answer.id)[:64],
                    template.value,
                )
        if look.unavailable is Unavailable.HIDE:
            return Markup("")
        try:
            return self._draw(template, look, options, missing=missing_view(answer, options))
        except Exception:
            log.exception("drawing the fallback of template %r failed", template.value)
            return _last_resort(answer, look, template)

    def _draw(
        self, template: BoxTemplate, look: BoxSettings, options: Options, **view: object
    ) -> Markup:
        html = self.environment.get_template(template.path).render(
            p=view.get("p"),
            missing=view.get("missing"),
            look=look,
            options=options,
            heading=options.heading.value,
            button_text=options.button_text or look.button_text,
            target=options.target.attribute,
            new_tab=options.target.attribute == "_blank",
        )
        # The environment escapes every value it writes (autoescape), so its output is markup.
        return Markup(html)  # noqa: S704

    def _look(self, settings: Settings | BoxSettings) -> BoxSettings:
        if isinstance(settings, BoxSettings):
            return settings
        last = self._last_look  # one read: another thread may replace it meanwhile
        if last is not None and last[0] is settings:
            return last[1]
        look = BoxSettings.of(settings)
        self._last_look = (settings, look)
        return look

    @staticmethod
    def _remember(memory: LRU[Hashable, T], key: Hashable, make: Callable[[], T]) -> T:
        try:
            hash(key)
        except TypeError:
            # An answer that cannot be a key (a number no one can hash): draw it every time
            # rather than fail.
            return make()
        return memory.get_or_make(key, make)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Call:
    """A whole call as drawn; it holds the objects whose identities are its key."""

    settings: Settings | BoxSettings
    answers: tuple[ProductAnswer, ...]
    html: Markup


@functools.lru_cache(maxsize=256)
def _under_a_heading(options: Options) -> Options:
    # The options each product of a titled block is drawn with (kept: a warm page asks for
    # them on every call, and equal options must stay one memo key).
    return replace(options, title=None, heading=options.heading.below)


def _title(answers: Sequence[ProductAnswer], options: Options) -> str:
    if len(answers) != 1:
        return options.title or "AliExpress products"
    if options.title:
        return options.title
    answer = answers[0]
    title = getattr(answer.product, "title", None)
    return title if isinstance(title, str) and title else f"AliExpress product {answer.id}"


def _last_resort(answer: ProductAnswer, look: BoxSettings, template: BoxTemplate) -> Markup:
    # Written out here so that it cannot fail: no template, only escaped text.
    pid = str(answer.id)[:64]
    if template.inline:
        return Markup('<span class="product-unavailable" data-product-id="{}">{}</span>').format(
            pid, "Not available right now."
        )
    if template is BoxTemplate.TABLE:
        return Markup(
            '<tr class="product-table-row product-unavailable" data-product-id="{}">'
            '<td colspan="5">This product is not available right now.</td></tr>'
        ).format(pid)
    tag = "article" if template is BoxTemplate.BOX else "li"
    return Markup(
        '<{tag} class="product-box product-box-unavailable" data-product-id="{id}">'
        '<p class="product-unavailable">This product is not available right now.</p>'
        '<p class="product-disclosure">{disclosure}</p></{tag}>'
    ).format(tag=Markup(tag), id=pid, disclosure=look.disclosure)  # noqa: S704
