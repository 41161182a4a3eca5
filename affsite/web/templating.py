"""Names and filters every template can use.

``settings_state()`` is a function, not a value, so pages that do not show settings (embeds)
do not read them; nothing here touches the session, so public pages stay cacheable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from affsite import __version__
from affsite.settings import number_text, settings_store


def init_app(app: Flask) -> None:
    app.context_processor(_template_names)
    app.add_template_filter(http_url)
    app.add_template_filter(number_text, "number")


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
