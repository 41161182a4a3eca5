"""Names and filters every template can use.

``settings_state()`` is a function, not a value, so pages that do not show settings (embeds)
do not read them; nothing here touches the session, so public pages stay cacheable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from affsite import __version__
from affsite.aliexpress.models import Money
from affsite.money import format_money
from affsite.settings import number_text, settings_store


def init_app(app: Flask) -> None:
    app.context_processor(_template_names)
    app.add_template_filter(http_url)
    app.add_template_filter(number_text, "number")
    app.add_template_filter(money)
    app.add_template_filter(utc_iso)
    app.add_template_filter(utc_text)


def money(value: Money, language: str = "EN") -> str:
    """A product price as the site's visitors read it (see ``affsite.money``)."""
    return format_money(value.amount, value.currency, language)


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


def _template_names() -> dict[str, Any]:
    return {"settings_state": lambda: settings_store().state(), "affsite_version": __version__}


def http_url(value: object) -> str:
    """``value`` when it is an http(s) URL or a path on this site, else ``"#"``: product
    data is untrusted and a ``javascript:`` link would run on our page.

    >>> http_url("javascript:alert(1)"), http_url("//evil.example/x"), http_url("/media/a.jpg")
    ('#', '#', '/media/a.jpg')
    """
    text = str(value or "").strip()
    if "\\" in text or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return "#"
    if text.startswith("/") and not text.startswith("//"):
        return text
    return text if urlsplit(text).scheme.lower() in ("http", "https") else "#"
