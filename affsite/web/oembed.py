"""oEmbed: ``GET /oembed?url=…[&maxwidth=…][&maxheight=…][&format=json]``.

Pasting an AliExpress product address, or the address of one of our embed pages (which carry
the discovery ``<link rel="alternate" type="application/json+oembed">``), into WordPress, Ghost
or any oEmbed consumer shows a box. The answer is a ``rich`` oEmbed object whose ``html`` is
an iframe of our embed page plus a ``<blockquote>`` fallback link, as WordPress's own embeds
are: WordPress keeps only ``a[href]``, ``blockquote`` and the iframe's plain attributes, puts
the iframe in ``sandbox="allow-scripts"`` and reveals it (hiding the blockquote) when the page
posts its first wp-embed message.

Which ``url`` is answered (nothing is ever fetched to find out):

* an AliExpress product address in any form ``affsite.product_ids`` reads offline;
* a short link (``s.click.aliexpress.com/e/…``, ``a.aliexpress.com/_…``), followed only by the
  catalog's safe follower (allow-listed hosts, never inward), and at most one follow every
  ``SHORT_LINK_INTERVAL`` seconds for the whole site (shared by every worker), so that anyone
  sending made-up short links cannot keep the workers busy; past that a 429;
* our own embed pages, ``<site>/embed/<template>?ids=…[&theme=…]`` and
  ``<site>/embed/iframe/<id>``, where ``<site>`` is this site's address (``PUBLIC_URL``, else
  ``SERVER_NAME``, else the request's host).

Anything else is a 404 with ``{"error", "fix"}``; ``format=xml`` (or any format but JSON) a
501. Every product in the answer is asked for with ``Purpose.PUBLIC``. Everything in ``html``
is escaped; the ``title`` is plain text with the characters markup needs replaced by
look-alikes, so even a consumer that forgets to escape it cannot be led into markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, jsonify, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Purpose, get_catalog
from affsite.clock import Clock, system_clock, system_sleep
from affsite.limits import LimitsUnavailable, RateLimited, RateLimiter
from affsite.product_ids import Kind, classify
from affsite.render import BoxSettings
from affsite.render.choices import BoxTemplate, clean_text
from affsite.render.urls import image_url, origin, product_page_url
from affsite.settings import settings_store
from affsite.web.box_lists import list_headers, shown
from affsite.web.box_query import BoxQuery, product_id_of
from affsite.web.proxies import public_url
from affsite.web.public_cache import public_answer, vary_on_host
from affsite.web.root import bp
from affsite.web.script_embed import (
    Placeholder,
    frame_title,
    frame_width,
    initial_height,
    read_placeholder,
)

MAX_URL_LENGTH = 2048
MAX_TITLE = 300  # characters of a product's title in the answer
MAX_DIMENSION = 10_000
SHORT_LINK_INTERVAL = 2.0  # seconds between short links followed for anonymous callers
CACHE_AGE = 86400  # the html stays right for a day: the box in the iframe updates itself
# The size declared for a thumbnail (square, as AliExpress main images are): product data does
# not say how big the image is. Never more than maxwidth/maxheight.
THUMBNAIL_SIZE = 800

# The sandbox for consumers that place the html as it is (WordPress replaces it with its own):
# scripts for the height messages, same origin so those messages name our origin, popups for
# the call to action; no top navigation, forms or dialogs.
IFRAME_SANDBOX = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"

_LOOK_ALIKES = str.maketrans({"<": "‹", ">": "›", '"': "”", "'": "’", "`": "ʻ"})


class _ShortLinkPace(RateLimiter):
    """The pace of short links followed for anonymous callers, shared by every worker."""

    KEY = "oembed:short-links"


@dataclass(frozen=True, kw_only=True)
class _Refusal:
    status: int
    error: str
    fix: str


@bp.get("/oembed")
def oembed() -> Response:
    """A rich oEmbed answer for a product or one of our embed pages (see the module doc)."""
    if request.args.get("format", "json").strip().lower() != "json":
        return _refuse(_Refusal(status=501, error="only JSON is offered", fix="Use format=json."))
    url = request.args.get("url", "").strip()
    if not url:
        return _refuse(
            _Refusal(status=400, error="no url given", fix="Add ?url= with a product address.")
        )
    maxwidth = _dimension("maxwidth")
    if isinstance(maxwidth, _Refusal):
        return _refuse(maxwidth)
    maxheight = _dimension("maxheight")
    if isinstance(maxheight, _Refusal):
        return _refuse(maxheight)
    site = public_url()
    settings = settings_store().load()
    look = BoxSettings.of(settings)
    found = _placeholder(url[:MAX_URL_LENGTH], site, look.template)
    if isinstance(found, _Refusal):
        return _refuse(found)
    assert found.query is not None  # a placeholder without a query is a refusal above
    ids, listed = shown(found.query, settings)
    if listed is not None and not ids:
        empty = _refuse(
            _Refusal(
                status=404,
                error="the list found no products right now",
                fix="Try other keywords or options, or name the products with ids=….",
            )
        )
        empty.headers["Cache-Control"] = "public, max-age=30"  # a list may find some soon
        return empty
    answers = get_catalog().products(ids, purpose=Purpose.PUBLIC)
    body = _rich(found, answers, site, look, maxwidth, maxheight)
    response = jsonify(body)
    _public_headers(response)
    return list_headers(public_answer(response, answers), listed)


_SIZE_FIX = f"Give maxwidth and maxheight as whole numbers of pixels up to {MAX_DIMENSION}."


def _dimension(name: str) -> int | None | _Refusal:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_DIMENSION:
        return _Refusal(status=400, error=f"bad {name}", fix=_SIZE_FIX)
    return int(text)


# --- which URL names which products ------------------------------------------------------------


def _placeholder(url: str, site: str, default: BoxTemplate) -> Placeholder | _Refusal:
    own = own_page(url, site, default)
    if own is not None:
        if own.error is not None:
            return _Refusal(status=404, error=own.error, fix=own.fix or "")
        return own
    verdict = classify(url)
    if verdict.kind is Kind.SHORT_LINK and verdict.target is not None:
        return _follow(verdict.target)
    if verdict.id is None:
        return _Refusal(
            status=404,
            error=f"not an AliExpress product address: {verdict.error or 'unknown address'}",
            fix="Paste the address of one product's page, such as "
            "https://www.aliexpress.com/item/1005004757833857.html.",
        )
    return Placeholder(query=BoxQuery(ids=(verdict.id,)), template=BoxTemplate.BOX)


def own_page(url: str, site: str, default: BoxTemplate) -> Placeholder | None:
    """The products one of our embed pages shows, when ``url`` is one on ``site``; None when
    it is not on ``site`` at all. A page of ours that is not an embed page is an error.

    >>> own_page("https://s.example/embed/grid?ids=33006951782&theme=dark", "https://s.example",
    ...          BoxTemplate.BOX).src()
    'embed/grid?ids=33006951782&theme=dark'
    >>> own_page("https://s.example/embed/iframe/33006951782", "https://s.example",
    ...          BoxTemplate.BOX).src()
    'embed/box?ids=33006951782'
    >>> own_page("https://evil.example/embed/box?ids=1", "https://s.example", BoxTemplate.BOX)
    """
    ours = origin(site)
    if ours is None or origin(url) != ours:
        return None
    parts = urlsplit(url)
    root = urlsplit(site).path.rstrip("/")
    path = parts.path
    not_embed = Placeholder(
        error="not an embed page of this site",
        fix="Paste a product address, or an address of /embed/<template>?ids=… on this site.",
    )
    if not path.startswith(f"{root}/embed/"):
        return not_embed
    rest = path[len(root) + len("/embed/") :]
    if rest.startswith("iframe/"):
        pid = product_id_of(rest[len("iframe/") :])
        if pid is None:
            return not_embed
        return Placeholder(query=BoxQuery(ids=(pid,)), template=BoxTemplate.BOX)
    try:
        template = BoxTemplate(rest.lower())
    except ValueError:
        return not_embed
    placeholder = read_placeholder(parts.query, default)
    if placeholder.query is None:
        return placeholder
    return Placeholder(query=placeholder.query, template=template)


def _follow(target: str) -> Placeholder | _Refusal:
    clock: Clock = current_app.config.get("CLOCK") or system_clock
    catalog = get_catalog()
    try:
        _ShortLinkPace(catalog.stores.ctl, clock, system_sleep).acquire(
            1.0 / SHORT_LINK_INTERVAL, max_wait=0.0
        )
    except RateLimited:
        return _Refusal(
            status=429,
            error="too many short links right now",
            fix="Try again in a few seconds, or paste the product page's address instead.",
        )
    except LimitsUnavailable:
        return _Refusal(
            status=503,
            error="short links cannot be followed right now",
            fix="Paste the product page's address instead.",
        )
    with catalog.short_link_follower() as follower:
        resolution = follower.follow(target)
    if resolution.id is None:
        return _Refusal(
            status=404,
            error=f"the short link does not lead to a product: {resolution.error}",
            fix="Paste the address of the product's page instead.",
        )
    return Placeholder(query=BoxQuery(ids=(resolution.id,)), template=BoxTemplate.BOX)


# --- the answer ----------------------------------------------------------------------------


def _rich(
    placeholder: Placeholder,
    answers: Sequence[ProductAnswer],
    site: str,
    look: BoxSettings,
    maxwidth: int | None,
    maxheight: int | None,
) -> dict[str, object]:
    width = frame_width(placeholder.template)
    height = initial_height(placeholder.template, len(answers))
    if maxwidth is not None:
        width = min(width, maxwidth)
    if maxheight is not None:
        height = min(height, maxheight)
    host = urlsplit(site).hostname or "affsite"
    body: dict[str, object] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": host,
        "provider_url": f"{site}/",
        "title": plain_title(answers),
        "html": str(embed_html(placeholder, answers, site, look, width, height)),
        "width": width,
        "height": height,
        "cache_age": CACHE_AGE,
    }
    thumbnail = _thumbnail(answers)
    if thumbnail is not None:
        size = min(THUMBNAIL_SIZE, maxwidth or THUMBNAIL_SIZE, maxheight or THUMBNAIL_SIZE)
        body.update(thumbnail_url=thumbnail, thumbnail_width=size, thumbnail_height=size)
    return body


def plain_title(answers: Sequence[ProductAnswer]) -> str:
    """The answer's ``title``: the product's title as one line of plain text, with ``< > " '
    ` `` replaced by look-alikes (see the module doc).

    >>> plain_title([ProductAnswer(id="1", status="FALLBACK")])
    'AliExpress product 1'
    """
    if len(answers) != 1:
        return f"{len(answers)} AliExpress products"
    title = getattr(answers[0].product, "title", None)
    if not isinstance(title, str) or not clean_text(title, MAX_TITLE):
        return f"AliExpress product {answers[0].id}"
    return clean_text(title, MAX_TITLE).translate(_LOOK_ALIKES)


def embed_html(
    placeholder: Placeholder,
    answers: Sequence[ProductAnswer],
    site: str,
    look: BoxSettings,
    width: int,
    height: int,
) -> Markup:
    """The blockquote fallback (a link per product and the disclosure) and the iframe; every
    value escaped, every attribute quoted."""
    links = Markup(", ").join(
        Markup(
            '<a href="{href}" rel="sponsored nofollow noopener" target="_blank">{text}</a>'
        ).format(href=_fallback_link(answer, site), text=plain_title([answer]))
        for answer in answers
    )
    quote = Markup("<blockquote>{links} ({disclosure})</blockquote>").format(
        links=links, disclosure=look.disclosure
    )
    frame = Markup(
        '<iframe src="{src}" width="{width}" height="{height}" title="{title}" frameborder="0" '
        'marginwidth="0" marginheight="0" scrolling="no" sandbox="{sandbox}" loading="lazy" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    ).format(
        src=f"{site}/{placeholder.src()}",
        width=width,
        height=height,
        title=frame_title(answers),
        sandbox=IFRAME_SANDBOX,
    )
    return quote + frame


def _fallback_link(answer: ProductAnswer, site: str) -> str:
    # Products with something to show go through /go/<id> (counted, then to AliExpress);
    # the others straight to their page on AliExpress (nothing to earn, nothing to count).
    if answer.product is not None and answer.id.isdigit():
        return f"{site}/go/{answer.id}"
    return product_page_url(answer.id) or "https://www.aliexpress.com/"


def _thumbnail(answers: Sequence[ProductAnswer]) -> str | None:
    if len(answers) != 1 or answers[0].product is None:
        return None
    return image_url(answers[0].product.image)  # AliExpress's image hosts only, https


def _public_headers(response: Response) -> None:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    vary_on_host(response)  # the html names this site's address


def _refuse(refusal: _Refusal) -> Response:
    response = jsonify({"error": refusal.error, "fix": refusal.fix})
    response.status_code = refusal.status
    _public_headers(response)
    if refusal.status in (429, 503):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Retry-After"] = str(int(SHORT_LINK_INTERVAL) + 1)
    else:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response
