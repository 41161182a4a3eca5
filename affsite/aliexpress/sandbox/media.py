"""Product images the sandbox serves itself, so demo pages render with no internet.

Each image is a small generated SVG: a gradient in the category's colours, a simple drawing of
the kind of product, and its short name. Names come from the catalog and may be hostile or
right-to-left text, so every piece of text is XML-escaped before it enters the document.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from affsite.aliexpress.sandbox.catalog import SandboxCatalog, SandboxProduct

SVG_CONTENT_TYPE = "image/svg+xml"
# An SVG opened directly is a document: forbid scripts and remote loads in it.
SVG_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "public, max-age=86400"),
)

_NAME = re.compile(r"^([1-9][0-9]{8,15})-([0-9])\.svg$")
_MAX_LABEL = 24

# (light, dark) colours per top-level category id.
_PALETTE: dict[int, tuple[str, str]] = {
    44: ("#4f8ef7", "#1d3f8f"),
    509: ("#7c5cff", "#3b2a8c"),
    7: ("#3cc2c9", "#16636a"),
    15: ("#f5a25d", "#a14f12"),
    200000345: ("#f472b6", "#9d174d"),
    200000343: ("#60a5fa", "#1e3a8a"),
    66: ("#fb7185", "#9f1239"),
    18: ("#34d399", "#065f46"),
    26: ("#fbbf24", "#92400e"),
    34: ("#94a3b8", "#334155"),
    1420: ("#f97316", "#7c2d12"),
    39: ("#facc15", "#854d0e"),
    1511: ("#a78bfa", "#4c1d95"),
    1524: ("#2dd4bf", "#115e59"),
}
_DEFAULT_PALETTE = ("#9ca3af", "#374151")

_W = 'fill="#ffffff"'
_D = 'fill="#ffffff" fill-opacity="0.55"'
_DRAWINGS: dict[int, str] = {
    44: f'<path d="M130 210 a70 70 0 0 1 140 0" stroke="#fff" stroke-width="16" fill="none"/>'
    f'<rect x="110" y="200" width="44" height="70" rx="18" {_W}/>'
    f'<rect x="246" y="200" width="44" height="70" rx="18" {_W}/>',
    509: f'<rect x="150" y="90" width="100" height="190" rx="18" {_W}/>'
    f'<rect x="162" y="110" width="76" height="140" rx="6" {_D}/>',
    7: f'<rect x="90" y="150" width="220" height="100" rx="12" {_W}/>'
    + "".join(
        f'<rect x="{104 + 30 * c}" y="{164 + 26 * r}" width="20" height="16" rx="3" {_D}/>'
        for r in range(3)
        for c in range(7)
    ),
    15: f'<rect x="135" y="120" width="110" height="140" rx="14" {_W}/>'
    f'<circle cx="262" cy="185" r="34" stroke="#fff" stroke-width="14" fill="none"/>',
    200000345: f'<path d="M200 95 L250 140 L290 280 L110 280 L150 140 Z" {_W}/>'
    f'<rect x="178" y="95" width="44" height="30" {_D}/>',
    200000343: f'<path d="M140 110 L260 110 L310 160 L280 185 L265 170 L265 285 L135 285 '
    f'L135 170 L120 185 L90 160 Z" {_W}/>',
    66: f'<rect x="160" y="140" width="80" height="140" rx="16" {_W}/>'
    f'<rect x="180" y="100" width="40" height="40" rx="6" {_D}/>',
    18: f'<rect x="120" y="185" width="160" height="20" rx="8" {_W}/>'
    f'<rect x="95" y="145" width="30" height="100" rx="8" {_W}/>'
    f'<rect x="275" y="145" width="30" height="100" rx="8" {_W}/>',
    26: f'<rect x="110" y="190" width="80" height="80" rx="8" {_W}/>'
    f'<rect x="210" y="190" width="80" height="80" rx="8" {_D}/>'
    f'<rect x="160" y="110" width="80" height="80" rx="8" {_W}/>',
    34: f'<path d="M100 230 L130 170 L270 170 L300 230 Z" {_W}/>'
    f'<rect x="90" y="225" width="220" height="40" rx="10" {_W}/>'
    f'<circle cx="140" cy="270" r="22" {_D}/><circle cx="260" cy="270" r="22" {_D}/>',
    1420: f'<rect x="185" y="120" width="30" height="170" rx="10" {_W} '
    f'transform="rotate(35 200 200)"/>'
    f'<circle cx="160" cy="140" r="40" stroke="#fff" stroke-width="18" fill="none"/>',
    39: f'<circle cx="200" cy="170" r="70" {_W}/>'
    f'<rect x="175" y="235" width="50" height="45" rx="8" {_D}/>',
    1511: f'<rect x="170" y="80" width="60" height="240" rx="14" {_D}/>'
    f'<circle cx="200" cy="200" r="62" {_W}/>'
    f'<path d="M200 200 L200 160 M200 200 L228 214" stroke="#555" stroke-width="8"/>',
    1524: f'<rect x="115" y="150" width="170" height="140" rx="22" {_W}/>'
    f'<path d="M160 150 a40 40 0 0 1 80 0" stroke="#fff" stroke-width="14" fill="none"/>',
}
_DEFAULT_DRAWING = f'<circle cx="200" cy="190" r="80" {_W}/>'


def _label(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _MAX_LABEL:
        text = text[: _MAX_LABEL - 1].rstrip() + "…"
    return escape(text, {'"': "&quot;", "'": "&#39;"})


def product_svg(product: SandboxProduct, variant: int) -> str:
    """The SVG document for image ``variant`` of ``product``."""
    light, dark = _PALETTE.get(product.category.id, _DEFAULT_PALETTE)
    drawing = _DRAWINGS.get(product.category.id, _DEFAULT_DRAWING)
    angle = (variant * 23) % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" '
        f'role="img" aria-label="{_label(product.short_name)}">'
        f'<defs><linearGradient id="g" gradientTransform="rotate({angle} .5 .5)">'
        f'<stop offset="0" stop-color="{light}"/><stop offset="1" stop-color="{dark}"/>'
        "</linearGradient></defs>"
        '<rect width="400" height="400" fill="url(#g)"/>'
        f'<circle cx="{60 + variant * 50}" cy="60" r="90" fill="#ffffff" fill-opacity="0.08"/>'
        f"<g>{drawing}</g>"
        '<rect x="20" y="318" width="360" height="58" rx="14" fill="#000000" fill-opacity="0.28"/>'
        '<text x="200" y="356" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="24" font-weight="600" fill="#ffffff">{_label(product.short_name)}</text>'
        "</svg>"
    )


def render_media(catalog: SandboxCatalog, filename: str) -> tuple[bytes, str] | None:
    """Image bytes and content type for ``filename`` (``<product id>-<n>.svg``), else None."""
    match = _NAME.fullmatch(filename)
    if match is None:
        return None
    product = catalog.get(match.group(1))
    variant = int(match.group(2))
    if product is None or variant >= product.image_count:
        return None
    return product_svg(product, variant).encode("utf-8"), SVG_CONTENT_TYPE
