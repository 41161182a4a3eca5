"""``POST /api/v1/expand``: a text with ``[aliexpress …]`` shortcodes in, the expanded HTML out.

For the site's own servers (a CMS, a build step), not for visitors: the text is the site's
HTML and comes back as HTML, so only a caller with an API token may send one. Tokens are
created and revoked on the settings page (``affsite.web.api_tokens``) and sent as
``Authorization: Bearer <token>``; without a valid one the answer is a 401 with
``WWW-Authenticate: Bearer`` and ``{"error", "fix"}``.

The request body is the text (UTF-8, any ``text/*`` type or none), or JSON
``{"text": "…"}``; at most ``MAX_BODY`` bytes (413 beyond). The answer is JSON
``{"html": "…", "problems": [{"line", "shortcode", "reason"}]}``, or the HTML alone
(``text/html``, the number of problems in ``X-Affsite-Problems``) when the ``Accept`` header
prefers ``text/html``. Every product of the text comes from one catalog request, paid as the
site's own pages are; problems are HTML comments in the text as well.

No cookie is read or set (the session is opened under /admin only), so CSRF protection,
which guards what a browser's cookies allow, does not apply: browsers never add an
``Authorization`` header on their own, and no CORS header lets another site's script send
one. Answers are never cached and, should a browser ever open one, run nothing.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from affsite.catalog import Purpose, get_catalog
from affsite.render import get_renderer
from affsite.shortcodes.site import expand_text, problem_json
from affsite.web.api_tokens import api_tokens
from affsite.web.auth import client_address
from affsite.web.private_db import AuthStoreError
from affsite.web.security import csrf

log = logging.getLogger(__name__)

bp = Blueprint("expand_api", __name__, url_prefix="/api/v1")

MAX_BODY = 1024 * 1024  # bytes: a long article is a few hundred kB

_HOW_TO_SEND = "Send an API token as Authorization: Bearer <token>."
_WHERE_TO_GET = (
    "Create one on the settings page (API tokens) and send it as: Authorization: Bearer <token>."
)
# Whatever the body holds, a browser that opened the answer would run none of it.
_ANSWER_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Token-authenticated, never cookie-authenticated: see the module doc.
    csrf.exempt(expand)


class _Refused(Exception):
    """A request this view answers with an error instead of an expansion."""

    def __init__(self, status: int, error: str, fix: str, **headers: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.fix = fix
        self.headers = headers


@bp.post("/expand")
def expand() -> Response:
    """The posted text with every shortcode drawn (see the module doc)."""
    try:
        _authenticate()
        text = _posted_text()
    except _Refused as refused:
        refusal = jsonify(error=refused.error, fix=refused.fix)
        refusal.status_code = refused.status
        refusal.headers.update(refused.headers)
        return _finish(refusal)
    expanded = expand_text(text, get_catalog(), get_renderer(), purpose=Purpose.PAGE)
    response: Response
    if _wants_html():
        response = Response(str(expanded.html), mimetype="text/html")
        response.headers["X-Affsite-Problems"] = str(len(expanded.problems))
    else:
        problems = [problem_json(problem) for problem in expanded.problems]
        response = jsonify(html=str(expanded.html), problems=problems)
    return _finish(response)


def _authenticate() -> None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Refused(
            401,
            f"This address needs an API token. {_HOW_TO_SEND}",
            _WHERE_TO_GET,
            **{"WWW-Authenticate": 'Bearer realm="affsite"'},
        )
    try:
        found = api_tokens().verify(token.strip())
    except AuthStoreError as exc:
        log.error("expand API: tokens cannot be checked: %s", exc)
        raise _Refused(503, "API tokens cannot be checked right now.", exc.fix) from None
    if found is None:
        log.warning("expand API: an unknown or revoked token (client %s)", client_address())
        raise _Refused(
            401,
            "This API token is not valid: it was revoked, or it was copied incompletely.",
            _WHERE_TO_GET,
            **{"WWW-Authenticate": 'Bearer realm="affsite", error="invalid_token"'},
        )


def _posted_text() -> str:
    too_large = _Refused(
        413,
        f"The text is longer than {MAX_BODY // 1024} kB.",
        "Split it and expand the parts one by one.",
    )
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large
    request.max_content_length = MAX_BODY  # also for a body sent without Content-Length
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    mimetype = request.mimetype
    if mimetype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise _Refused(400, "The JSON body has no text.", 'Send {"text": "…"}.')
        return text
    if mimetype and not mimetype.startswith("text/"):
        raise _Refused(
            415,
            f"A {mimetype} body cannot be read as text.",
            "Send the text as text/plain or text/html, or as JSON.",
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "The text is not UTF-8.", "Send the text in UTF-8.") from None


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _finish(response: Response) -> Response:
    response.headers.update(_ANSWER_HEADERS)
    return response
