"""Drawing products: the one way anything turns product answers into HTML.

``get_renderer().products(answers, settings, BoxTemplate.BOX, Options(...))`` gives the boxes
as ``Markup``; ``page(...)`` gives a whole embed page. The renderer keeps what it drew, keyed
by everything a drawing shows and nothing from the request, and draws each product on its
own so that one bad product is only ever that product's fallback box.

Modules: ``renderer`` (drawing and its memories), ``choices`` (templates, themes, options),
``box_settings`` (what the settings contribute), ``view`` (one product's values, checked and
formatted for a template), ``structured`` (schema.org JSON-LD), ``environment`` (the Jinja
environment and its filters), ``urls`` (which URLs may reach ``href``/``src``), ``money``
(prices). The boxes' CSS is ``static/css/box.css`` (``STYLESHEET``, or
``Renderer.stylesheet()`` as text), every rule scoped under ``.affsite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from affsite.render.box_settings import BoxSettings
from affsite.render.choices import (
    BoxField,
    BoxTemplate,
    Heading,
    LinkTarget,
    Options,
    Page,
    Theme,
    Unavailable,
)
from affsite.render.environment import make_environment
from affsite.render.money import format_money
from affsite.render.renderer import STYLESHEET, Renderer

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "STYLESHEET",
    "BoxField",
    "BoxSettings",
    "BoxTemplate",
    "Heading",
    "LinkTarget",
    "Options",
    "Page",
    "Renderer",
    "Theme",
    "Unavailable",
    "format_money",
    "get_renderer",
    "init_app",
]

EXTENSION_KEY = "affsite.renderer"


def init_app(app: Flask) -> None:
    """Build the app's renderer over its templates folder (re-read on change only when Flask
    would reload its own templates: debug or ``TEMPLATES_AUTO_RELOAD``)."""
    reload = app.config.get("TEMPLATES_AUTO_RELOAD")
    auto_reload = app.debug if reload is None else bool(reload)
    templates = Path(app.root_path, app.template_folder or "templates")
    static = Path(app.static_folder) if app.static_folder else None
    app.extensions[EXTENSION_KEY] = Renderer(
        make_environment(templates, auto_reload=auto_reload), static=static
    )


def get_renderer() -> Renderer:
    """The current app's renderer (inside an app or request context)."""
    from flask import current_app

    renderer: Renderer = current_app.extensions[EXTENSION_KEY]
    return renderer
