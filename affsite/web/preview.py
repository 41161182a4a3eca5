"""``/admin/preview``: paste a text with shortcodes, see it expanded and its problems listed.

The text outside the shortcodes is the admin's own HTML (an article pasted from the editor),
which may hold scripts or forms. Drawn straight into the admin page it would run with the
admin's session; so the expanded text is shown inside ``<iframe sandbox srcdoc="…">``: a
sandbox with no ``allow-scripts`` and no ``allow-same-origin`` runs nothing and counts as
another origin, and the admin page's own policy (which the frame inherits) allows scripts from
this site only. The problems are listed beside it as escaped text.

The preview page allows pictures from any ``https:`` address, unlike the rest of /admin: the
boxes show product pictures from AliExpress's image hosts, and the article its own.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from affsite import __version__
from affsite.catalog import Purpose, get_catalog
from affsite.render import STYLESHEET, get_renderer
from affsite.shortcodes.site import SiteExpansion, expand_text
from affsite.web.admin import bp

# The admin policy, with pictures from anywhere on https (see the module doc).
PREVIEW_CSP = (
    "default-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)

_DOCUMENT = Markup(
    '<!doctype html><html><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="{}"></head><body>{}</body></html>'
)


@bp.route("/preview", methods=["GET", "POST"])
def preview() -> Response:
    """The form; posted, the text expanded in a sandboxed frame, with its problems."""
    text = request.form.get("text", "") if request.method == "POST" else ""
    expanded: SiteExpansion | None = None
    document = ""
    if text.strip():
        # An admin action: it may wait longer for the gateway and use the admin reserve.
        expanded = expand_text(text, get_catalog(), get_renderer(), purpose=Purpose.ADMIN)
        stylesheet = url_for("static", filename=STYLESHEET, v=__version__)
        # A plain str: the template escapes it into the srcdoc attribute.
        document = str(_DOCUMENT.format(stylesheet, expanded.html))
    page = render_template("admin/preview.html", text=text, expanded=expanded, document=document)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response
