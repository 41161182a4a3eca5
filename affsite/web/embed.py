"""Embeds for other websites: product boxes as pages of their own, shown in iframes.

* ``/embed/iframe/<id>``: one product in the ``box`` template;
* ``/embed/<template>?ids=…&theme=…&field=…``: any products (ids or product URLs, at most
  50) in any template (``affsite.render.BoxTemplate``), read by ``affsite.web.box_query``;
  or ``?search=…`` / ``?hot=…`` and their options: what that list finds (``box_lists``).

The pages are public and cacheable, and live inside other sites' pages, so (hardening.md 1.3):

* ``frame-ancestors`` lists the sites allowed on the settings page, and this site itself (its
  home page shows the embed live); any site when none are listed. No ``X-Frame-Options``,
  which cannot list several sites and would override it in old browsers;
* its own strict CSP: scripts from this site only (the page loads one, ``embed-frame.js``,
  which reports the page's height to the embedding page and, in WordPress's sandbox, asks it
  to open links: the wp-embed messages) and never inline, styles from this site, images from
  this site and the AliExpress image hosts (and the sandbox server in demo mode), every
  source rebuilt from parsed parts so that no setting can add a directive;
* ``Cross-Origin-Resource-Policy: cross-origin`` so any site may load it;
* the session is never touched: no ``Set-Cookie``, no ``Vary: Cookie``; ``ETag``,
  ``Last-Modified`` and 304s for caches (``affsite.web.public_cache``);
* calls to action go through ``/go/<id>`` on this site (relative: the page is ours), so
  clicks are counted and WordPress accepts them in a ``link`` message;
* each page names its oEmbed endpoint (``<link rel="alternate" type="application/json+oembed">``)
  so pasting its address into WordPress or any oEmbed consumer shows the boxes; the address
  is absolute, from ``PUBLIC_URL`` (else the request's host, and then ``Vary: Host``);
* ids are anything a visitor could type: an unknown id costs at most the new-product
  allowance (``Purpose.PUBLIC``), and an address that cannot be drawn is a small page saying
  what to use (404 for an unknown template or id, 400 for a bad query), never echoing it.

Pages are drawn and kept by the renderer (``affsite.render``), keyed by all they show.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import quote

from flask import Blueprint, Flask, render_template, request
from werkzeug.wrappers import Response

from affsite.catalog import ProductAnswer, Purpose, get_catalog
from affsite.catalog.warm import WarmTicket
from affsite.render import BoxSettings, BoxTemplate, Heading, Options, Page, get_renderer
from affsite.render.urls import IMAGE_SOURCES, SANDBOX_MEDIA_PATH, origin
from affsite.settings import Settings, settings_store
from affsite.web.answer_memory import remembered
from affsite.web.box_lists import list_headers, shown
from affsite.web.box_query import BadBoxQuery, BoxQuery, choice, product_id_of, request_query
from affsite.web.proxies import public_url
from affsite.web.public_cache import public_answer, vary_on_host

log = logging.getLogger(__name__)

bp = Blueprint("embed", __name__, url_prefix="/embed")

# How long a page that cannot be drawn may be kept: long enough to spare us a flood of
# the same bad address, short enough that a fixed setting shows soon.
PROBLEM_CACHE_CONTROL = "public, max-age=300"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def content_security_policy(settings: Settings) -> str:
    """The embed pages' CSP, with ``frame-ancestors`` from the allowed embedding sites.

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
        f"default-src 'none'; script-src 'self'; img-src {images}; style-src 'self'; "
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
    if pid is None:
        # Shown inside someone's page: a small box that says what to fix (never echoing the
        # address), framed like any box so the host site does not show a blocked frame.
        page = get_renderer().page(Page.NOT_FOUND, (), settings, assets=_assets())
        return _problem_response(Response(page, 404, mimetype="text/html"), settings)
    answers, ticket = get_catalog().products_with_ticket([pid], purpose=Purpose.PUBLIC)
    path = f"/embed/iframe/{pid}"
    return _page(answers, settings, BoxTemplate.BOX, path, BoxQuery(ids=(pid,)), ticket)


@bp.get("/<name>")
def template_page(name: str) -> Response:
    """Products in the template ``name``, as a page for an iframe."""
    settings = settings_store().load()
    try:
        template = choice(name, "template", BoxTemplate)
    except BadBoxQuery as bad:
        return _problem(bad, settings, 404)
    try:
        query = request_query(template)
    except BadBoxQuery as bad:
        return _problem(bad, settings, 400)
    ids, listed = shown(query, settings)  # its own ids, or what its list found
    answers, ticket = get_catalog().products_with_ticket(ids, purpose=Purpose.PUBLIC)
    path = f"/embed/{template.value}?{query.query_string()}"
    return list_headers(_page(answers, settings, template, path, query, ticket), listed)


def _page(
    answers: Sequence[ProductAnswer],
    settings: Settings,
    template: BoxTemplate,
    path: str,
    query: BoxQuery,
    ticket: WarmTicket | None = None,
) -> Response:
    site = public_url()
    key = ("embed", template, path, site, request.script_root)
    return remembered(
        key,
        settings,
        answers,
        lambda: _draw_page(answers, settings, template, path, query, site),
        ticket=ticket,
    )


def _draw_page(
    answers: Sequence[ProductAnswer],
    settings: Settings,
    template: BoxTemplate,
    path: str,
    query: BoxQuery,
    site: str,
) -> Response:
    # One product in a template with a title heading: its title is the page's h1.
    heading = Heading.H1 if len(answers) == 1 and template is BoxTemplate.BOX else Heading.H2
    options = Options(
        heading=heading,
        theme=query.theme,
        field=query.field,
        link_via=f"{request.script_root}/go/",
    )
    page = get_renderer().page(
        Page.IFRAME,
        answers,
        settings,
        assets=_assets(),
        template=template,
        options=options,
        discovery=_discovery(site, path),
    )
    response = Response(page, mimetype="text/html")
    _embed_headers(response, settings)
    vary_on_host(response)
    return public_answer(response, answers)


def _discovery(site: str, path: str) -> str:
    """The oEmbed discovery address for the page at ``path`` (its canonical form, built from
    the checked query, never from the request's own text).

    >>> _discovery("https://shop.example", "/embed/grid?ids=1,2&theme=dark")
    'https://shop.example/oembed?url=https%3A%2F%2Fshop.example%2Fembed%2Fgrid%3Fids%3D1%2C2%26theme%3Ddark&format=json'
    """
    return f"{site}/oembed?url={quote(site + path, safe='')}&format=json"


def _problem(bad: BadBoxQuery, settings: Settings, status: int) -> Response:
    page = render_template(
        "embed/problem.html",
        title="This embed cannot be shown",
        problem=_sentence(bad.error),
        fix=bad.fix,
        assets=_assets(),
        language="en",
    )
    return _problem_response(Response(page, status, mimetype="text/html"), settings)


def _sentence(text: str) -> str:
    """
    >>> _sentence("unknown theme")
    'Unknown theme.'
    """
    return text[:1].upper() + text[1:] + "."


def _problem_response(response: Response, settings: Settings) -> Response:
    _embed_headers(response, settings)
    return public_answer(response, (), cache_control=PROBLEM_CACHE_CONTROL)


def _embed_headers(response: Response, settings: Settings) -> None:
    response.headers["Content-Security-Policy"] = content_security_policy(settings)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
