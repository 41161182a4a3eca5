"""The renderer: product answers + settings + template (+ options) -> ``Markup``.

Drawing a box (template, price formatting) costs several times more than reading a product
from the cache, so the renderer keeps what it drew, per process, in bounded memories. A key
holds everything the drawing shows and nothing else:

* the answer itself (id, status, product data, fetch time, reason): a refresh or a new
  tracking id is a different answer, hence a new drawing;
* ``BoxSettings``: the disclosure, the language, where demo pictures come from;
* the template and the ``Options``;
* for whole pages, the path of this site's static files (``assets``).

Nothing is taken from the request: the environment has no ``request``, ``url_for`` or
session (see ``affsite.render.environment``), and the one request-derived input a page has,
``assets``, is passed explicitly and is part of its key. No request can therefore change what
another visitor is handed.

Each product is drawn on its own: whatever goes wrong while drawing one (numbers no one
expected, a template bug) turns into that product's fallback box, logged once per worker,
and never into an error for the page around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from jinja2 import Environment
from markupsafe import Markup

from affsite.catalog.answers import ProductAnswer, Status
from affsite.lru import LRU
from affsite.render.box_settings import BoxSettings
from affsite.render.choices import BoxTemplate, Options, Page
from affsite.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_FRAGMENTS = 4096
MAX_PAGES = 2048

_NO_OPTIONS = Options()


class Renderer:
    """Draws products with ``environment`` and keeps what it drew (see the module doc)."""

    def __init__(
        self,
        environment: Environment,
        *,
        max_fragments: int = MAX_FRAGMENTS,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.environment = environment
        self._fragments: LRU[Hashable, Markup] = LRU(max_fragments)
        self._pages: LRU[Hashable, str] = LRU(max_pages)

    def products(
        self,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        template: BoxTemplate = BoxTemplate.BOX,
        options: Options = _NO_OPTIONS,
    ) -> Markup:
        """Every answer drawn with ``template``, in order; a product that cannot be drawn is
        its fallback box."""
        look = _look(settings)
        return Markup("\n").join(self._product(a, look, template, options) for a in answers)

    def page(
        self,
        page: Page,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        *,
        assets: str,
        template: BoxTemplate = BoxTemplate.BOX,
        options: Options = _NO_OPTIONS,
    ) -> str:
        """A whole page around the drawn ``answers`` (none for pages that show no product).

        ``assets`` is the path of this site's static folder (``/static`` at the site root),
        which the page links its stylesheets from.
        """
        look = _look(settings)
        key = (page, template, options, look, assets, tuple(answers))
        return self._remember(
            self._pages,
            key,
            lambda: self._draw_page(page, answers, look, assets, template, options),
        )

    def _draw_page(
        self,
        page: Page,
        answers: Sequence[ProductAnswer],
        look: BoxSettings,
        assets: str,
        template: BoxTemplate,
        options: Options,
    ) -> str:
        boxes = self.products(answers, look, template, options)
        return self.environment.get_template(page.value).render(
            boxes=boxes, title=_title(answers), language=look.language, assets=assets
        )

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
        try:
            return self._draw(template, look, options, answer=answer, product=answer.product)
        # Any error at all: product data is untrusted and one product must never cost the
        # page it sits in. The fallback is kept under the same key, so a bad product is
        # logged once per worker, not on every request.
        except Exception:
            log.exception(
                "drawing product %r with template %r failed; showing its fallback box",
                str(answer.id)[:64],
                template.value,
            )
        try:
            return self._draw(template, look, options, answer=answer, product=None)
        except Exception:
            log.exception("drawing the fallback box of template %r failed", template.value)
            return _last_resort(answer, look)

    def _draw(
        self,
        template: BoxTemplate,
        look: BoxSettings,
        options: Options,
        *,
        answer: ProductAnswer,
        product: Any,
    ) -> Markup:
        html = self.environment.get_template(template.path).render(
            id=answer.id,
            product=product,
            fetched_at=answer.fetched_at if product is not None else None,
            stale=answer.status == Status.STALE,
            look=look,
            options=options,
        )
        # The environment escapes every value it writes (autoescape), so its output is markup.
        return Markup(html)  # noqa: S704

    @staticmethod
    def _remember(memory: LRU[Hashable, T], key: Hashable, make: Callable[[], T]) -> T:
        try:
            hash(key)
        except TypeError:
            # An answer that cannot be a key (a number no one can hash): draw it every time
            # rather than fail.
            return make()
        return memory.get_or_make(key, make)


def _look(settings: Settings | BoxSettings) -> BoxSettings:
    return settings if isinstance(settings, BoxSettings) else BoxSettings.of(settings)


def _title(answers: Sequence[ProductAnswer]) -> str:
    if len(answers) != 1:
        return "AliExpress products"
    answer = answers[0]
    title = getattr(answer.product, "title", None)
    return title if isinstance(title, str) and title else f"AliExpress product {answer.id}"


def _last_resort(answer: ProductAnswer, look: BoxSettings) -> Markup:
    # Written out here so that it cannot fail: no template, only escaped text.
    return Markup(
        '<article class="product-box product-box-unavailable" data-product-id="{id}">'
        '<p class="product-unavailable">This product is not available right now.</p>'
        '<p class="product-disclosure">{disclosure}</p></article>'
    ).format(id=str(answer.id)[:64], disclosure=look.disclosure)
