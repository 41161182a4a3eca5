"""Embeds for other websites: ``/embed/iframe/<id>``, one product box as a page of its own.

The page is public and cacheable, and lives inside other sites' pages, so (hardening.md 1.3):

* ``frame-ancestors`` lists the sites allowed on the settings page (any site when none are);
  no ``X-Frame-Options``, which cannot list several sites and would override it in old
  browsers;
* its own strict CSP: no scripts at all, styles from this site, images from this site and the
  AliExpress image hosts;
* ``Cross-Origin-Resource-Policy: cross-origin`` so any site may load it;
* the session is never touched: no ``Set-Cookie``, no ``Vary: Cookie``, so caches can keep it;
* the id is anything a visitor could type: an unknown id costs at most the new-product
  allowance (``anonymous=True``), and an unusable one is a 404 box saying what to use.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, render_template
from werkzeug.wrappers import Response

from affsite.catalog import get_catalog
from affsite.freshness import namespace
from affsite.lru import LRU
from affsite.settings import DEFAULT_API_URL, Settings, settings_store
from affsite.web.api import product_id_of
from affsite.web.public_cache import cache_headers

bp = Blueprint("embed", __name__, url_prefix="/embed")
PAGES_KEY = "affsite.rendered_pages"
# Drawing a box (template, price formatting) costs several times more than reading the
# product from the cache, so each page is drawn once per worker. Its key holds all it shows:
# the answer (id, status, fetch time, reason) and the settings (namespace, disclosure,
# language); a refresh or a saved setting makes a new key, and old pages age out.
MAX_RENDERED_PAGES = 2048

# Where AliExpress serves product images from.
ALIEXPRESS_IMAGE_HOSTS = "https://*.alicdn.com https://*.aliexpress-media.com"


def init_app(app: Flask) -> None:
    app.extensions[PAGES_KEY] = LRU[tuple[object, ...], str](MAX_RENDERED_PAGES)
    app.register_blueprint(bp)


def content_security_policy(settings: Settings) -> str:
    """The iframe page's CSP, with ``frame-ancestors`` from the allowed embedding sites.

    A gateway other than AliExpress's own (the sandbox run as a server) serves its product
    images itself, so its origin may show images too.
    """
    images = f"'self' {ALIEXPRESS_IMAGE_HOSTS}"
    if settings.api_url != DEFAULT_API_URL:
        gateway = urlsplit(settings.api_url)
        images += f" {gateway.scheme}://{gateway.netloc}"
    ancestors = " ".join(settings.allowed_embed_origins) or "*"
    return (
        f"default-src 'none'; img-src {images}; style-src 'self'; "
        f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )


@bp.get("/iframe/<product_id>")
def iframe(product_id: str) -> Response:
    pid = product_id_of(product_id)
    settings = settings_store().load()
    if pid is None:
        # Shown inside someone's page: a small box that says what to fix (never echoing the
        # address), framed like any box so the host site does not show a blocked frame.
        response = Response(render_template("embed/not_found.html"), 404, mimetype="text/html")
        _embed_headers(response, settings)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response
    answer = get_catalog().product(pid, purpose="view", anonymous=True)
    key = (
        "iframe",
        answer.id,
        answer.status,
        answer.fetched_at,
        answer.reason,
        namespace(settings),
        settings.disclosure,
        settings.language,
    )
    pages: LRU[tuple[object, ...], str] = current_app.extensions[PAGES_KEY]
    page = pages.get_or_make(
        key,
        lambda: render_template(
            "embed/iframe.html",
            answer=answer,
            disclosure=settings.disclosure,
            language=settings.language,
        ),
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
