"""Embeds for other websites: ``/embed/iframe/<id>``, one product box as a page of its own.

The page is public and cacheable, and lives inside other sites' pages, so (hardening.md 1.3):

* ``frame-ancestors`` lists the sites allowed on the settings page, and this site itself (its
  home page shows the embed live); any site when none are listed. No ``X-Frame-Options``,
  which cannot list several sites and would override it in old browsers;
* its own strict CSP: no scripts at all, styles from this site, images from this site and the
  AliExpress image hosts (and the sandbox server in demo mode), every source rebuilt from
  parsed parts so that no setting can add a directive;
* ``Cross-Origin-Resource-Policy: cross-origin`` so any site may load it;
* the session is never touched: no ``Set-Cookie``, no ``Vary: Cookie``, so caches can keep it;
* the id is anything a visitor could type: an unknown id costs at most the new-product
  allowance (``Purpose.PUBLIC``), and an unusable one is a 404 box saying what to use.

Pages are drawn and kept by the renderer (``affsite.render``), keyed by all they show.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from affsite.catalog import Purpose, get_catalog
from affsite.render import BoxSettings, BoxTemplate, Heading, Options, Page, get_renderer
from affsite.render.urls import IMAGE_SOURCES, SANDBOX_MEDIA_PATH, origin
from affsite.settings import Settings, settings_store
from affsite.web.api import product_id_of
from affsite.web.public_cache import cache_headers

log = logging.getLogger(__name__)

bp = Blueprint("embed", __name__, url_prefix="/embed")

IFRAME_OPTIONS = Options(heading=Heading.H1)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def content_security_policy(settings: Settings) -> str:
    """The iframe page's CSP, with ``frame-ancestors`` from the allowed embedding sites.

    Every source is an origin rebuilt from its parsed parts (``affsite.render.urls.origin``);
    a value that does not parse as one is left out, never copied, so a setting holding
    ``; script-src *`` cannot add a directive. A list whose every entry was refused allows
    this site only (refusing, not opening up).
    """
    images = f"'self' {IMAGE_SOURCES}"
    demo_media = BoxSettings.of(settings).demo_media
    if demo_media is not None and demo_media != SANDBOX_MEDIA_PATH:
        images += f" {demo_media}"  # the sandbox server's origin (already rebuilt)
    if settings.allowed_embed_origins:
        allowed = [origin(site) for site in settings.allowed_embed_origins]
        pairs = zip(settings.allowed_embed_origins, allowed, strict=True)
        refused = [site for site, parsed in pairs if parsed is None]
        if refused:
            log.warning("allowed embedding sites that are not origins were left out: %r", refused)
        ancestors = " ".join(["'self'", *(site for site in allowed if site is not None)])
    else:
        ancestors = "*"
    return (
        f"default-src 'none'; img-src {images}; style-src 'self'; "
        f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )


def _assets() -> str:
    # The static folder as a path under the URL root; the root is never taken from a request
    # header the deployment does not trust (affsite.web.proxies), and it is part of the key
    # the renderer keeps the page under.
    return f"{request.script_root}/static"


@bp.get("/iframe/<product_id>")
def iframe(product_id: str) -> Response:
    pid = product_id_of(product_id)
    settings = settings_store().load()
    renderer = get_renderer()
    if pid is None:
        # Shown inside someone's page: a small box that says what to fix (never echoing the
        # address), framed like any box so the host site does not show a blocked frame.
        page = renderer.page(Page.NOT_FOUND, (), settings, assets=_assets())
        response = Response(page, 404, mimetype="text/html")
        _embed_headers(response, settings)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response
    answer = get_catalog().product(pid, purpose=Purpose.PUBLIC)
    page = renderer.page(
        Page.IFRAME,
        (answer,),
        settings,
        assets=_assets(),
        template=BoxTemplate.BOX,
        options=IFRAME_OPTIONS,
    )
    response = Response(page, mimetype="text/html")
    cache_headers(response, [answer])
    _embed_headers(response, settings)
    return response


def _embed_headers(response: Response, settings: Settings) -> None:
    response.headers["Content-Security-Policy"] = content_security_policy(settings)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
