"""Public pages: the home page (example boxes and how to embed them) and ``/healthz``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from affsite import __version__
from affsite.catalog import get_catalog
from affsite.errors import AffsiteError
from affsite.product_answer import ProductAnswer, aggregate_status
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
    answers: Sequence[ProductAnswer] = ()  # in the order of ``ids``
    missing: str | None = None  # why no boxes can be shown, in plain words


def _examples(featured: Sequence[str]) -> Examples:
    # The site's featured products; until it has chosen some, the configured examples.
    ids = tuple(featured) or tuple(str(i) for i in current_app.config["EXAMPLE_PRODUCT_IDS"])
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
    examples = _examples(state.settings.featured_products)
    page = render_template(
        "index.html",
        state=state,
        examples=examples,
        site=request.host_url.rstrip("/"),
    )
    response = Response(page, mimetype="text/html")
    if examples.answers:
        response.headers["X-Cache"] = aggregate_status(examples.answers)
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


@bp.get("/sandbox-media/<name>")
def sandbox_media(name: str) -> Response:
    """Product images of the built-in sandbox, so demo boxes render with no internet (demo
    mode only: once real credentials are saved, product images come from AliExpress).
    """
    found = get_catalog().demo_image(name)
    if found is None:
        abort(404)
    body, content_type = found
    response = Response(body, mimetype=content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # SVG opened directly must not run anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
