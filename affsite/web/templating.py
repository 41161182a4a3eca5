"""Names and filters the site's own pages (Flask templates) can use.

``settings_state()`` is a function, not a value, so pages that do not show settings do not
read them; nothing here touches the session, so public pages stay cacheable. Product boxes
are not drawn here but by ``affsite.render``, in an environment of their own; the template
names that ask for them (``affsite.jinja``) use the app's catalog and renderer.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from affsite import __version__
from affsite.jinja import Affsite
from affsite.settings import number_text, settings_store


def init_app(app: Flask) -> None:
    app.context_processor(_template_names)
    app.add_template_filter(number_text, "number")
    Affsite().init_app(app)  # aliexpress(), |aliexpress_shortcodes, {% aliexpress %}


def _template_names() -> dict[str, Any]:
    return {"settings_state": lambda: settings_store().state(), "affsite_version": __version__}
