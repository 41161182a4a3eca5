"""The public home page: what affsite is, example boxes, and how to embed them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Purpose, aggregate_status, get_catalog
from affsite.errors import AffsiteError
from affsite.render import BoxTemplate, Heading, Options, get_renderer
from affsite.settings import Settings, settings_store
from affsite.web.proxies import host_is_configured, public_url

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)

# The home page may show product images from AliExpress's image hosts and embed our own
# iframes; scripts and styles only from this site.
HOME_CSP = (
    "default-src 'self'; img-src 'self' https: data:; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass(frozen=True, kw_only=True)
class Examples:
    """What the home page can show in its example section."""

    ids: tuple[str, ...]
    answers: Sequence[ProductAnswer] = ()  # in the order of ``ids``
    boxes: Markup = Markup("")  # the answers, drawn
    missing: str | None = None  # why no boxes can be shown, in plain words


def _examples(settings: Settings) -> Examples:
    # The site's featured products; until it has chosen some, the configured examples.
    ids = tuple(settings.featured_products) or tuple(
        str(i) for i in current_app.config["EXAMPLE_PRODUCT_IDS"]
    )
    try:
        answers = get_catalog().products(list(ids), purpose=Purpose.PAGE)
    except AffsiteError as exc:
        log.warning("home page examples unavailable: %s", exc)
        return Examples(ids=ids, missing=f"The example products could not be loaded. {exc.fix}")
    boxes = get_renderer().products(answers, settings, BoxTemplate.BOX, Options(heading=Heading.H3))
    return Examples(ids=ids, answers=answers, boxes=boxes)


@bp.get("/")
def index() -> Response:
    state = settings_store().state()
    examples = _examples(state.settings)
    page = render_template("index.html", state=state, examples=examples, site=public_url())
    response = Response(page, mimetype="text/html")
    if examples.answers:
        response.headers["X-Cache"] = str(aggregate_status(examples.answers))
    response.headers["Content-Security-Policy"] = HOME_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The embed code names this site's address. Taken from the request (no PUBLIC_URL set),
    # it is only for the one who asked: no shared cache may keep it for others.
    response.headers["Cache-Control"] = "no-cache" if host_is_configured() else "private, no-cache"
    return response
