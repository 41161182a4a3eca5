"""The Jinja environment boxes are drawn in: the templates folder, escaping on, the filters
below, and nothing from a request.

Flask's own environment offers ``request``, ``session``, ``url_for`` and the app's context
processors; a box drawn with any of them could differ from one visitor to the next, and
drawn boxes are kept and handed to every visitor. This environment has none of them, so a
template under ``boxes/`` cannot depend on who asked: all it sees is what the renderer passes
(and puts in the memo key). It also works outside a request (the CLI).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from affsite import __version__
from affsite.render.money import format_money
from affsite.render.urls import image_url, link_url, product_page_url


def make_environment(templates: Path, *, auto_reload: bool = False) -> Environment:
    """An environment over ``templates`` (``auto_reload``: re-read changed files, for
    development; off, templates are compiled once per process)."""
    environment = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html"]),
        auto_reload=auto_reload,
    )
    environment.filters.update(
        money=money,
        link_url=link_url,
        image_url=image_url,
        utc_iso=utc_iso,
        utc_text=utc_text,
    )
    environment.globals.update(product_page_url=product_page_url, affsite_version=__version__)
    return environment


def money(value: object, language: str = "EN") -> str | None:
    """A price (anything with ``amount`` and ``currency``) as visitors read it, or None when
    there is no sane price to show (see ``affsite.render.money``)."""
    amount = getattr(value, "amount", None)
    currency = getattr(value, "currency", None)
    return format_money(amount, currency, language)


def utc_iso(epoch: float) -> str:
    """``datetime`` attribute text for a ``<time>``.

    >>> utc_iso(1700000000)
    '2023-11-14T22:13:20Z'
    """
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(epoch: float) -> str:
    """A moment as a reader sees it, in UTC (visitors are everywhere).

    >>> utc_text(1700000000)
    '14 Nov 2023, 22:13 UTC'
    """
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")
