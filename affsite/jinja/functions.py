"""What templates call: ``aliexpress(ids_or_url, template=None, **options)`` and
``aliexpress_shortcodes(text)``, both answering escaped ``Markup``. Without products,
``aliexpress(search="usb c cable", limit=4)`` or ``aliexpress(hot="phone case")`` draws a list,
as ``[aliexpress search=…]`` does.

They draw through the current app's catalog and renderer (``get_catalog()``,
``get_renderer()``: affsite's own, or those ``Affsite.init_app`` installed), as the site's own
pages do: products are paid from the daily quota, and a problem becomes an HTML comment
saying why (``<!-- affsite: … -->``), which visitors do not see.

Each call asks the catalog once. A template that shows many products asks once for all of
them when it puts them through the filter together::

    {% filter aliexpress_shortcodes %}
      <h2>{{ heading }}</h2> [aliexpress id="1005004757833857"] [aliexpress ids="…,…"]
    {% endfilter %}
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup

from affsite.catalog import Purpose, get_catalog
from affsite.render import get_renderer
from affsite.shortcodes.site import expand_tag_for_site, expand_text

__all__ = ["aliexpress", "aliexpress_shortcodes", "product_attributes"]


def aliexpress(
    ids_or_url: str | int | Iterable[str | int] | None = None,
    template: str | None = None,
    **options: object,
) -> Markup:
    """Boxes for one product, several (a list, or ids separated by commas) or a product
    address, as ``[aliexpress …]`` with the same attributes draws them: ``template`` (None:
    the one chosen on the settings page), ``theme``, ``title``, ``button``. With no products,
    a list: ``search`` or ``hot`` (keywords) with ``limit``, ``sort``, ``category``,
    ``min_price`` and ``max_price``.

    An option the shortcode does not take, or a reference that names no product, draws
    nothing but an HTML comment saying why.
    """
    attrs = {} if ids_or_url is None else product_attributes(ids_or_url)
    if template is not None:
        attrs["template"] = str(template)
    attrs.update((name, str(value)) for name, value in options.items())
    expanded = expand_tag_for_site(
        "aliexpress", attrs, get_catalog(), get_renderer(), purpose=Purpose.PAGE
    )
    return expanded.html


def aliexpress_shortcodes(text: object) -> Markup:
    """``text`` with its ``[aliexpress …]`` shortcodes drawn, every product from one catalog
    request. ``Markup`` (or anything with ``__html__``) is HTML and stays so around the
    tags; anything else is plain text and is escaped.
    """
    html = getattr(text, "__html__", None)
    if callable(html):
        source, plain = str(html()), False
    else:
        source, plain = "" if text is None else str(text), True
    expanded = expand_text(
        source, get_catalog(), get_renderer(), purpose=Purpose.PAGE, plain_text=plain
    )
    return expanded.html


def product_attributes(ids_or_url: str | int | Iterable[str | int]) -> dict[str, str]:
    """The shortcode attribute that names these products.

    >>> product_attributes("1005004757833857"), product_attributes([1, "2"])
    ({'id': '1005004757833857'}, {'ids': '1,2'})
    >>> product_attributes("https://a.aliexpress.com/_mKp1"), product_attributes("1, 2")
    ({'url': 'https://a.aliexpress.com/_mKp1'}, {'ids': '1, 2'})
    """
    if isinstance(ids_or_url, str | int):
        reference = str(ids_or_url).strip()
        if "/" in reference:
            return {"url": reference}
        return {"ids": reference} if "," in reference else {"id": reference}
    return {"ids": ",".join(str(reference).strip() for reference in ids_or_url)}
