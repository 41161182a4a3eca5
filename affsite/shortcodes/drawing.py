"""The renderer as the ``draw`` function of :func:`~affsite.shortcodes.expand.expand`.

Each request becomes a template and ``Options`` for ``Renderer.products``: ``[aliexpress]``
takes its ``template`` (None: the site's default), ``[aliexpress_link]`` is the ``link`` (or
``button``) template, ``[aliexpress_field]`` the ``field`` template with its field. Theme,
button text and title go into the options, where they are checked again and escaped when
drawn:

* ``title`` replaces the product's title when the tag shows one product, and heads the block
  (a table's caption) when it shows several; an inline template cannot hold a heading, so a
  title for several products drawn as links or buttons is a problem for the author;
* the text of ``[aliexpress_link]`` (or its ``title``) is the link's text, or the button's
  when it is drawn as a button and has no ``button`` attribute.

A field the product has no value for (a product no one has rated yet) draws nothing for the
visitor and an HTML comment saying so for the author.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from affsite.render.choices import BoxField, BoxTemplate, Heading, Options
from affsite.shortcodes.refusal import Refusal
from affsite.shortcodes.tags import FieldTag, LinkTag, Look, ProductRequest

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
        html = renderer.products(answers, settings, template, options)
        if not html and isinstance(request, FieldTag) and answers[0].product is not None:
            raise Refusal(f"product {request.id} has no {request.field.value} to show right now")
        return html

    return draw


def drawing_choices(
    request: ProductRequest, *, link_via: str | None = None, heading: Heading = Heading.H3
) -> tuple[BoxTemplate | None, Options]:
    """The template and options that draw ``request``.

    :raise Refusal: the request asks for what its template cannot show (a title heading
        several products drawn inline).
    """
    text = None
    field = BoxField.PRICE
    if isinstance(request, LinkTag):
        kind, text = "link", request.text
    elif isinstance(request, FieldTag):
        kind, field = "field", request.field
    else:
        kind = "boxes"
    several = len(request.ids) > 1
    return _choices(kind, request.look, text, field, several, link_via, heading)


# Options are checked as they are made, and a document's tags share a few looks: each is
# worked out once per process. A refusal is raised again each time (exceptions are not kept).
@functools.lru_cache(maxsize=1024)
def _choices(
    kind: str,  # "boxes", "link" or "field"
    look: Look,
    text: str | None,
    field: BoxField,
    several: bool,
    link_via: str | None,
    heading: Heading,
) -> tuple[BoxTemplate | None, Options]:
    template = look.template
    title = look.title
    button = look.button
    if kind == "link":
        template = template or BoxTemplate.LINK
        title = text
        if template is BoxTemplate.BUTTON:
            button = button or text
    elif kind == "field":
        template = BoxTemplate.FIELD
    elif title is not None and several and template and template.inline:
        raise Refusal(
            f"title heads a block of several products, which the {template.value} template "
            "cannot show: use another template, or give each product its own tag"
        )
    options = Options(
        heading=heading,
        theme=look.theme,
        button_text=button,
        title=title,
        field=field,
        link_via=link_via,
    )
    return template, options
