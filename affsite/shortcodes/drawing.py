"""The renderer as the ``draw`` function of :func:`~affsite.shortcodes.expand.expand`.

Each request becomes a template and ``Options`` for ``Renderer.products``: ``[aliexpress]``
takes its ``template`` (None: the site's default), ``[aliexpress_link]`` is the ``link`` (or
``button``) template, ``[aliexpress_field]`` the ``field`` template with its field. Theme and
button text go into the options, where they are checked again and escaped when drawn.

The title override and the link text are carried by the requests (``Look.title``,
``LinkTag.text``) but ``Options`` has no place for them yet, so they are not drawn: the
product's own title shows. A field the renderer cannot draw yet is a problem for the author.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from affsite.render.choices import BoxField, BoxTemplate, Heading, Options
from affsite.shortcodes.refusal import Refusal
from affsite.shortcodes.tags import FieldTag, LinkTag, ProductRequest

if TYPE_CHECKING:
    from affsite.catalog.answers import ProductAnswer
    from affsite.render.box_settings import BoxSettings
    from affsite.settings import Settings

__all__ = ["ProductsDrawer", "drawing_choices", "renderer_draw"]


class ProductsDrawer(Protocol):
    """What :func:`renderer_draw` needs of ``affsite.render.Renderer``."""

    def products(
        self,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        template: BoxTemplate | None = ...,
        options: Options = ...,
    ) -> str: ...  # Markup


def renderer_draw(
    renderer: ProductsDrawer,
    settings: Settings | BoxSettings,
    *,
    link_via: str | None = None,
    heading: Heading = Heading.H3,
) -> Callable[[ProductRequest, Sequence[ProductAnswer]], str]:
    """A ``draw`` function that draws with ``renderer`` and ``settings``.

    ``link_via`` and ``heading`` are the page's choices (see ``Options``): boxes in the
    site's own pages usually link straight to AliExpress (None) under an ``h3``.
    """

    def draw(request: ProductRequest, answers: Sequence[ProductAnswer]) -> str:
        template, options = drawing_choices(request, link_via=link_via, heading=heading)
        return renderer.products(answers, settings, template, options)

    return draw


def drawing_choices(
    request: ProductRequest, *, link_via: str | None = None, heading: Heading = Heading.H3
) -> tuple[BoxTemplate | None, Options]:
    """The template and options that draw ``request``.

    :raise Refusal: the request asks for a field the renderer cannot draw.
    """
    look = request.look
    template = look.template
    field = BoxField.PRICE
    if isinstance(request, LinkTag):
        template = template or BoxTemplate.LINK
    elif isinstance(request, FieldTag):
        template = BoxTemplate.FIELD
        try:
            field = BoxField(request.field.value)
        except ValueError:
            raise Refusal(f'field "{request.field.value}" cannot be shown yet') from None
    options = Options(
        heading=heading,
        theme=look.theme,
        button_text=look.button,
        field=field,
        link_via=link_via,
    )
    return template, options
