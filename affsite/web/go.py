"""``GET /go/<id>``: a visitor's click on a box, sent on to AliExpress and counted.

Embedded boxes link here (WordPress only lets a sandboxed embed open links on its own host),
and a click that passes through us can be counted. The answer is a 302 to the product's
affiliate link, or to its plain product page on www.aliexpress.com when the product is not
promotable or no link can be had right now (``affsite.catalog.click_targets``). Nothing in
the request chooses the target: query strings (``?url=``, ``?to=``), fragments and extra path
segments are ignored or 404, and the target is checked once more against the AliExpress link
allow-list right before the redirect. Ids that are not products this site has cached answer
404 without any gateway call.

Every answer: ``Cache-Control: private, no-store`` (every click must reach us to be counted,
and no shared cache may keep a redirect), ``Referrer-Policy: no-referrer`` (AliExpress learns
of the click, not of the page the visitor was reading), ``X-Robots-Tag: noindex, nofollow``,
and no cookie (the root blueprint never opens a session).

Counted: one click per GET by what looks like a person. Not counted: HEAD requests, link
prefetches and prerenders (``Sec-Purpose``, ``Purpose``, ``X-Purpose``, ``X-Moz``), and
obvious robots (an empty ``User-Agent`` or one naming a crawler, link previewer or HTTP
library). They still get the same redirect. Nothing about the request is stored: the count
is a product id, a UTC day and a number (``affsite.catalog.clicks``).
"""

from __future__ import annotations

import re

from flask import abort, after_this_request, request
from werkzeug.wrappers import Response

from affsite.aliexpress.links import link_url
from affsite.catalog import get_catalog
from affsite.catalog.click_targets import product_page
from affsite.web.root import bp

GO_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}

# Headers browsers send when they fetch a link ahead of (or instead of) a click.
_SPECULATIVE = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
_SPECULATIVE_WORDS = re.compile(r"prefetch|prerender|preview", re.IGNORECASE)
# User agents that say they are not a person: crawlers and link previewers (``Googlebot/2.1``,
# ``Slackbot-LinkExpanding``, a ``+https://`` info URL) and HTTP libraries. Not a bare "bot":
# phones such as the "CUBOT X30" have it in their name.
_ROBOT_AGENT = re.compile(
    r"bot[/;)-]|bot$|crawl|spider|slurp|\+https?://|preview|facebookexternalhit|whatsapp/|"
    r"embedly|^curl/|^wget/|python-requests|python-urllib|python-httpx|aiohttp|"
    r"go-http-client|libwww-perl|okhttp|^java/|httpclient",
    re.IGNORECASE,
)


# No merging of slashes: ``/go//evil.example`` is a 404 like any other odd address, not a
# redirect to ``/go/evil.example``.
@bp.get("/go/<product_id>", merge_slashes=False)
def go(product_id: str) -> Response:
    """302 to where a click on ``product_id``'s box goes; 404 for an unknown product."""
    after_this_request(_go_headers)  # on the 404 too
    catalog = get_catalog()
    target = catalog.clicks.target(product_id)
    if target is None:
        abort(404)
    # Checked again here, whatever the layers below did: only https on AliExpress's hosts.
    location = link_url(target.url) or link_url(product_page(target.product_id))
    if location is None:
        abort(404)
    if is_click():
        catalog.clicks.record(target.product_id)
    response = Response(status=302, mimetype="text/plain")
    response.headers["Location"] = location
    return response


def is_click() -> bool:
    """Whether this request looks like a person following the link (see the module doc)."""
    if request.method != "GET":
        return False
    if any(_SPECULATIVE_WORDS.search(request.headers.get(name, "")) for name in _SPECULATIVE):
        return False
    agent = request.headers.get("User-Agent", "").strip()
    return bool(agent) and _ROBOT_AGENT.search(agent) is None


def _go_headers(response: Response) -> Response:
    for name, value in GO_HEADERS.items():
        response.headers[name] = value
    response.headers.pop("Expires", None)
    return response
