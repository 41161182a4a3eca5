"""The public API: products as JSON, and as HTML fragments to paste into any page.

``GET /api/v1/products?ids=1005004757833857,33006951782`` answers a JSON array with one item
per id, in the order asked, in the shape of ``affsite.catalog.public_json``: a product, or
``{"id", "available": false, "reason"}``. Product page URLs are accepted in place of ids
(read offline; short links are not followed here). At most ``MAX_IDS`` ids per request.

``GET /api/v1/snippet?ids=…&template=grid&theme=dark`` answers the same products drawn as
an HTML fragment (``text/html``) by the one render seam, with a stylesheet link and calls to
action through this site's ``/go/<id>`` (absolute addresses: the fragment is pasted into
other sites). ``template`` is one of ``affsite.render.BoxTemplate``, ``theme`` one of
``Theme``, ``field`` (for the ``field`` template) ``price`` or ``title``; left out, the
settings page's defaults apply. Instead of ids it takes a list, ``search=usb+c&limit=4`` or
``hot=…`` with ``category``, ``sort``, ``min_price`` and ``max_price`` (``affsite.web.box_lists``).

Headers (both): ``X-Cache`` (the *worst* status among the products, HIT < NEGATIVE < MISS <
STALE < FALLBACK, and ``X-Cache-Detail`` counting each), ``Cache-Control``, ``ETag``,
``Last-Modified`` and 304s (``affsite.web.public_cache``); ``Access-Control-Allow-Origin: *``
(public data, no cookies involved); never a cookie.

A bad request (no ids, too many, an unknown template or theme; for the snippet also an id
that names no product) is a 400 with ``{"error", "fix"}``; a gateway problem is never an
HTTP error, only ``"available": false`` items or the boxes' unavailable form.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Flask, current_app, jsonify
from markupsafe import Markup
from werkzeug.wrappers import Response

from affsite import __version__
from affsite.catalog import ProductAnswer, Purpose, Reason, Status, get_catalog
from affsite.render import Options, get_renderer
from affsite.render.choices import link_base
from affsite.settings import Settings, settings_store
from affsite.web.answer_memory import remembered
from affsite.web.box_lists import list_headers, shown
from affsite.web.box_query import (
    MAX_IDS,
    BadBoxQuery,
    BoxQuery,
    product_id_of,
    request_ids,
    request_query,
)
from affsite.web.proxies import public_url
from affsite.web.public_cache import public_answer, vary_on_host

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

__all__ = ["MAX_IDS", "bp", "init_app", "product_id_of"]

STYLESHEET = "css/box.css"  # under the static folder


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _bad_request(bad: BadBoxQuery) -> Response:
    response = jsonify({"error": bad.error, "fix": bad.fix})
    response.status_code = 400
    _public_headers(response)  # so that a script on another site can read what to fix
    return public_answer(response, (), cache_control="public, max-age=60")


def _answers_json(answers: list[ProductAnswer]) -> str:
    """The answers as a JSON array; an answer that cannot be written is that product's
    unavailable item (logged), never an error for the whole response."""
    try:
        return current_app.json.dumps([answer.to_json() for answer in answers])
    except Exception:  # untrusted product data: find the one(s) at fault, keep the others
        return "[" + ",".join(_item_json(answer) for answer in answers) + "]"


def _item_json(answer: ProductAnswer) -> str:
    try:
        return current_app.json.dumps(answer.to_json())
    except Exception:
        log.exception("product %r could not be written as JSON", str(answer.id)[:64])
        unavailable = ProductAnswer(
            id=str(answer.id)[:64], status=Status.FALLBACK, reason=Reason.UNAVAILABLE
        )
        return current_app.json.dumps(unavailable.to_json())


@bp.get("/products")
def products() -> Response:
    """Products by id or URL, as a JSON array in the order asked."""
    try:
        asked, ids = request_ids()
    except BadBoxQuery as bad:
        return _bad_request(bad)
    settings = settings_store().load()
    # Anyone can call this with any id: new ids are paid from the new-product allowance.
    found, ticket = get_catalog().products_with_ticket(
        [pid for pid in ids if pid], purpose=Purpose.PUBLIC
    )
    remaining = iter(found)
    answers = [
        next(remaining)
        if pid
        else ProductAnswer(id=text[:64], status=Status.FALLBACK, reason=Reason.INVALID_ID)
        for text, pid in zip(asked, ids, strict=True)
    ]
    key = ("api.products", asked)
    return remembered(key, settings, answers, lambda: _json(answers), ticket=ticket)


def _json(answers: list[ProductAnswer]) -> Response:
    response = Response(_answers_json(answers), mimetype="application/json")
    _public_headers(response)
    return public_answer(response, answers)


@bp.get("/snippet")
def snippet() -> Response:
    """Products by id or URL, drawn as an HTML fragment in the order asked."""
    try:
        query = request_query()
    except BadBoxQuery as bad:
        return _bad_request(bad)
    settings = settings_store().load()
    ids, listed = shown(query, settings)  # its own ids, or what its list found
    answers, ticket = get_catalog().products_with_ticket(ids, purpose=Purpose.PUBLIC)
    site = public_url()
    key = ("api.snippet", query, site)
    response = remembered(
        key, settings, answers, lambda: _snippet(answers, settings, query, site), ticket=ticket
    )
    return list_headers(response, listed)


def _snippet(
    answers: list[ProductAnswer], settings: Settings, query: BoxQuery, site: str
) -> Response:
    go_base = _go_base(site)
    # Demo pictures are our own paths: the fragment is pasted on other sites, so name us.
    media_root = go_base.removesuffix("/go/") if go_base else None
    options = Options(theme=query.theme, field=query.field, link_via=go_base, media_root=media_root)
    boxes = get_renderer().products(answers, settings, query.template, options)
    body = Markup("")
    if boxes:  # nothing at all when every product is hidden (the settings say so)
        stylesheet = f"{site}/static/{STYLESHEET}?v={__version__}"
        body = Markup('<link rel="stylesheet" href="{}">\n{}\n').format(stylesheet, boxes)
    response = Response(str(body), mimetype="text/html")
    _public_headers(response)
    vary_on_host(response)
    return public_answer(response, answers)


def _go_base(site: str) -> str | None:
    """Where the fragment's calls to action point: ``<site>/go/`` (counted, then redirected
    to AliExpress), or None (the affiliate links themselves) when the site's address cannot
    be a link base (e.g. an IPv6 host).

    >>> _go_base("HTTPS://Shop.Example/boxes"), _go_base("http://[::1]:5000")
    ('https://shop.example/boxes/go/', None)
    """
    parts = urlsplit(site)
    base = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", "")) + "/go/"
    try:
        link_base(base)
    except ValueError:
        log.warning("calls to action link straight to AliExpress: %r is not a link base", site)
        return None
    return base


def _public_headers(response: Response) -> None:
    # Read by scripts on any site (fetch with CORS) and loadable from any site.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
