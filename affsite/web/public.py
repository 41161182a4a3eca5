"""Public pages: the home page (example boxes and how to embed them) and ``/healthz``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from affsite import __version__
from affsite.errors import AffsiteError
from affsite.settings import settings_store

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)

CATALOG_KEY = "affsite.catalog"

# The home page may show product images from AliExpress's image hosts and embed our own
# iframes; scripts and styles only from this site.
HOME_CSP = (
    "default-src 'self'; img-src 'self' https: data:; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass(frozen=True)
class Examples:
    """What the home page can show in its example section."""

    ids: tuple[str, ...]
    answers: Sequence[Any] = ()  # catalog ProductAnswer objects, in the order of ``ids``
    missing: str | None = None  # why no boxes can be shown, in plain words


def _examples() -> Examples:
    ids = tuple(str(i) for i in current_app.config["EXAMPLE_PRODUCT_IDS"])
    catalog = current_app.extensions.get(CATALOG_KEY)
    if catalog is None:
        return Examples(
            ids,
            missing=(
                "The product catalog is not set up in this app, so there are no boxes to "
                "show yet. Once it is, the example products appear here."
            ),
        )
    try:
        return Examples(ids, answers=catalog.products(list(ids), purpose="view"))
    except AffsiteError as exc:
        log.warning("home page examples unavailable: %s", exc)
        return Examples(ids, missing=f"The example products could not be loaded. {exc.fix}")


@bp.get("/")
def index() -> Response:
    state = settings_store().state()
    page = render_template(
        "index.html",
        state=state,
        examples=_examples(),
        site=request.host_url.rstrip("/"),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HOME_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and configuration state for monitors. Never contains a setting's value."""
    state = settings_store().state()
    response = jsonify(
        status="ok",
        version=__version__,
        demo_mode=state.settings.demo_mode,
        settings_complete=state.complete,
        settings_problems=state.problem_fields(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
