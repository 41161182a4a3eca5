"""schema.org ``Product`` data for search engines, as a ``<script type="application/ld+json">``.

Only a name and one offer (price, currency, availability), and only while the price is
fresh (the caller checks): structured data with an old price is worse than none. The title
is untrusted text inside a ``<script>`` element, where HTML escaping does not apply, so the
JSON is written with ``<``, ``>`` and ``&`` as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (and
the two JavaScript line breaks escaped too): no ``</script>`` or ``<!--`` can appear in it,
and every JSON reader still gets the same text back.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from affsite.aliexpress import Money

_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element.

    >>> script_json({"name": "</script><b>&"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    return json.dumps(data, ensure_ascii=False, allow_nan=False).translate(_ESCAPES)


def product_json_ld(*, name: str, price: Money, image: str | None = None) -> Markup:
    """A ``Product`` with one in-stock ``Offer``; the amount as a decimal string, never a
    float."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
    }
    if image is not None and image.startswith("https://"):
        data["image"] = image
    data["offers"] = {
        "@type": "Offer",
        "price": f"{price.amount:f}",
        "priceCurrency": price.currency,
        "availability": "https://schema.org/InStock",
    }
    # script_json leaves no "<" in the text, so the element cannot be closed from inside.
    return Markup('<script type="application/ld+json">{}</script>').format(
        Markup(script_json(data))  # noqa: S704
    )
