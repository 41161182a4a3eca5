"""Routes at the site root that machines ask for rather than people: ``/healthz`` for
monitors, ``/favicon.ico`` for browsers, ``/sandbox-media/<name>`` for the pictures in demo
boxes. Embeds that live at the root (``/go/<id>``, ``/oembed``, ``/embed.js``) belong here too.

None of them touches the session, and each says how long it may be kept.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, jsonify, send_from_directory
from werkzeug.wrappers import Response

from affsite import __version__
from affsite.catalog import get_catalog
from affsite.settings import settings_store

bp = Blueprint("root", __name__)

# Pictures shown as documents (an SVG opened directly) must not run anything.
PICTURE_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def init_app(app: Flask) -> None:
    # Modules that add their routes to ``bp`` (imported here: they import ``bp`` from here).
    from affsite.web import go, oembed, script_embed  # noqa: F401  (/go, /oembed, /embed.js)

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and configuration state for monitors. Never contains a setting's value.

    503 while gateway calls are stopped because the limits shared by every worker cannot be
    kept (the cache folder cannot be written, or Redis cannot be reached): pages still answer
    from what is saved, but prices age and new products fall back until that is fixed, so
    monitors must notice. ``limits_problem`` says why in a few words (never a path or an
    address); ``store`` says where the shared state is kept.
    """
    state = settings_store().state()
    stores = get_catalog().stores
    stores.check_limits()  # tries the disk again when due, so recovery shows without traffic
    stopped = not stores.health.limits_ok
    cause = _public_cause(stores.health.limits_cause)
    response = jsonify(
        status="degraded" if stopped else "ok",
        version=__version__,
        demo_mode=state.settings.demo_mode,
        settings_complete=state.complete,
        settings_problems=state.problem_fields(),
        store=str(stores.health.backend),  # "disk" (this machine) or "redis" (shared)
        limits="stopped" if stopped else "ok",
        limits_problem=cause if stopped else None,
    )
    response.status_code = 503 if stopped else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _public_cause(cause: str | None) -> str:
    # Anyone can read /healthz: a cause that names a file (an OS error's text) says where the
    # instance lives, so it is replaced by words that do not.
    if not cause or "/" in cause or "\\" in cause:
        return "the cache folder cannot be written"
    return cause


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site icon where browsers look for it by default (an SVG, which they all show)."""
    response = send_from_directory(
        current_app.static_folder or "static",
        "favicon.svg",
        mimetype="image/svg+xml",
        max_age=86400,
    )
    _picture_headers(response)
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
    _picture_headers(response)
    return response


def _picture_headers(response: Response) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PICTURE_CSP
